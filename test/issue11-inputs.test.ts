import { execFileSync } from "node:child_process";
import { promises as fsp, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentRequest } from "../core/agent/protocol";
import { fleetSettings, MAX_TIMEOUT_MS, type FleetOptions } from "../cli/fleet";
import { encodeAnswer, MAX_ANSWER_BYTES } from "../core/agent/wire";
import { CATALOG, resolveLayout } from "../core/model/layout";
import { parseSpec, PROFILES, SpecError, type SpecInput } from "../core/model/spec";
import { planProbe, ProbeInputError } from "../core/probe/verdict";
import { checkTarget } from "../ops/converge";
import { openTransport, TransportError } from "../transports";
import { sshConfigArgument, sshFilePath, SshOptionError, SshTransport } from "../transports/ssh";
import { parseTarget, TargetError } from "../transports/target";
import { brokenLab, COMBOS, configBytes, removeTempDirs, specFor, tempDir } from "./helpers/converge";
import { freePort } from "./helpers/http-lab";
import { sshUnavailable, startSshd, type TestSshd } from "./helpers/sshd";
import { cli } from "./support/cli";

/**
 * Issue 11 ("Plans that are safe by construction"), the input side: spec sanity (item 4), bounded and
 * classified failures (item 6: the answer cap, option values as input, ssh -o quoting, ~ expansion and
 * redaction) and messages (item 8). Each reproduction failed before the change it tests.
 */

afterAll(removeTempDirs);

const COLLECT: AgentRequest = { op: "collect", params: { aclPaths: [], fileDirs: [], groups: [] } };
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);

function specError(input: SpecInput): SpecError {
  try {
    parseSpec(input);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

// ---------------------------------------------------------------------------------------------
// Item 4: windowsAuthVdir is the profile's admin vdir or a custom console vdir, never an anonymous one
// ---------------------------------------------------------------------------------------------

describe("spec sanity: windowsAuthVdir is never one of the anonymous WSUS vdirs (issue 11, item 4)", () => {
  // the list of issue 11, in the spellings of both catalogs and in other cases
  const ANONYMOUS = ["SelfUpdate", "Selfupdate", "selfupdate", "Content", "ClientWebService", "CLIENTWEBSERVICE", "SimpleAuthWebService", "ReportingWebService", "DssAuthWebService", "ServerSyncWebService", "Inventory", "inventory"];

  it.each(PROFILES.flatMap((p) => ["auto", p]).filter((p, i, a) => a.indexOf(p) === i).flatMap((profile) => ANONYMOUS.map((name) => [profile, name] as const)))(
    "profile %s, windowsAuthVdir %s → a spec error naming the field and the value",
    (profile, name) => {
      const e = specError({ profile: profile as "auto", windowsAuthVdir: name });
      expect(e.issues).toHaveLength(1);
      expect(e.issues[0].path).toBe("windowsAuthVdir");
      expect(e.issues[0].message).toMatch(/ is a WSUS client endpoint that must stay anonymous; expected the profile's Windows-auth vdir \(ApiRemoting30 \/ WSUSAdmin\) or a custom console vdir, got /);
      expect(e.issues[0].message.endsWith(`got ${JSON.stringify(name)}`)).toBe(true);
    },
  );

  it("every catalog entry but the profile's own Windows-auth vdir is refused, in each profile (the layout tables, not a copy)", () => {
    for (const profile of PROFILES) {
      const admin = resolveLayout(parseSpec({ profile, configuration: 1 })).windowsAuthVdir;
      for (const entry of CATALOG[profile].filter((c) => c.name !== admin)) {
        expect(() => parseSpec({ profile, windowsAuthVdir: entry.name }), `${profile}: ${entry.name}`).toThrow(SpecError);
      }
    }
  });

  it.each([
    ["kb920659", "WSUSAdmin"],
    ["modern", "ApiRemoting30"],
    ["auto", "WSUSAdmin"],
    ["auto", "ApiRemoting30"],
    ["modern", "wsusadmin"],
    ["kb920659", "Console"],
    ["auto", "SelfUpdateConsole"],
  ] as const)("profile %s, windowsAuthVdir %s is accepted (the admin vdir, or a custom console vdir)", (profile, name) => {
    expect(parseSpec({ profile, windowsAuthVdir: name }).windowsAuthVdir).toBe(name);
  });

  it("the CLI: exit 2 with the message of the issue, and an apply never runs (the lab's config is untouched)", async () => {
    const dir = await brokenLab(COMBOS[2], [4], { decorate: false });
    const before = await configBytes(dir);
    const spec = path.join(await tempDir(), "spec.json");
    writeFileSync(spec, JSON.stringify({ windowsAuthVdir: "ClientWebService" }));
    const r = cli(["apply", "--yes", "--target", `lab:${dir}`, "--config", spec]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `windowsAuthVdir: ClientWebService is a WSUS client endpoint that must stay anonymous; expected the profile's Windows-auth vdir (ApiRemoting30 / WSUSAdmin) or a custom console vdir, got "ClientWebService"`,
    );
    noStack(r.stderr);
    expect((await configBytes(dir)).equals(before)).toBe(true);
  });

  it("probe --windows-auth-vdir follows the same rule", () => {
    expect(() => planProbe("http://wsus01:8530", { windowsAuthVdir: "Selfupdate" })).toThrow(ProbeInputError);
    expect(planProbe("http://wsus01:8530", { windowsAuthVdir: "Console" }).windowsAuthVdir).toBe("Console");
  });
});

// ---------------------------------------------------------------------------------------------
// Item 6: the answer cap
// ---------------------------------------------------------------------------------------------

/** A stand-in for `ssh` (SshOptions.sshPath): a shell script that drains stdin, then runs `body`. */
async function fakeSsh(body: string): Promise<string> {
  const file = path.join(await tempDir("wsus-iis-fake-ssh-"), "ssh");
  await fsp.writeFile(file, `#!/bin/sh\ncat >/dev/null\n${body}\n`, { mode: 0o755 });
  return file;
}

const answerLine = encodeAnswer({ op: "collect", ok: true, configHash: "x", journal: [], evidence: { schema: "wsus-iis/evidence@2", applicationHostConfig: "<configuration/>" } } as never);

/** A fake ssh printing a valid answer line, then `x`s up to exactly `total` bytes of stdout. */
async function answerOfSize(total: number): Promise<string> {
  const answer = path.join(await tempDir("wsus-iis-fake-answer-"), "answer");
  await fsp.writeFile(answer, answerLine);
  return fakeSsh(`cat '${answer}'\nhead -c ${total - Buffer.byteLength(answerLine)} /dev/zero | tr '\\000' x`);
}

async function requestVia(sshPath: string, extra: { maxAnswerBytes?: number; timeoutMs?: number } = {}) {
  const t = openTransport("ssh://admin@wsus01", { ssh: { sshPath, timeoutMs: 60_000, ...extra } });
  return t.request(COLLECT).then(
    (a) => ({ ok: true as const, answer: a }),
    (e: unknown) => ({ ok: false as const, error: e as TransportError }),
  );
}

describe("agent answers are capped (issue 11, item 6): past the cap the request fails as too-large, ssh is stopped", () => {
  const MiB = 1024 * 1024;

  it("an answer of exactly the cap is read; one byte more is too-large, naming the cap", async () => {
    const exact = await requestVia(await answerOfSize(MiB), { maxAnswerBytes: MiB });
    expect(exact.ok, exact.ok ? "" : exact.error.message).toBe(true);
    const over = await requestVia(await answerOfSize(MiB + 1), { maxAnswerBytes: MiB });
    expect(over.ok).toBe(false);
    if (over.ok) return;
    expect(over.error).toBeInstanceOf(TransportError);
    expect(over.error.kind).toBe("too-large");
    expect(over.error.message).toBe("ssh://admin@wsus01: the agent's answer is larger than 1 MiB, the cap on an answer; ssh was stopped");
  });

  it("an endless answer is cut at the cap and ssh is killed at once (not left to the request timeout)", async () => {
    const pidFile = path.join(await tempDir(), "pid");
    const ssh = await fakeSsh(`echo $$ > '${pidFile}'\nexec yes wsus-iis-noise`);
    const started = Date.now();
    const r = await requestVia(ssh, { maxAnswerBytes: MiB, timeoutMs: 60_000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe("too-large");
    expect(Date.now() - started).toBeLessThan(20_000);
    const pid = Number(await fsp.readFile(pidFile, "utf8"));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it("a flood on stderr is capped too", async () => {
    const r = await requestVia(await fakeSsh("head -c 2000000 /dev/zero | tr '\\000' e >&2"), { maxAnswerBytes: MiB });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe("too-large");
    expect(r.error.message).toContain("error output is larger than 1 MiB");
  });

  it("the default cap is 64 MiB: 64 MiB of answer are read, 64 MiB + 1 byte are refused", { timeout: 120_000 }, async () => {
    expect(MAX_ANSWER_BYTES).toBe(64 * MiB);
    const exact = await requestVia(await answerOfSize(64 * MiB));
    expect(exact.ok, exact.ok ? "" : exact.error.message).toBe(true);
    const over = await requestVia(await answerOfSize(64 * MiB + 1));
    expect(over.ok).toBe(false);
    if (over.ok) return;
    expect(over.error.kind).toBe("too-large");
    expect(over.error.message).toContain("larger than 64 MiB");
  });

  it("the CLI: a server answering 65 MiB is exit 3 naming the cap; the other server of the fleet is still checked", { timeout: 120_000 }, async () => {
    const bin = path.dirname(await fakeSsh("head -c 68157440 /dev/zero | tr '\\000' A"));
    const lab = await brokenLab(COMBOS[3], [], { decorate: false });
    const r = cli(["check", "--target", "ssh://admin@flood.example", "--target", `lab:${lab}`, "--no-progress"], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/ssh:\/\/admin@flood\.example: the agent's answer is larger than 64 MiB, the cap on an answer; ssh was stopped/);
    expect(r.stdout).toMatch(new RegExp(`\\[lab:${lab.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]: COMPLIANT`));
    noStack(r.stderr);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 6: option values are input (exit 2), checked before any server is touched
// ---------------------------------------------------------------------------------------------

describe("fleet options are validated up front (issue 11, item 6)", () => {
  const base: FleetOptions = { concurrency: "16" };
  const message = (opts: Partial<FleetOptions>) => {
    try {
      fleetSettings({ ...base, ...opts });
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };

  it.each(["abc", "", "0", "-5", "1.5", "1e3", "0x10", " 5", String(MAX_TIMEOUT_MS + 1), "3000000000"])("--timeout %j is refused, naming the option and the value", (v) => {
    expect(message({ timeout: v })).toBe(`--timeout: expected a whole number 1..2147483647 ms, got ${JSON.stringify(v)}`);
  });

  it.each(["abc", "0", "1025", "1e1", "2.5", ""])("--concurrency %j is refused", (v) => {
    expect(message({ concurrency: v })).toBe(`--concurrency: expected a whole number 1..1024, got ${JSON.stringify(v)}`);
  });

  it("good values pass through", () => {
    expect(fleetSettings({ concurrency: "4", timeout: String(MAX_TIMEOUT_MS) })).toMatchObject({ concurrency: 4, ssh: { timeoutMs: MAX_TIMEOUT_MS } });
    expect(fleetSettings({ concurrency: "16" })).toMatchObject({ concurrency: 16, ssh: { timeoutMs: 120_000 } });
  });

  it.each([
    ["ssh://admin@wsus01:0", "port expected 1..65535, got 0"],
    ["ssh://admin@wsus01:65536", "port expected 1..65535, got 65536"],
    ["ssh://admin@wsus01:123456", "port expected 1..65535, got 123456"],
  ])("target %s: %s", (target, why) => {
    expect(() => parseTarget(target)).toThrow(new TargetError(`target ${JSON.stringify(target)}: ${why}`));
  });

  it("`--timeout abc` on apply: exit 2 naming the option, nothing touched (it was exit 3, one failure per server)", async () => {
    const dir = await brokenLab(COMBOS[0], [4], { decorate: false });
    const before = await configBytes(dir);
    const r = cli(["apply", "--yes", "--target", `lab:${dir}`, "--target", `lab:${dir}/`, "--timeout", "abc"]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe('wsus-iis: --timeout: expected a whole number 1..2147483647 ms, got "abc"');
    expect((await configBytes(dir)).equals(before)).toBe(true);
  });

  it("`--timeout 3000000000` (past Node's timer limit, which would time out every request at once) is exit 2", () => {
    const r = cli(["check", "--target", "ssh://admin@127.0.0.1:1", "--timeout", "3000000000"]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('--timeout: expected a whole number 1..2147483647 ms, got "3000000000"');
  });

  it("ssh file options are checked up front too: exit 2 naming the option; an identity path is never echoed", () => {
    const id = cli(["check", "--target", "ssh://admin@127.0.0.1:1", "--ssh-identity", "/keys/id_SECRET%d"]);
    expect(id.code).toBe(2);
    expect(id.stderr).toContain('--ssh-identity: the path contains "%", which ssh reads as a %-token');
    expect(id.stderr).not.toContain("SECRET");
    const kh = cli(["check", "--target", "ssh://admin@127.0.0.1:1", "--ssh-known-hosts", '/tmp/a"b/known_hosts']);
    expect(kh.code).toBe(2);
    expect(kh.stderr).toContain("--ssh-known-hosts: the path contains a double quote");
    expect(kh.stderr).toContain('(\"/tmp/a\\"b/known_hosts\")');
  });
});

// ---------------------------------------------------------------------------------------------
// Item 6: ssh -o values quoted for ssh's own parser; paths expanded, then redacted
// ---------------------------------------------------------------------------------------------

describe("ssh paths: ~ expanded, made absolute, quoted for -o, refused where ssh would rewrite them (issue 11, item 6)", () => {
  const env = { home: "/home/op", cwd: "/work/x" };

  it.each([
    ["~", "/home/op"],
    ["~/keys/id", "/home/op/keys/id"],
    ["keys/id", "/work/x/keys/id"],
    ["/abs/with space/id", "/abs/with space/id"],
  ])("%j → %j", (given, want) => {
    expect(sshFilePath("identityFile", given, env)).toBe(want);
  });

  it.each([
    ["~other/keys/id", "only ~ and ~/ are expanded"],
    ["/keys/a%d", 'contains "%"'],
    ["/keys/${HOME}/id", 'contains "${"'],
    ["/keys/a\nb", "control character"],
    ["", "empty"],
  ])("identity %j is refused (%s), without repeating the path", (given, why) => {
    const e = (() => {
      try {
        sshFilePath("identityFile", given, env);
      } catch (err) {
        return err as SshOptionError;
      }
    })();
    expect(e).toBeInstanceOf(SshOptionError);
    expect(e!.detail).toContain(why);
    if (given.length > 2) expect(e!.message).not.toContain(given);
  });

  it("a known_hosts path with a double quote is refused (ssh before 8.7 has no escape for it); the path is shown", () => {
    expect(() => sshFilePath("knownHostsFile", '/x/"q"/kh', env)).toThrow('knownHostsFile: the path contains a double quote');
  });

  // ssh_config(5): "Arguments may optionally be enclosed in double quotes (\") in order to represent
  // arguments containing spaces"; OpenSSH 8.7+ argv_split (misc.c) takes \\ \" \' as escapes.
  it.each([
    ["/a b/kh", '"/a b/kh"'],
    ["C:\\Users\\John Smith\\.ssh\\known_hosts", '"C:\\Users\\John Smith\\.ssh\\known_hosts"'],
    ["/x/#1/kh", '"/x/#1/kh"'],
    ["/x/a\\\\b/kh", '"/x/a\\\\\\b/kh"'],
    ["/x/it\\'s/kh", '"/x/it\\\\\'s/kh"'],
    ["/x/kh\\", '"/x/kh\\\\"'],
  ])("-o value %j → %s", (value, quoted) => {
    expect(sshConfigArgument(value)).toBe(quoted);
  });

  it("ssh gets one quoted UserKnownHostsFile argument and an absolute -i path", () => {
    const t = new SshTransport({ host: "wsus01", port: 22 }, "ssh://wsus01", { knownHostsFile: "/etc/wsus iis/known_hosts", identityFile: "~/keys/id" });
    const args = t.args();
    expect(args[args.indexOf("UserKnownHostsFile=\"/etc/wsus iis/known_hosts\"")]).toBe('UserKnownHostsFile="/etc/wsus iis/known_hosts"');
    expect(args[args.indexOf("-i") + 1]).toBe(path.join(os.homedir(), "keys", "id"));
  });
});

const unavailable = sshUnavailable();
const requiredSsh = Boolean(process.env.WSUS_IIS_REQUIRE_SSH);

describe.skipIf(unavailable !== null && !requiredSsh)("ssh paths against the real OpenSSH client (issue 11, item 6)", () => {
  it("a ~-relative identity file is expanded by us, and ssh's warning naming it is redacted in every form", async () => {
    // nothing listens on the port: ssh warns about the identity file, then fails to connect (exit 255)
    const port = await freePort();
    const secret = `.wsus-iis-test-${process.pid}-missing/id_SECRET-TOKEN-4e1d`;
    const t = openTransport(`ssh://root@127.0.0.1:${port}`, { ssh: { identityFile: `~/${secret}`, connectTimeoutSeconds: 2 } });
    const err = (await t.request(COLLECT).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toContain("<identity file>");
    for (const text of [err.message, String(err), JSON.stringify(err), err.stack ?? ""]) {
      expect(text).not.toContain("SECRET-TOKEN");
      expect(text).not.toContain(path.join(os.homedir(), secret));
    }
  });
});

describe.skipIf(unavailable !== null && !requiredSsh)("host keys verified through a known_hosts file in a folder with a space (real sshd, issue 11, item 6)", () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  /** known_hosts under a folder name ssh's parsers would split or cut: space, #, ', backslashes, and a file name ending in \ */
  async function awkwardKnownHosts(content: string): Promise<string> {
    const dir = path.join(await tempDir(), "with space #1 'q' a\\\\b");
    await fsp.mkdir(dir);
    const file = path.join(dir, "known_hosts\\");
    await fsp.writeFile(file, content);
    return file;
  }

  it("the right key in that file: the check runs (before: ssh split the path and refused the host key)", { timeout: 60_000 }, async () => {
    const dir = await brokenLab(COMBOS[0], [4], { decorate: false });
    const key = sshd.addLab(dir);
    const knownHostsFile = await awkwardKnownHosts(await fsp.readFile(sshd.knownHosts, "utf8"));
    const t = openTransport(sshd.target, { ssh: { identityFile: key.identityFile, knownHostsFile, timeoutMs: 60_000 } });
    const r = await checkTarget(t, specFor(COMBOS[0]));
    expect(t.roundTrips).toBe(1);
    expect(r.report.findings.length).toBeGreaterThan(0);
  });

  it("another key in that file: still refused (the quoted path is really the file ssh verifies against)", { timeout: 60_000 }, async () => {
    const dir = await brokenLab(COMBOS[0], [4], { decorate: false });
    const key = sshd.addLab(dir);
    const d = await tempDir();
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(d, "other")]);
    const pub = (await fsp.readFile(path.join(d, "other.pub"), "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
    const knownHostsFile = await awkwardKnownHosts(`[127.0.0.1]:${sshd.port} ${pub}\n`);
    const t = openTransport(sshd.target, { ssh: { identityFile: key.identityFile, knownHostsFile } });
    const err = (await t.request(COLLECT).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe("auth");
    expect(err.message).toMatch(/Host key verification failed/);
  });

  it("the CLI with --ssh-known-hosts in a folder with a space: the server is checked (exit 0 or 1, not 3)", { timeout: 60_000 }, async () => {
    const dir = await brokenLab(COMBOS[0], [], { decorate: false });
    const key = sshd.addLab(dir);
    const knownHostsFile = await awkwardKnownHosts(await fsp.readFile(sshd.knownHosts, "utf8"));
    const r = cli(["check", "--target", sshd.target, "--ssh-identity", key.identityFile, "--ssh-known-hosts", knownHostsFile, "--configuration", "1", "--profile", "kb920659"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: COMPLIANT/);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 8: messages
// ---------------------------------------------------------------------------------------------

describe("messages name the field, the value and the place (issue 11, item 8)", () => {
  let dir: string;
  let evidence: string;
  beforeAll(async () => {
    dir = await tempDir("wsus-iis-msg-");
    const lab = await brokenLab(COMBOS[3], [], { decorate: false });
    const r = cli(["lab", "evidence", lab]);
    expect(r.code, r.stderr).toBe(0);
    evidence = path.join(dir, "evidence.json");
    writeFileSync(evidence, r.stdout);
  });

  function checkWith(name: string, content: string) {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    const r = cli(["check", "--evidence", evidence, "--config", file]);
    noStack(r.stderr);
    return { ...r, file };
  }

  it("an unknown key at the root is named, with the fields that exist (was `: Unrecognized key: \"nope\"`)", () => {
    const r = checkWith("unknown.json", JSON.stringify({ nope: 1 }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ {2}nope: unknown field \(expected one of configuration, profile, computerName, .*windowsAuthVdir.*\)$/m);
  });

  it("a misspelt key gets a suggestion, also below the root", () => {
    const r = checkWith("typo.yaml", "windowAuthVdir: Console\nadminSite:\n  httpport: 8530\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("  windowAuthVdir: unknown field (did you mean windowsAuthVdir?)");
    expect(r.stderr).toContain("  adminSite.httpport: unknown field (did you mean httpPort?)");
  });

  it('configuration: "2" (a string) says expected 1, 2 or auto, and names the config field, not --configuration', () => {
    const r = checkWith("conf.json", JSON.stringify({ configuration: "2" }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('\n  configuration: expected 1, 2 or auto (the number 2, not the string "2"), got "2"');
    const flag = cli(["check", "--evidence", evidence, "--configuration", "3"]);
    expect(flag.stderr).toContain('--configuration: expected 1, 2 or auto, got "3"');
  });

  it.each([
    [".inf", "Infinity"],
    ["-.inf", "-Infinity"],
    [".nan", "NaN"],
    ['"8530"', '"8530"'],
    ["8530.5", "8530.5"],
  ])("YAML port %s → expected 1..65535, got %s (was `got null`)", (yamlValue, shown) => {
    const r = checkWith("port.yaml", `adminSite:\n  httpPort: ${yamlValue}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`  adminSite.httpPort: expected 1..65535, got ${shown}\n`);
  });

  it.each([
    ["an unknown tag", "profile: !!foo modern\n", "at line 1, column 10: Unresolved tag: tag:yaml.org,2002:foo"],
    ["an unsupported YAML version", "%YAML 1.3\n---\nprofile: modern\n", "at line 1, column 7: Unsupported YAML version 1.3"],
    ["a duplicate key", "profile: modern\nprofile: kb920659\n", "at line 2, column 1: Map keys must be unique"],
    ["a second document", "profile: modern\n---\nprofile: kb920659\n", "at line 2, column 1: a second document (after ---); expected one"],
    ["a map as a key", "? [a, b]\n: 1\n", "at line 1, column 3: a map or list as a key"],
    ["a missing quote", 'profile: "modern\n', "at line 2, column 1: Missing closing \"quote"],
  ])("YAML with %s: one line naming the file, line and column, exit 2 (warnings were multi-line, or ignored)", (_what, content, where) => {
    const r = checkWith("warn.yaml", content);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toBe(`wsus-iis: config file ${r.file} is not valid YAML ${where}\n`);
  });

  it("a --targets YAML file gets the same one-line errors", () => {
    const file = path.join(dir, "targets.yaml");
    writeFileSync(file, "- !!foo lab:x\n");
    const r = cli(["check", "--targets", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wsus-iis: --targets ${file} is not valid YAML at line 1, column 3: Unresolved tag: tag:yaml.org,2002:foo\n`);
  });

  it.each(["http://127.0.0.1:0/", "http://127.0.0.1:00/", "http://127.0.0.1:0"])("probe %s: port 0 is refused (was: probed, \"connection refused\" on port 0)", (url) => {
    expect(() => planProbe(url)).toThrow(new ProbeInputError("url", `port expected 1..65535, got 0 in ${JSON.stringify(url)}`));
  });

  it("probe: the CLI refuses port 0 in the URL and in --client-port with exit 2; the API refuses clientPort 0 and Infinity", () => {
    const url = cli(["probe", "http://127.0.0.1:0/"]);
    expect(url.code).toBe(2);
    expect(url.stderr).toBe('wsus-iis: URL: port expected 1..65535, got 0 in "http://127.0.0.1:0/"\n');
    const flag = cli(["probe", "http://127.0.0.1/", "--client-port", "0"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--client-port: expected 1..65535, got 0");
    expect(() => planProbe("http://wsus01", { clientPort: 0 })).toThrow(new ProbeInputError("clientPort", "expected 1..65535, got 0"));
    expect(() => planProbe("http://wsus01", { clientPort: Infinity })).toThrow(new ProbeInputError("clientPort", "expected 1..65535, got Infinity"));
  });
});
