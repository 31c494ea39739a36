/**
 * Windows command-line parsing as CommandLineToArgvW does it. The program name (argv[0]) only knows
 * quotes. Other arguments split on unquoted spaces/tabs; `"` toggles quoting; 2n backslashes before
 * `"` are n backslashes and a quote toggle, 2n+1 are n backslashes and a literal `"`; other
 * backslashes are literal; `""` inside quotes is a literal quote (post-2008 runtime rule). The lab
 * parses every command with this, and the quoting module is fuzz-tested against it.
 */
export function parseWindowsCommandLine(cmd: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = cmd.length;
  while (i < n && (cmd[i] === " " || cmd[i] === "\t")) i++;
  if (i >= n) return args;
  // argv[0]: quotes only
  let prog = "";
  if (cmd[i] === '"') {
    i++;
    while (i < n && cmd[i] !== '"') prog += cmd[i++];
    if (i < n) i++;
  } else {
    while (i < n && cmd[i] !== " " && cmd[i] !== "\t") prog += cmd[i++];
  }
  args.push(prog);
  for (;;) {
    while (i < n && (cmd[i] === " " || cmd[i] === "\t")) i++;
    if (i >= n) break;
    let arg = "";
    let inQuotes = false;
    while (i < n) {
      const c = cmd[i];
      if (!inQuotes && (c === " " || c === "\t")) break;
      if (c === "\\") {
        let count = 0;
        while (i < n && cmd[i] === "\\") {
          count++;
          i++;
        }
        if (cmd[i] === '"') {
          arg += "\\".repeat(Math.floor(count / 2));
          if (count % 2 === 1) {
            arg += '"';
            i++;
          }
        } else {
          arg += "\\".repeat(count);
        }
        continue;
      }
      if (c === '"') {
        if (inQuotes && cmd[i + 1] === '"') {
          arg += '"';
          i += 2;
          continue;
        }
        inQuotes = !inQuotes;
        i++;
        continue;
      }
      arg += c;
      i++;
    }
    args.push(arg);
  }
  return args;
}

