/**
 * Windows command-line parsing as CommandLineToArgvW / the MSVC runtime do it: arguments split on
 * unquoted spaces/tabs; `"` toggles quoting; 2n backslashes before `"` are n backslashes and a quote
 * toggle, 2n+1 are n backslashes and a literal `"`; other backslashes are literal; `""` inside quotes
 * is a literal quote (post-2008 runtime rule). The lab parses every command with this, and the quoting
 * module is fuzz-tested against it.
 */
export function parseWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let cur = "";
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; ) {
    const c = line[i];
    if (c === "\\") {
      let n = 0;
      while (line[i] === "\\") {
        n++;
        i++;
      }
      if (line[i] === '"') {
        cur += "\\".repeat(Math.floor(n / 2));
        if (n % 2 === 1) {
          cur += '"';
          i++;
        }
      } else {
        cur += "\\".repeat(n);
      }
      started = true;
      continue;
    }
    if (c === '"') {
      if (inQuotes && line[i + 1] === '"') {
        cur += '"';
        i += 2;
      } else {
        inQuotes = !inQuotes;
        i++;
      }
      started = true;
      continue;
    }
    if ((c === " " || c === "\t") && !inQuotes) {
      if (started) args.push(cur);
      cur = "";
      started = false;
      i++;
      continue;
    }
    cur += c;
    started = true;
    i++;
  }
  if (started) args.push(cur);
  return args;
}
