export { RuleInfo, ServerReport } from "./types";
export { renderText, sanitizeForTerminal, type TextOptions } from "./text";
export { renderJson } from "./json";
export { renderSarif, SARIF_SCHEMA_URI, type SarifOptions } from "./sarif";
export { renderJunit } from "./junit";
export { escapeXmlAttr, escapeXmlText, stripIllegalXmlChars } from "./xml";
export { KB_URL, GROUP_TITLES, articleName, causeLabel, groupOf, judgedGroups } from "./common";
export { ALL_RULE_INFO, RULE_REMEDIATION, ruleInfoFor, ruleInfoOf } from "./ruleInfo";
export { FailOn, failsOn } from "./failOn";
