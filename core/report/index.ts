export { RuleInfo, ServerReport } from "./types";
export { renderText, sanitizeForTerminal, type TextOptions } from "./text";
export { renderJson } from "./json";
export { renderSarif, SARIF_SCHEMA_URI, type SarifOptions } from "./sarif";
export { renderJunit } from "./junit";
export { escapeXmlAttr, escapeXmlText, stripIllegalXmlChars } from "./xml";
export { KB_URL } from "./common";
export { FailOn, failsOn } from "./failOn";
