/**
 * The OEM code pages Windows console programs write redirected output in: 437 (en-US) and 850
 * (de-DE, fr-FR), as .NET's Encoding.GetEncoding(437|850) maps them (test/lab-locale.test.ts compares
 * all 256 bytes with .NET).
 */

// 0x80-0xFF of each code page (0x00-0x7F are ASCII, control characters included), as
// [Text.Encoding]::GetEncoding(N).GetString([byte[]](128..255)) returns them in .NET.
const CP437_HIGH =
  "\u00C7\u00FC\u00E9\u00E2\u00E4\u00E0\u00E5\u00E7\u00EA\u00EB\u00E8\u00EF\u00EE\u00EC\u00C4\u00C5" + // 0x80-0x8F
  "\u00C9\u00E6\u00C6\u00F4\u00F6\u00F2\u00FB\u00F9\u00FF\u00D6\u00DC\u00A2\u00A3\u00A5\u20A7\u0192" + // 0x90-0x9F
  "\u00E1\u00ED\u00F3\u00FA\u00F1\u00D1\u00AA\u00BA\u00BF\u2310\u00AC\u00BD\u00BC\u00A1\u00AB\u00BB" + // 0xA0-0xAF
  "\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255D\u255C\u255B\u2510" + // 0xB0-0xBF
  "\u2514\u2534\u252C\u251C\u2500\u253C\u255E\u255F\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u2567" + // 0xC0-0xCF
  "\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256B\u256A\u2518\u250C\u2588\u2584\u258C\u2590\u2580" + // 0xD0-0xDF
  "\u03B1\u00DF\u0393\u03C0\u03A3\u03C3\u00B5\u03C4\u03A6\u0398\u03A9\u03B4\u221E\u03C6\u03B5\u2229" + // 0xE0-0xEF
  "\u2261\u00B1\u2265\u2264\u2320\u2321\u00F7\u2248\u00B0\u2219\u00B7\u221A\u207F\u00B2\u25A0\u00A0"; // 0xF0-0xFF

const CP850_HIGH =
  "\u00C7\u00FC\u00E9\u00E2\u00E4\u00E0\u00E5\u00E7\u00EA\u00EB\u00E8\u00EF\u00EE\u00EC\u00C4\u00C5" + // 0x80-0x8F
  "\u00C9\u00E6\u00C6\u00F4\u00F6\u00F2\u00FB\u00F9\u00FF\u00D6\u00DC\u00F8\u00A3\u00D8\u00D7\u0192" + // 0x90-0x9F
  "\u00E1\u00ED\u00F3\u00FA\u00F1\u00D1\u00AA\u00BA\u00BF\u00AE\u00AC\u00BD\u00BC\u00A1\u00AB\u00BB" + // 0xA0-0xAF
  "\u2591\u2592\u2593\u2502\u2524\u00C1\u00C2\u00C0\u00A9\u2563\u2551\u2557\u255D\u00A2\u00A5\u2510" + // 0xB0-0xBF
  "\u2514\u2534\u252C\u251C\u2500\u253C\u00E3\u00C3\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u00A4" + // 0xC0-0xCF
  "\u00F0\u00D0\u00CA\u00CB\u00C8\u0131\u00CD\u00CE\u00CF\u2518\u250C\u2588\u2584\u00A6\u00CC\u2580" + // 0xD0-0xDF
  "\u00D3\u00DF\u00D4\u00D2\u00F5\u00D5\u00B5\u00FE\u00DE\u00DA\u00DB\u00D9\u00FD\u00DD\u00AF\u00B4" + // 0xE0-0xEF
  "\u00AD\u00B1\u2017\u00BE\u00B6\u00A7\u00F7\u00B8\u00B0\u00A8\u00B7\u00B9\u00B3\u00B2\u25A0\u00A0"; // 0xF0-0xFF

/**
 * Best-fit replacements Windows (WideCharToMultiByte without WC_NO_BEST_FIT_CHARS) and .NET make
 * for characters the code page lacks, limited to the ones the lab's own messages contain: the
 * French 1332/1376 texts use U+2019. Every other unmappable character becomes `?`.
 */
const BEST_FIT: Readonly<Record<number, number>> = {
  0x2019: 0x27, // ’ -> ' in 437 and 850 (.NET GetEncoding(437|850).GetBytes)
};

const TABLES = new Map<number, { decode: string[]; encode: Map<number, number> }>();

function table(codePage: number): { decode: string[]; encode: Map<number, number> } {
  let t = TABLES.get(codePage);
  if (t) return t;
  const high = codePage === 437 ? CP437_HIGH : codePage === 850 ? CP850_HIGH : null;
  if (high === null) throw new RangeError(`unsupported OEM code page ${codePage} (437 and 850 are)`);
  const decode: string[] = [];
  for (let b = 0; b < 128; b++) decode.push(String.fromCharCode(b));
  for (const ch of high) decode.push(ch);
  const encode = new Map<number, number>();
  decode.forEach((ch, b) => encode.set(ch.codePointAt(0)!, b));
  t = { decode, encode };
  TABLES.set(codePage, t);
  return t;
}

/** Text in an OEM code page (437 or 850); characters it lacks become `?` (see BEST_FIT). */
export function encodeOem(text: string, codePage: number): Buffer {
  const { encode } = table(codePage);
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out.push(encode.get(cp) ?? BEST_FIT[cp] ?? 0x3f);
  }
  return Buffer.from(out);
}

/** Bytes in an OEM code page (437 or 850) as text. */
export function decodeOem(buf: Uint8Array, codePage: number): string {
  const { decode } = table(codePage);
  let s = "";
  for (const b of buf) s += decode[b];
  return s;
}
