/**
 * Minimal XML 1.0 escaping (no XML library is a dependency of this package; saxes only parses).
 */

/** Characters XML 1.0 does not allow at all, not even as character references: C0 controls but TAB/LF/CR,
 * lone surrogates, U+FFFE and U+FFFF. */
const ILLEGAL_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripIllegalXmlChars(s: string): string {
  return s.replace(ILLEGAL_XML_CHARS, "");
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#13;",
};

/** Escape for element content: the five markup characters, and CR so that it survives end-of-line normalisation. */
export function escapeXmlText(s: string): string {
  return stripIllegalXmlChars(s).replace(/[&<>"'\r]/g, (c) => ENTITIES[c]);
}

/** Escape for a double- or single-quoted attribute value: as text, plus TAB and LF, which a parser would
 * otherwise normalise to spaces. */
export function escapeXmlAttr(s: string): string {
  return stripIllegalXmlChars(s).replace(/[&<>"'\r\n\t]/g, (c) =>
    c === "\n" ? "&#10;" : c === "\t" ? "&#9;" : ENTITIES[c],
  );
}
