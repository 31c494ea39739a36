import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./http-lab";

/**
 * A throwaway OpenSSH server on 127.0.0.1 for the ssh transport tests: its own host key, config,
 * authorized_keys and pid file in a temp folder, started as the current user (`sshd -D -e`), never
 * listening beyond loopback. Each lab gets its own user key whose authorized_keys line forces
 * `wsus-iis lab agent <lab dir>`, so `ssh://user@127.0.0.1:PORT` with that key reaches that lab the way
 * a Windows server's `powershell -Command -` would be reached.
 */

export const SSHD = "/usr/sbin/sshd";
const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "wsus-iis.js");

/** Why the ssh tests cannot run here, or null when sshd, ssh and ssh-keygen are installed. */
export function sshUnavailable(): string | null {
  const missing = [SSHD, "ssh", "ssh-keygen"].filter((p) => {
    if (p.startsWith("/")) return !existsSync(p);
    try {
      execFileSync("sh", ["-c", `command -v ${p}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  return missing.length ? `OpenSSH not installed (missing ${missing.join(", ")}; Debian: apt-get install openssh-server openssh-client)` : null;
}

export interface LabKey {
  /** Private key file for `--ssh-identity` / SshOptions.identityFile. */
  identityFile: string;
  labDir: string;
}

export interface TestSshd {
  port: number;
  /** The user the forced commands run as (the current user). */
  user: string;
  /** `ssh://user@127.0.0.1:PORT` */
  target: string;
  /** known_hosts with `[127.0.0.1]:PORT <host key>`. */
  knownHosts: string;
  /** The temp folder holding keys, config, logs. */
  dir: string;
  /**
   * A key whose forced command is the lab in labDir: `wsus-iis lab agent <labDir>` (the TypeScript
   * agent answers) or, for `powershell`, `wsus-iis lab login <labDir>` (the lab's powershell.exe
   * launcher runs the real scripts/agent.ps1, as OpenSSH for Windows would run powershell.exe).
   */
  addLab(labDir: string, agent?: "typescript" | "powershell"): LabKey;
  /** What sshd wrote on stderr so far (for failing tests). */
  log(): string;
  stop(): Promise<void>;
}

function keygen(file: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { stdio: "ignore" });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wsus-iis-sshd-"));
  const user = os.userInfo().username;
  const hostKey = path.join(dir, "host_ed25519");
  keygen(hostKey, "wsus-iis-test-host");
  const authorizedKeys = path.join(dir, "authorized_keys");
  writeFileSync(authorizedKeys, "", { mode: 0o600 });
  // sshd's privilege separation directory (absent on a machine where sshd never ran)
  if (!existsSync("/run/sshd")) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  let port = 0;
  let child: ChildProcess | undefined;
  let stderr = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    const config = path.join(dir, "sshd_config");
    writeFileSync(
      config,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "AuthenticationMethods publickey",
        "PermitRootLogin prohibit-password",
        "PermitUserEnvironment no",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    stderr = "";
    child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    try {
      await waitForPort(port, child, () => stderr);
      break;
    } catch (e) {
      child.kill("SIGTERM");
      child = undefined;
      // someone took the port between freePort() and sshd's bind: try another one
      if (attempt === 4 || !/Address already in use|Cannot bind/i.test(stderr)) throw e;
    }
  }
  const proc = child!;

  const knownHosts = path.join(dir, "known_hosts");
  const pub = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${pub}\n`);

  let labs = 0;
  return {
    port,
    user,
    target: `ssh://${user}@127.0.0.1:${port}`,
    knownHosts,
    dir,
    addLab(labDir: string, agent: "typescript" | "powershell" = "typescript"): LabKey {
      const identityFile = path.join(dir, `lab${++labs}_ed25519`);
      keygen(identityFile, `wsus-iis-test-lab${labs}`);
      const key = readFileSync(`${identityFile}.pub`, "utf8").trim();
      const abs = path.resolve(labDir);
      if (/["\\\s]/.test(abs) || /["\\\s]/.test(process.execPath)) throw new Error(`paths with quotes, backslashes or spaces are not supported here: ${abs}`);
      const command = `${process.execPath} ${BIN} lab ${agent === "powershell" ? "login" : "agent"} ${abs}`;
      appendFileSync(authorizedKeys, `command="${command}",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding ${key}\n`);
      return { identityFile, labDir: abs };
    },
    log: () => stderr,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
