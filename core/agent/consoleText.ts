/**
 * How an agent reads what a console program printed into a pipe. Windows console programs write
 * redirected output in the OEM code page (850 on German and French servers) unless the console code
 * page was set to UTF-8 (PowerShell/Win32-OpenSSH #1768; oceanbase/powercontext PR #1636 for icacls).
 * Bytes that are valid UTF-8 are read as UTF-8, anything else as the OEM code page: an OEM accented
 * letter (0x80-0xFF) standing alone is never valid UTF-8. scripts/agent.ps1
 * (ConvertFrom-WsusConsoleBytes) does the same.
 */
import { decodeOem } from "../text/oem";

export function decodeConsoleBytes(bytes: Uint8Array, oemCodePage: number): string {
  if (bytes.length === 0) return "";
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return decodeOem(bytes, oemCodePage);
  }
}
