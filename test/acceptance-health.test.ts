// Issue 13's acceptance, as a user types it, with the real CLI (bin/wsus-iis.js) on a lab server, with the
// TypeScript agent and, where pwsh is installed, the PowerShell agent (scripts/agent.ps1):
//   wsus-iis lab create DIR --configuration 2 --profile modern --break pool-private-memory,impersonation,pool-stopped
//   wsus-iis check --target lab:DIR --rules kb,health      -> exit 1, exactly those rules failing; probe: 503 / 500.24
//   wsus-iis apply --target lab:DIR --rules kb,health --yes -> converges
//   wsus-iis check --target lab:DIR --rules kb,health      -> exit 0; probe green
// and the default check (rules kb) is unchanged by the health breaks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labAnonymousCanRead } from "../lab/http/anonymousAcl";
import { serveLab } from "../lab/http/server";
import { pwshUnavailable, requirePwsh } from "./helpers/pwsh";
import { cli } from "./support/cli";

const base = mkdtempSync(path.join(tmpdir(), "wsus-health-acc-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const BREAKS = "pool-private-memory,impersonation,pool-stopped";
const HEALTH = ["wsuspool-private-memory", "wsus-impersonation-off", "wsuspool-started"];

interface JsonFinding {
  rule: string;
  status: string;
}
const failing = (stdout: string): string[] => {
  const doc = JSON.parse(stdout);
  const servers = Array.isArray(doc) ? doc : (doc.servers ?? [doc]);
  return servers.flatMap((s: { report?: { findings: JsonFinding[] }; findings?: JsonFinding[] }) => (s.report?.findings ?? s.findings ?? []).filter((f) => f.status === "fail").map((f) => f.rule)).sort();
};

/** `wsus-iis probe` against the lab's HTTP front, as a client on the WSUS site's 8530 would. */
async function probeLab(dir: string): Promise<{ code: number | null; out: string; json: { compliant: boolean; checks: { status?: number; rule?: string; rules?: string[] }[] } }> {
  const server = await serveLab(dir, { portMap: { 80: 0, 8530: 0, 8531: 0, 443: 0 }, anonymousCanRead: labAnonymousCanRead });
  try {
    const port = server.endpoints.find((e) => e.binding.endsWith(":8530:"))?.port;
    expect(port, "the WSUS site listens on 8530").toBeDefined();
    const { spawn } = await import("node:child_process");
    // the CLI in a child process while this process serves the lab (spawnSync would block the server)
    const args = [path.join(__dirname, "..", "bin", "wsus-iis.js"), "probe", `http://127.0.0.1:${port}/`, "--client-port", String(port), "--profile", "modern", "--format", "json", "--timeout", "5000"];
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code: number | null = await new Promise((resolve) => child.on("close", resolve));
    return { code, out, json: JSON.parse(out) };
  } finally {
    await server.close();
  }
}

// the PowerShell agent where pwsh is installed (required with WSUS_IIS_REQUIRE_PWSH=1: then a missing pwsh fails the run)
const withPwsh = pwshUnavailable() === null || requirePwsh;
const agents: [string, Record<string, string>][] = [["typescript", {}], ...(withPwsh ? ([["powershell", { WSUS_IIS_LAB_AGENT: "powershell" }]] as [string, Record<string, string>][]) : [])];

describe.each(agents)("issue 13 acceptance with the %s agent", (_name, env) => {
  const dir = path.join(base, `lab-${_name}`);

  it("lab create --break pool-private-memory,impersonation,pool-stopped; check --rules kb,health exits 1 with exactly those rules failing", () => {
    const created = cli(["lab", "create", dir, "--configuration", "2", "--profile", "modern", "--break", BREAKS]);
    expect(created.code, created.stderr).toBe(0);
    const r = cli(["check", "--target", `lab:${dir}`, "--rules", "kb,health", "--format", "json"], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(failing(r.stdout)).toEqual([...HEALTH].sort());
    const text = cli(["check", "--target", `lab:${dir}`, "--rules", "kb,health"], { env });
    expect(text.stdout).toContain("WSUS IIS health");
  }, 120_000);

  it("the default check (rules kb) does not see the health breaks: exit 0", () => {
    const r = cli(["check", "--target", `lab:${dir}`, "--format", "json"], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(failing(r.stdout)).toEqual([]);
  }, 120_000);

  it("probe: the stopped pool answers 503 (wsuspool-started); after the pool alone is started, impersonation answers 500.24 (wsus-impersonation-off)", async () => {
    const p = await probeLab(dir);
    expect(p.code).toBe(1);
    expect(p.out).toContain("503");
    expect(p.out).toContain("wsuspool-started");
    const started = cli(["lab", "exec", dir, "%windir%\\system32\\inetsrv\\appcmd.exe", "start", "apppool", "/apppool.name:WsusPool"]);
    expect(started.code, started.stdout + started.stderr).toBe(0);
    const q = await probeLab(dir);
    expect(q.code).toBe(1);
    expect(q.out).toContain("500.24");
    expect(q.out).toContain("wsus-impersonation-off");
    const stop = cli(["lab", "exec", dir, "%windir%\\system32\\inetsrv\\appcmd.exe", "stop", "apppool", "/apppool.name:WsusPool"]);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
  }, 120_000);

  it("apply --rules kb,health --yes converges; check exits 0; probe is green", async () => {
    const plan = cli(["plan", "--target", `lab:${dir}`, "--rules", "kb,health"], { env }).stdout;
    // the settings before the start (core/plan/actions.ts ACTION_ORDER)
    expect(plan).toContain("set apppool WsusPool /recycling.periodicRestart.privateMemory:0");
    expect(plan).toContain('set config "WSUS Administration" -section:system.web/identity /impersonate:false /commit:apphost');
    expect(plan.indexOf("start apppool /apppool.name:WsusPool")).toBeGreaterThan(plan.indexOf("privateMemory:0"));
    const a = cli(["apply", "--target", `lab:${dir}`, "--rules", "kb,health", "--yes"], { env });
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toMatch(/applied\s+3 step\(s\), 2 round trip\(s\), compliant/);
    const r = cli(["check", "--target", `lab:${dir}`, "--rules", "kb,health", "--format", "json"], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(failing(r.stdout)).toEqual([]);
    const p = await probeLab(dir);
    expect(p.code, p.out).toBe(0);
    expect(p.json.compliant).toBe(true);
    const again = cli(["plan", "--target", `lab:${dir}`, "--rules", "kb,health"], { env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 180_000);
});
