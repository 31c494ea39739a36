// The stack program (root index.ts) under mocks, with the real stack config of Pulumi.lab.yaml.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { configPath, parseServersConfig, StackConfigError } from "../components/stack";
import { SECRET_SIG, SIG_KEY } from "./harness/analyzer";
import { defaultNewResource, setRecordingMocks, stubSerializeFunction, valueOf, type Registered } from "./harness/policyRecording";

const root = path.join(__dirname, "..");
const SERVER = "pulumi-nodejs:dynamic/wsus-iis:WsusIisServer";

/** Stack config as the CLI hands it to the program: every value a string; objects as JSON. */
function labConfig(): Record<string, string> {
  const doc = parseYaml(readFileSync(path.join(root, "Pulumi.lab.yaml"), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

let records: Registered[];
/** Servers whose mock state reports a failing finding (drift). */
const drifted = new Set<string>();

beforeAll(async () => {
  stubSerializeFunction();
  records = await setRecordingMocks(
    {
      newResource: (a) => {
        const r = defaultNewResource(a);
        if (a.type === SERVER && drifted.has(a.name)) {
          r.state = {
            ...r.state,
            compliant: false,
            findings: [{ rule: "selfupdate-anonymous", cause: 4, severity: "error", status: "fail", target: "Default Web Site/SelfUpdate", message: "anonymous authentication is off", remediation: "" }],
          };
        }
        return r;
      },
    },
    "wsus-iis",
    "lab",
  );
});

type Program = typeof import("../index.js");
async function runProgram(config: Record<string, string>, secretKeys: string[] = []): Promise<Program> {
  pulumi.runtime.setAllConfig(config, secretKeys);
  vi.resetModules(); // the program reads config and creates resources when it is loaded
  return import("../index.js");
}

describe("Pulumi.yaml", () => {
  it("names the project wsus-iis (the config namespace) and runs index.ts with TypeScript", () => {
    const project = parseYaml(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
    expect(project).toMatchObject({ name: "wsus-iis", main: "index.ts", runtime: { name: "nodejs", options: { typescript: true } } });
    // CommonJS package: the language host registers ts-node in CJS mode (no "type": "module")
    expect(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).type).toBeUndefined();
    const policy = parseYaml(readFileSync(path.join(root, "policies", "PulumiPolicy.yaml"), "utf8"));
    expect(policy).toMatchObject({ runtime: "nodejs" });
    expect(JSON.parse(readFileSync(path.join(root, "policies", "package.json"), "utf8"))).toMatchObject({ version: "0.1.0", main: "index.ts" });
  });
});

describe("stack program (index.ts) with Pulumi.lab.yaml", () => {
  it("Pulumi.lab.yaml targets two lab servers, Configuration 1 and 2", () => {
    const servers = parseServersConfig(JSON.parse(labConfig()["wsus-iis:servers"]));
    expect(servers.map((s) => [s.name, s.target, s.configuration, s.profile])).toEqual([
      ["wsus01", "lab:./.lab/wsus01", 1, "kb920659"],
      ["wsus02", "lab:./.lab/wsus02", 2, "modern"],
    ]);
  });

  it("one WsusIisLayout per server, exports per-server compliance", async () => {
    const from = records.length;
    const program = await runProgram(labConfig());
    expect(await valueOf(program.servers)).toEqual({
      wsus01: { target: "lab:./.lab/wsus01", configuration: 1, profile: "kb920659", compliant: true, failing: 0 },
      wsus02: { target: "lab:./.lab/wsus02", configuration: 2, profile: "modern", compliant: true, failing: 0 },
    });
    expect(await valueOf(program.compliant)).toBe(true);
    expect(await valueOf(program.drifted)).toEqual([]);
    const mine = records.slice(from);
    expect(mine.filter((r) => r.type === "wsus-iis:index:WsusIisLayout").map((r) => [r.name, r.inputs.target, r.inputs.spec.configuration, r.inputs.spec.profile])).toEqual([
      ["wsus01", "lab:./.lab/wsus01", 1, "kb920659"],
      ["wsus02", "lab:./.lab/wsus02", 2, "modern"],
    ]);
    expect(mine.find((r) => r.name === "wsus02-server")?.inputs.spec).toMatchObject({ configuration: 2, profile: "modern", sharePoint: { expected: "no" }, adminSite: { httpPort: 8530 } });
  });

  it("drift shows in the exports; credentials from config stay secret", async () => {
    drifted.add("b-server");
    const from = records.length;
    const servers = [
      { name: "a", target: "ssh://admin@wsus-a", credentials: { sshIdentity: "/keys/wsus_a" } },
      { name: "b", target: "lab:./.lab/b", configuration: 2, overrides: { computerName: "WSUSB" } },
    ];
    const program = await runProgram({ "wsus-iis:servers": JSON.stringify(servers) }, ["wsus-iis:servers"]);
    expect(await valueOf(program.servers)).toMatchObject({ a: { compliant: true, failing: 0 }, b: { compliant: false, failing: 1 } });
    expect(await valueOf(program.drifted)).toEqual(["b"]);
    expect(await valueOf(program.compliant)).toBe(false);
    const mine = records.slice(from);
    const secret = { [SIG_KEY]: SECRET_SIG, value: { sshIdentity: "/keys/wsus_a" } };
    expect(mine.find((r) => r.name === "a")?.wire.credentials).toEqual(secret);
    expect(mine.find((r) => r.name === "a-server")?.wire.credentials).toEqual(secret);
    expect(mine.find((r) => r.name === "b-server")?.inputs.spec).toMatchObject({ computerName: "WSUSB" });
  });
});

describe("bad stack config fails with the config path named", () => {
  const bad = (servers: unknown) => () => parseServersConfig(servers);

  it("field errors", () => {
    expect(bad([{ name: "a", target: "lab:./x" }, { name: "b", target: "ftp://wsus" }])).toThrow(
      "wsus-iis:servers[1].target: expected lab:DIR, local or ssh://user@host[:port], got \"ftp://wsus\"",
    );
    expect(bad([{ name: "a", target: "local", configuration: 3 }])).toThrow("wsus-iis:servers[0].configuration: expected 1, 2 or auto, got 3");
    expect(bad([{ name: "a", target: "local", overrides: { adminSite: { httpPort: 70000 } } }])).toThrow(
      "wsus-iis:servers[0].overrides.adminSite.httpPort: expected 1..65535, got 70000",
    );
    expect(bad([{ name: "a", target: "local", overrides: { bindings: { mode: "addresses", addresses: ["x"] } } }])).toThrow(
      'wsus-iis:servers[0].overrides.bindings.addresses[0]: expected an IPv4 or IPv6 address, got "x"',
    );
    expect(bad([{ name: "a", target: "local", overrides: { profile: "modern" } }])).toThrow("wsus-iis:servers[0].overrides: set configuration and profile on the server entry");
    expect(bad([{ name: "a", target: "local" }, { name: "A", target: "lab:x" }])).toThrow('wsus-iis:servers[1].name: duplicate name (servers[0] is also "A")');
    expect(bad([{ name: "a", target: "local", credentials: { password: "x" } }])).toThrow(/wsus-iis:servers\[0\]\.credentials: Unrecognized key: "password"/);
    expect(bad([])).toThrow("wsus-iis:servers: expected at least one server");
    expect(bad({ name: "a" })).toThrow(/^invalid stack configuration:\n  wsus-iis:servers: /);
  });

  it("every bad field at once", () => {
    try {
      parseServersConfig([{ name: "a", target: "nope" }, { name: "-b", target: "local" }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StackConfigError);
      expect((e as StackConfigError).issues).toEqual([
        'wsus-iis:servers[0].target: expected lab:DIR, local or ssh://user@host[:port], got "nope"',
        'wsus-iis:servers[1].name: expected a name of letters, digits and . _ - (max 63), got "-b"',
      ]);
    }
  });

  it("the program itself fails with the named field (and when servers is missing)", async () => {
    await expect(runProgram({ "wsus-iis:servers": JSON.stringify([{ name: "a", target: "local" }, { name: "b", target: "ssh://-oProxyCommand=x" }]) })).rejects.toThrow(
      /wsus-iis:servers\[1\]\.target: expected ssh:\/\/user@host\[:port\]/,
    );
    await expect(runProgram({})).rejects.toThrow("wsus-iis:servers: required");
  });

  it("configPath formats paths like the stack config", () => {
    expect(configPath("wsus-iis:servers", [1, "overrides", "vdirs", "Content", "physicalPath"])).toBe("wsus-iis:servers[1].overrides.vdirs.Content.physicalPath");
  });
});

/**
 * Issue 12: stack config that cannot surprise. The README's `pulumi config set --path` lines, replayed
 * the way the CLI stores them (pulumi/pulumi v3.248.0 pkg/cmd/pulumi/config/config.go `set`: "When
 * setting the config for a path, "true" and "false" are treated as boolean values, and integers are
 * treated as numbers. All other values are treated as strings"), then through the stack program.
 */
describe("stack config as `pulumi config set --path` writes it (the README's own commands)", () => {
  /** `servers[0].credentials.sshIdentity` → ["servers", 0, "credentials", "sshIdentity"]. */
  function pathOf(key: string): (string | number)[] {
    const out: (string | number)[] = [];
    for (const m of key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
    return out;
  }
  function typed(value: string): unknown {
    if (value === "true" || value === "false") return value === "true";
    if (/^-?\d+$/.test(value)) return Number(value);
    return value;
  }
  function apply(config: Record<string, unknown>, line: string): { key: string; secret: boolean } {
    const m = /^pulumi config set (?<flags>(?:--\S+ )*)'(?<key>[^']+)' (?<value>\S+)$/.exec(line.trim());
    if (!m?.groups) throw new Error(`not a config set line: ${line}`);
    expect(m.groups.flags).toContain("--path");
    const [top, ...rest] = pathOf(m.groups.key);
    let node = config as Record<string | number, unknown>;
    let key: string | number = top;
    for (const next of rest) {
      node[key] ??= typeof next === "number" ? [] : {};
      node = node[key] as Record<string | number, unknown>;
      key = next;
    }
    node[key] = typed(m.groups.value);
    return { key: String(top), secret: m.groups.flags.includes("--secret") };
  }

  it("the README's lines give a valid list, typed as the CLI types it, with the credentials secret", async () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const lines = readme.split("\n").filter((l) => l.startsWith("pulumi config set --path"));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const config: Record<string, unknown> = {};
    const secrets = new Set<string>();
    for (const l of lines) {
      const { key, secret } = apply(config, l);
      if (secret) secrets.add(`wsus-iis:${key}`);
    }
    const servers = parseServersConfig(config.servers);
    expect(servers).toEqual([
      expect.objectContaining({ name: "wsus01", target: "ssh://admin@wsus01.corp.example", configuration: 2, profile: "modern", removeOnDelete: false, credentials: { sshIdentity: "/home/ci/.ssh/wsus_ed25519", knownHostsFile: "/home/ci/.ssh/known_hosts" } }),
    ]);
    // the program, given this config as the language host hands it over (objects as JSON, secret keys listed)
    const program = await runProgram({ "wsus-iis:servers": JSON.stringify(config.servers) }, [...secrets]);
    expect(await valueOf(program.servers)).toMatchObject({ wsus01: { target: "ssh://admin@wsus01.corp.example", configuration: 2, profile: "modern" } });
  });

  it("Pulumi.yaml carries no server list (project config is every stack's default); a stack without one stops with one line", async () => {
    const project = parseYaml(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, unknown> };
    expect(Object.keys(project.config ?? {}).filter((k) => /servers/.test(k))).toEqual([]);
    const err = await runProgram({}).catch((e: Error) => e);
    expect(String((err as Error).message).split("\n").filter(Boolean)).toHaveLength(2);
    expect((err as Error).message).toContain("wsus-iis:servers: required (a list of { name, target, configuration?, profile?, overrides?, credentials? })");
  });
});
