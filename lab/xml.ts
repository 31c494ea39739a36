import { SaxesParser } from "saxes";

/**
 * A source-mapped XML element tree for editing applicationHost.config the way IIS does: every edit
 * is a splice of the original text, so everything outside the edited element (comments, blank lines,
 * unknown sections, attribute order and quoting, CRLF line endings, the BOM) stays byte-for-byte.
 * After an edit the text is parsed again (the file is small), so offsets are never stale.
 */

export interface XAttr {
  name: string;
  /** Decoded value. */
  value: string;
  /** Offsets of the raw value (between the quotes) in the document text. */
  valueStart: number;
  valueEnd: number;
  /** Offset just after the closing quote. */
  end: number;
}

export interface XElement {
  name: string;
  attrs: XAttr[];
  /** Offset of the `<` of the start tag. */
  start: number;
  /** Offset just after the `>` of the start tag. */
  startTagEnd: number;
  /** Offset of the `<` of the end tag (== startTagEnd for a self-closing element). */
  endTagStart: number;
  /** Offset just after the element (after `/>` or the end tag's `>`). */
  end: number;
  selfClosing: boolean;
  children: XElement[];
  parent: XElement | null;
}

export class XmlParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`not well-formed XML at line ${line}, column ${column}: ${message}`);
    this.name = "XmlParseError";
  }
}

const ATTR_RE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function decodeXml(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e === "amp") return "&";
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "quot") return '"';
    if (e === "apos") return "'";
    const code = e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return String.fromCodePoint(code);
  });
}

/** Escape an attribute value the way IIS writes it (double-quoted). */
export function escapeAttr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export class XmlDoc {
  /** The text without the BOM. */
  readonly text: string;
  readonly bom: boolean;
  readonly root: XElement;
  /** "\r\n" when the document uses CRLF, else "\n". */
  readonly newline: string;

  private constructor(text: string, bom: boolean, root: XElement) {
    this.text = text;
    this.bom = bom;
    this.root = root;
    this.newline = text.includes("\r\n") ? "\r\n" : "\n";
  }

  static parse(source: string): XmlDoc {
    const bom = source.charCodeAt(0) === 0xfeff;
    const text = bom ? source.slice(1) : source;
    const parser = new SaxesParser({ position: true });
    const stack: XElement[] = [];
    let root: XElement | null = null;
    let error: XmlParseError | null = null;
    parser.on("error", (e) => {
      if (!error) error = new XmlParseError(e.message.replace(/^(\S*:)?\d+:\d+:\s*/, ""), parser.line, parser.column + 1);
      throw error;
    });
    parser.on("opentag", (tag) => {
      const startTagEnd = parser.position;
      const start = text.lastIndexOf("<", startTagEnd - 1);
      const raw = text.slice(start, startTagEnd);
      const attrs: XAttr[] = [];
      const nameLen = 1 + tag.name.length;
      ATTR_RE.lastIndex = nameLen;
      for (let m = ATTR_RE.exec(raw); m; m = ATTR_RE.exec(raw)) {
        const quoted = m[2] ?? m[3] ?? "";
        const valueEnd = start + m.index + m[0].length - 1;
        attrs.push({ name: m[1], value: decodeXml(quoted), valueStart: valueEnd - quoted.length, valueEnd, end: valueEnd + 1 });
      }
      const el: XElement = {
        name: tag.name,
        attrs,
        start,
        startTagEnd,
        endTagStart: startTagEnd,
        end: startTagEnd,
        selfClosing: tag.isSelfClosing,
        children: [],
        parent: stack[stack.length - 1] ?? null,
      };
      if (el.parent) el.parent.children.push(el);
      else root = el;
      stack.push(el);
    });
    parser.on("closetag", () => {
      const el = stack.pop()!;
      el.end = parser.position;
      el.endTagStart = el.selfClosing ? el.startTagEnd : text.lastIndexOf("<", el.end - 1);
    });
    try {
      parser.write(text).close();
    } catch (e) {
      if (e instanceof XmlParseError) throw e;
      throw error ?? e;
    }
    if (!root) throw new XmlParseError("no root element", 1, 1);
    return new XmlDoc(text, bom, root);
  }

  /** The full text with the BOM as read. */
  toString(): string {
    return (this.bom ? "\uFEFF" : "") + this.text;
  }

  /** Apply splices (non-overlapping) and return the new full text (BOM kept). */
  splice(edits: { start: number; end: number; text: string }[]): string {
    const sorted = [...edits].sort((a, b) => b.start - a.start);
    let t = this.text;
    for (const e of sorted) t = t.slice(0, e.start) + e.text + t.slice(e.end);
    return (this.bom ? "\uFEFF" : "") + t;
  }

  // ---- reading ----

  /** Leading whitespace of the line an element starts on, or null when other text precedes it on that line. */
  indentOf(el: XElement): string | null {
    const lineStart = this.lineStart(el.start);
    const before = this.text.slice(lineStart, el.start);
    return /^[ \t]*$/.test(before) ? before : null;
  }

  /** One indentation step, from the first nested element found (default four spaces, like IIS). */
  indentUnit(): string {
    const walk = (el: XElement): string | null => {
      for (const c of el.children) {
        const pi = this.indentOf(el);
        const ci = this.indentOf(c);
        if (pi !== null && ci !== null && ci.length > pi.length && ci.startsWith(pi)) return ci.slice(pi.length);
        const deeper = walk(c);
        if (deeper) return deeper;
      }
      return null;
    };
    return walk(this.root) ?? "    ";
  }

  /** Indentation for a new child of `parent`. */
  childIndent(parent: XElement): string {
    for (const c of parent.children) {
      const i = this.indentOf(c);
      if (i !== null) return i;
    }
    return (this.indentOf(parent) ?? "") + this.indentUnit();
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf("\n", offset - 1) + 1;
  }

  /** The raw source of an element. */
  source(el: XElement): string {
    return this.text.slice(el.start, el.end);
  }

  // ---- edit builders (each returns the complete new text) ----

  /** Set (or add, after the last attribute) an attribute. */
  setAttr(el: XElement, name: string, value: string): string {
    return this.splice([this.setAttrEdit(el, name, value)]);
  }

  setAttrEdit(el: XElement, name: string, value: string): { start: number; end: number; text: string } {
    const a = el.attrs.find((x) => x.name === name);
    if (a) return { start: a.valueStart, end: a.valueEnd, text: escapeAttr(value) };
    const at = el.attrs.length ? el.attrs[el.attrs.length - 1].end : el.start + 1 + el.name.length;
    return { start: at, end: at, text: ` ${name}="${escapeAttr(value)}"` };
  }

  /** Remove an element; when it is alone on its line(s), the whole line goes with it. */
  remove(el: XElement): string {
    const lineStart = this.lineStart(el.start);
    const before = this.text.slice(lineStart, el.start);
    const afterMatch = /^[ \t]*(\r?\n)?/.exec(this.text.slice(el.end))!;
    if (/^[ \t]*$/.test(before) && afterMatch[1] !== undefined) {
      return this.splice([{ start: lineStart, end: el.end + afterMatch[0].length, text: "" }]);
    }
    return this.splice([{ start: el.start, end: el.end, text: "" }]);
  }

  /**
   * Insert an element (given as lines of markup, relative indentation with `indentUnit()` steps) as a
   * child of `parent`: after `after` when given, else before `before`, else as the last child.
   */
  insert(parent: XElement, markup: XBuild, where: { after?: XElement; before?: XElement } = {}): string {
    const nl = this.newline;
    const indent = this.childIndent(parent);
    const body = render(markup, indent, this.indentUnit(), nl);
    if (where.after) return this.splice([{ start: where.after.end, end: where.after.end, text: nl + indent + body }]);
    if (where.before) {
      const lineStart = this.lineStart(where.before.start);
      if (this.indentOf(where.before) !== null) return this.splice([{ start: lineStart, end: lineStart, text: indent + body + nl }]);
      return this.splice([{ start: where.before.start, end: where.before.start, text: body + nl + indent }]);
    }
    const last = parent.children[parent.children.length - 1];
    if (last) {
      // after the last child element, but also after comments that follow it on their own lines
      const between = this.text.slice(last.end, parent.endTagStart);
      const m = /^(?:[\s]*<!--[\s\S]*?-->)*/.exec(between);
      const at = last.end + (m ? m[0].length : 0);
      return this.splice([{ start: at, end: at, text: nl + indent + body }]);
    }
    const parentIndent = this.indentOf(parent) ?? "";
    if (parent.selfClosing) {
      // `<x a="1" />` -> `<x a="1">` + child + `</x>`
      let s = parent.end - 2;
      while (/\s/.test(this.text[s - 1])) s--;
      return this.splice([{ start: s, end: parent.end, text: `>${nl}${indent}${body}${nl}${parentIndent}</${parent.name}>` }]);
    }
    const inner = this.text.slice(parent.startTagEnd, parent.endTagStart);
    if (/^\s*$/.test(inner)) {
      return this.splice([{ start: parent.startTagEnd, end: parent.endTagStart, text: `${nl}${indent}${body}${nl}${parentIndent}` }]);
    }
    return this.splice([{ start: parent.endTagStart, end: parent.endTagStart, text: `${indent.slice(parentIndent.length)}${body}${nl}${parentIndent}` }]);
  }
}

/** Markup to insert: an element with attributes (in order) and children. */
export interface XBuild {
  name: string;
  attrs?: [string, string][];
  children?: XBuild[];
}

export function render(b: XBuild, indent: string, unit: string, nl: string): string {
  const attrs = (b.attrs ?? []).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join("");
  if (!b.children || b.children.length === 0) return `<${b.name}${attrs} />`;
  const inner = b.children.map((c) => indent + unit + render(c, indent + unit, unit, nl)).join(nl);
  return `<${b.name}${attrs}>${nl}${inner}${nl}${indent}</${b.name}>`;
}

// ---- queries ----

export function attr(el: XElement, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

export function child(el: XElement, name: string): XElement | undefined {
  return el.children.find((c) => c.name === name);
}

export function childrenNamed(el: XElement, name: string): XElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Follow a path of child names from `el`; undefined when any step is missing. */
export function descend(el: XElement | undefined, ...names: string[]): XElement | undefined {
  let cur = el;
  for (const n of names) {
    if (!cur) return undefined;
    cur = child(cur, n);
  }
  return cur;
}
