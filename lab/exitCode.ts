/**
 * A Windows exit code as a Linux process can return it: only 8 bits reach the parent (`1603` arrives as
 * 67). A code whose low byte is 0 (256, 1536 …) would read as success, so it becomes 255: the lab never
 * turns a failure into a success.
 */
export function linuxExitCode(code: number): number {
  const low = code & 0xff;
  return code !== 0 && low === 0 ? 255 : low;
}

