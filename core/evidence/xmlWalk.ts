import { SaxesParser } from "saxes";
import { EvidenceError } from "./errors";

/**
 * A streaming walk over an XML document that calls `open(path, attrs)` for every element, with the
 * element names from the root. Used for the small documents the health group reads (applicationHost.config's
 * pool and compression sections, web.config files, `appcmd list … /xml` output). Throws EvidenceError
 * naming `field` for an empty or malformed document, or one whose root is not `root`.
 */
export function walkXml(xml: string, field: string, root: string, open: (path: readonly string[], attrs: Record<string, string>) => void, hint = ""): void {
  if (typeof xml !== "string" || /^\uFEFF?\s*$/.test(xml)) throw new EvidenceError(field, "the document is empty");
  const stack: string[] = [];
  const parser = new SaxesParser({ position: true });
  const where = () => `not well-formed XML at line ${parser.line}, column ${parser.column}`;
  parser.on("error", (err) => {
    throw new EvidenceError(field, `${where()}: ${String((err as Error).message ?? err).replace(/^\d+:\d+:\s*/, "")}`);
  });
  parser.on("opentag", (tag) => {
    stack.push(tag.name);
    if (stack.length === 1 && tag.name !== root) throw new EvidenceError(field, `the root element is <${tag.name}>, expected <${root}>${hint}`);
    open(stack, tag.attributes as Record<string, string>);
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  try {
    parser.write(xml.replace(/^\uFEFF/, ""));
    parser.close();
  } catch (err) {
    if (err instanceof EvidenceError) throw err;
    throw new EvidenceError(field, `${where()}: ${(err as Error).message}`);
  }
}
