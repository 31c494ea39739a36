/**
 * Text files as Windows tools write them.
 *
 * - readAllText: what .NET's File.ReadAllText returns (the agent reads applicationHost.config with it):
 *   UTF-8 unless a byte order mark says UTF-16 LE/BE; the mark itself is dropped.
 * - decodeDataFile: the same, and UTF-16LE without a mark recognised by its NUL bytes. Windows
 *   PowerShell 5.1 writes UTF-16LE for `>` and Out-File (about_Character_Encoding), so an evidence file
 *   saved with `> evidence.json` is read as well as one written with -OutFile (UTF-8, no mark).
 */
export function readAllText(buf: Uint8Array): string {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString("utf8");
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString("utf16le");
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2)).swap16().toString("utf16le");
  return b.toString("utf8");
}

export function decodeDataFile(buf: Uint8Array): string {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 4 && b.length % 2 === 0 && b[0] !== 0 && b[1] === 0 && b[3] === 0) return b.toString("utf16le");
  return readAllText(b);
}
