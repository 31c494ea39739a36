import { realpathSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/**
 * Target strings: `lab:DIR` (a lab server folder), `local` (this Windows machine), and
 * `ssh://user@host[:port]` (OpenSSH). Host and user are validated before they reach an ssh argv:
 * a host starting with `-` would be read as an option.
 */
const SSH = /^ssh:\/\/(?:([A-Za-z0-9._\\-]+)@)?([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(\d+))?\/?$/;

export const Target = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("lab"), dir: z.string().min(1) }),
  z.object({ kind: z.literal("local") }),
  z.object({ kind: z.literal("ssh"), user: z.string().optional(), host: z.string(), port: z.number().int().min(1).max(65535) }),
]);
export type Target = z.infer<typeof Target>;

export class TargetError extends Error {}

export function parseTarget(text: string): Target {
  if (text.startsWith("lab:")) {
    const dir = text.slice(4);
    if (!dir) throw new TargetError(`target ${JSON.stringify(text)}: expected lab:DIR`);
    return { kind: "lab", dir };
  }
  if (text === "local") return { kind: "local" };
  if (text.startsWith("ssh://")) {
    const m = SSH.exec(text);
    if (!m) throw new TargetError(`target ${JSON.stringify(text)}: expected ssh://user@host[:port] (letters, digits, . - _ only)`);
    const port = m[3] ? Number(m[3]) : 22;
    if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new TargetError(`target ${JSON.stringify(text)}: port expected 1..65535, got ${m[3]}`);
    if (m[1]?.startsWith("-")) throw new TargetError(`target ${JSON.stringify(text)}: user must not start with "-"`);
    return { kind: "ssh", user: m[1], host: m[2].replace(/^\[(.*)\]$/, "$1"), port };
  }
  throw new TargetError(`target ${JSON.stringify(text)}: expected lab:DIR, local or ssh://user@host[:port]`);
}

export function formatTarget(t: Target): string {
  if (t.kind === "lab") return `lab:${t.dir}`;
  if (t.kind === "local") return "local";
  const host = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `ssh://${t.user ? `${t.user}@` : ""}${host}${t.port === 22 ? "" : `:${t.port}`}`;
}

/**
 * Which server a target reaches, for "one writer per server": a lab folder by its real path (so
 * `lab:D`, `lab:D/` and `lab:./D` are one), ssh by host and port (host lower-cased, the default port
 * filled in; any user: two accounts on one host are still one IIS), `local` as itself.
 */
export function serverIdentity(t: Target): string {
  if (t.kind === "lab") {
    const abs = path.resolve(t.dir);
    try {
      return `lab:${realpathSync(abs)}`;
    } catch {
      return `lab:${abs}`;
    }
  }
  if (t.kind === "local") return "local";
  return `ssh://${t.host.toLowerCase()}:${t.port}`;
}
