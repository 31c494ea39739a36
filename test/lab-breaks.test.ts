import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attr, child, childrenNamed, descend, XmlDoc } from "../lab/xml";
import { readSites } from "../lab/appHost";
import { type Break, BREAKS, createLab, type LabInfo, parseBreak } from "../lab/create";
import { listFilesRecursive, resolveHostPath } from "../lab/fs";
import { LabError, readLabState } from "../lab/state";
import { parseHealthConfig } from "../core/evidence/health";
import { labHealthView } from "../lab/health";

const APPHOST = "C/Windows/System32/inetsrv/config/applicationHost.config";

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "wsus-lab-breaks-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface Snapshot {
  sites: { name: string; id: string; bindings: string[]; apps: { path: string; pool: string; vdirs: string[] }[] }[];
  /** location path -> what it sets. */
  locations: Record<string, { anonymous?: string; windows?: string; sslFlags?: string }>;
  groups: Record<string, string[]>;
  acls: Record<string, string[]>;
  protectedAcls: string[];
  sharePoint: unknown;
  selfUpdateFiles: string[];
  /** What the health rules read (pools, compression, impersonation, web.config files, runtime state): no KB break touches it. */
  health: unknown;
}

/** Everything a break may touch, read back from the lab (config parsed, lab.json, files). */
async function snapshot(dir: string, info: LabInfo): Promise<Snapshot> {
  const doc = XmlDoc.parse(readFileSync(path.join(dir, APPHOST), "utf8"));
  const locations: Snapshot["locations"] = {};
  for (const loc of childrenNamed(doc.root, "location")) {
    const sec = descend(loc, "system.webServer", "security");
    const auth = sec && child(sec, "authentication");
    const entry: Snapshot["locations"][string] = {};
    const anon = auth && child(auth, "anonymousAuthentication");
    const win = auth && child(auth, "windowsAuthentication");
    const access = sec && child(sec, "access");
    if (anon) entry.anonymous = attr(anon, "enabled");
    if (win) entry.windows = attr(win, "enabled");
    if (access) entry.sslFlags = attr(access, "sslFlags");
    if (Object.keys(entry).length) locations[attr(loc, "path") ?? ""] = entry;
  }
  const state = await readLabState(dir);
  const h = await resolveHostPath(dir, info.layout.selfUpdatePath);
  return {
    sites: readSites(doc).map((s) => ({
      name: s.name,
      id: s.id,
      bindings: s.bindings.map((b) => `${b.protocol}/${b.bindingInformation}`),
      apps: s.apps.map((a) => ({ path: a.path, pool: a.applicationPool, vdirs: a.vdirs.map((v) => `${v.path}=${v.physicalPath}`) })),
    })),
    locations,
    groups: Object.fromEntries(Object.entries(state.groups).map(([k, g]) => [k, g.members])),
    acls: Object.fromEntries(Object.entries(state.acls).map(([k, aces]) => [k, aces.map((a) => `${a.principal}:${a.type}:${a.rights}:${a.oi}${a.ci}${a.io}${a.np}`)])),
    protectedAcls: state.protectedAcls,
    sharePoint: state.features.sharePoint,
    selfUpdateFiles: h.exists ? (await listFilesRecursive(h.hostPath)).map((f) => f.join("\\")) : [],
    health: await healthSnapshot(dir),
  };
}

async function healthSnapshot(dir: string): Promise<unknown> {
  const hc = parseHealthConfig(readFileSync(path.join(dir, APPHOST), "utf8"));
  const { health, webConfigs } = await labHealthView(dir);
  return {
    pools: hc.pools,
    compression: hc.compressionSchemes,
    impersonation: [...hc.impersonation],
    poolStates: health.appPools.map((p) => `${p.name}:${p.state}`),
    siteStates: health.siteStates,
    // the web.config files there are (a KB break may remove a folder's vdir, never a web.config)
    webConfigs: Object.fromEntries(Object.entries(webConfigs).filter(([, t]) => t !== null)),
  };
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** The healthy snapshot changed the way each break is specified to change it. */
function expectedAfter(brk: Break, healthy: Snapshot, info: LabInfo): Snapshot {
  const s = clone(healthy);
  const { layout } = info;
  const su = layout.selfUpdateName;
  const holdsSu = (site: Snapshot["sites"][number]) => site.apps.some((a) => a.path === "/" && a.vdirs.some((v) => v.startsWith(`/${su}=`)));
  const dropSu = (site: Snapshot["sites"][number]) => {
    for (const a of site.apps) if (a.path === "/") a.vdirs = a.vdirs.filter((v) => !v.startsWith(`/${su}=`));
  };
  const defaultSite = s.sites.find((x) => x.name === "Default Web Site")!;
  // the site clients use: the Default Web Site in the KB's layouts, the WSUS site in modern Configuration 2
  const clientSite = s.sites.find((x) => x.name === layout.clientSite.name)!;
  const onClientPort = (site: Snapshot["sites"][number]) => site.bindings.includes(`http/*:${layout.clientPort}:`);
  const withoutAuthenticatedUsers = (members: string[]) => members.filter((m) => m !== "NT AUTHORITY\\Authenticated Users");
  switch (brk) {
    case 1:
      // the account out of Users, and Authenticated Users too (through it the account would still be in Users)
      if (layout.profile === "kb920659") s.groups.Users = withoutAuthenticatedUsers(s.groups.Users.filter((m) => m !== "IUSR_WSUS01"));
      else s.acls[layout.selfUpdatePath] = s.acls[layout.selfUpdatePath].filter((a) => !a.startsWith("BUILTIN\\Users:"));
      break;
    case "users-hardened":
      s.groups.Users = withoutAuthenticatedUsers(s.groups.Users);
      break;
    case 2:
      s.sites.forEach(dropSu);
      break;
    case 3:
      // SelfUpdate dropped from the client-port site when another site keeps it; else the client port moves to 8080
      if (s.sites.some((x) => holdsSu(x) && !onClientPort(x))) s.sites.filter((x) => holdsSu(x) && onClientPort(x)).forEach(dropSu);
      // appcmd's /-bindings then /+bindings: the new one is appended
      else for (const x of s.sites.filter(onClientPort)) x.bindings = [...x.bindings.filter((b) => b !== `http/*:${layout.clientPort}:`), "http/*:8080:"];
      break;
    case 4:
      for (const site of s.sites.filter(holdsSu)) s.locations[`${site.name}/${su}`].anonymous = "false";
      break;
    case 5:
      clientSite.bindings = [...clientSite.bindings.filter((b) => b !== `http/*:${layout.clientPort}:`), `http/192.0.2.10:${layout.clientPort}:`];
      break;
    case 6:
      s.locations[defaultSite.name] = { anonymous: "false" };
      break;
    case 7:
      s.sharePoint = { installed: true, excludedPaths: [] };
      break;
    case 8:
      s.selfUpdateFiles = [];
      break;
    case "missing-vdir": {
      for (const site of s.sites) site.apps = site.apps.filter((a) => a.path !== "/ClientWebService");
      // its folder (and web.config) stay, but no site maps it any more
      const cws = layout.sites.flatMap((x) => x.vdirs).find((v) => v.name === "ClientWebService")!;
      delete (s.health as { webConfigs: Record<string, string> }).webConfigs[cws.physicalPath];
      break;
    }
    case "windows-auth-anonymous":
      for (const site of s.sites) {
        if (!site.apps.some((a) => a.path === `/${layout.windowsAuthVdir}`)) continue;
        s.locations[`${site.name}/${layout.windowsAuthVdir}`] = { anonymous: "true", windows: "false" };
      }
      break;
    case "wrong-path":
      for (const site of s.sites)
        for (const a of site.apps)
          if (a.path === "/") a.vdirs = a.vdirs.map((v) => (v.startsWith(`/${su}=`) ? `/${su}=${layout.spec.installDir}\\WebServices\\ServerSyncWebService` : v));
      break;
  }
  return s;
}

const COMBOS = [
  { configuration: 1, profile: "kb920659" },
  { configuration: 1, profile: "modern" },
  { configuration: 2, profile: "kb920659" },
  { configuration: 2, profile: "modern" },
] as const;

describe.each(COMBOS)("breaks, Configuration $configuration, profile $profile", ({ configuration, profile }) => {
  let healthyDir: string;
  let info: LabInfo;
  let healthy: Snapshot;

  beforeAll(async () => {
    healthyDir = tempDir();
    info = await createLab(healthyDir, { configuration, profile });
    healthy = await snapshot(healthyDir, info);
  });

  it("healthy lab: the layout's sites, vdirs and per-vdir auth", async () => {
    // every IIS has the Default Web Site (id 1); a modern Configuration 2 layout asks nothing of it
    expect(healthy.sites.map((s) => s.name)).toEqual([...new Set(["Default Web Site", ...info.layout.sites.map((s) => s.name)])]);
    expect(healthy.sites[0].id).toBe("1");
    for (const req of info.layout.sites) {
      for (const v of req.vdirs) {
        const loc = healthy.locations[`${req.name}/${v.name}`];
        expect(loc, `${req.name}/${v.name}`).toEqual({ anonymous: v.auth === "anonymous" ? "true" : "false", windows: v.auth === "windows" ? "true" : "false" });
      }
    }
    expect(healthy.selfUpdateFiles).toEqual(expect.arrayContaining(info.layout.selfUpdateFiles));
    expect(healthy.groups.Users.includes("IUSR_WSUS01")).toBe(profile === "kb920659");
    // Windows' own default members of Users (docs/research/iis-anonymous.md)
    expect(healthy.groups.Users).toEqual(expect.arrayContaining(["NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE"]));
  });

  // the health group's breaks (HEALTH_BREAKS): their exact changes are test/lab-health.test.ts's
  it.each(BREAKS.map((b) => [b]))("break %s changes exactly what it should", async (brk) => {
    const dir = tempDir();
    const brokenInfo = await createLab(dir, { configuration, profile, breaks: [brk] });
    const broken = await snapshot(dir, brokenInfo);
    expect(broken).toEqual(expectedAfter(brk, healthy, info));
    expect((await readLabState(dir)).breaks).toEqual([brk]);
  });
});

describe("break details", () => {
  it("break 4 only flips the enabled attribute of the SelfUpdate locations (text level)", async () => {
    const a = tempDir();
    const b = tempDir();
    // kb920659 Configuration 2: SelfUpdate on both sites, so two locations flip
    await createLab(a, { configuration: 2, profile: "kb920659" });
    await createLab(b, { configuration: 2, profile: "kb920659", breaks: [4] });
    const x = readFileSync(path.join(a, APPHOST), "utf8").split("\r\n");
    const y = readFileSync(path.join(b, APPHOST), "utf8").split("\r\n");
    expect(y.length).toBe(x.length);
    const changed = x.map((l, i) => [l, y[i]]).filter(([l, m]) => l !== m);
    expect(changed).toEqual([
      ['                    <anonymousAuthentication enabled="true" />', '                    <anonymousAuthentication enabled="false" />'],
      ['                    <anonymousAuthentication enabled="true" />', '                    <anonymousAuthentication enabled="false" />'],
    ]);
  });

  it("several breaks combine; names and numbers parse; bad ones are named", async () => {
    const d = tempDir();
    const info = await createLab(d, { configuration: 1, profile: "modern", breaks: [parseBreak("4"), parseBreak("wrong-path"), parseBreak(" 8 ")] });
    const s = await snapshot(d, info);
    expect(s.selfUpdateFiles).toEqual([]);
    expect(s.locations["Default Web Site/Selfupdate"].anonymous).toBe("false");
    expect(() => parseBreak("9")).toThrow(LabError);
    expect(() => parseBreak("selfupdate")).toThrow(/unknown break "selfupdate": expected 1\.\.8/);
  });

  it("never replaces a folder that is not a lab, even forced", async () => {
    const d = tempDir();
    writeFileSync(path.join(d, "precious.txt"), "keep me");
    await expect(createLab(d, {})).rejects.toThrow(LabError);
    await expect(createLab(d, {})).rejects.toThrow(`${d} is not empty and is not a lab (no lab.json with schema wsus-iis/lab@1)`);
    await expect(createLab(d, { force: true })).rejects.toThrow(`${d} is not a lab (no lab.json with schema wsus-iis/lab@1): --force replaces only a lab; empty the folder or choose another one`);
    expect(readFileSync(path.join(d, "precious.txt"), "utf8")).toBe("keep me");
    // a lab.json of something else does not make a lab
    writeFileSync(path.join(d, "lab.json"), JSON.stringify({ schema: "someone-else@1" }));
    await expect(createLab(d, { force: true })).rejects.toThrow(/is not a lab/);
    expect(readFileSync(path.join(d, "precious.txt"), "utf8")).toBe("keep me");
  });

  it("recreates an existing lab only when forced; an empty or missing folder needs no force", async () => {
    const d = tempDir();
    await createLab(d, { configuration: 1 }); // empty (mkdtemp)
    await createLab(path.join(d, "..", path.basename(d) + "-new", "lab"), {}); // missing, parents too
    roots.push(path.join(d, "..", path.basename(d) + "-new"));
    writeFileSync(path.join(d, "C", "notes.txt"), "the user's change");
    await expect(createLab(d, { configuration: 2 })).rejects.toThrow(`${d} is already a lab: use --force to recreate it (what was changed in it is lost)`);
    expect(readFileSync(path.join(d, "C", "notes.txt"), "utf8")).toBe("the user's change");
    expect((await readLabState(d)).configuration).toBe(1);
    await createLab(d, { configuration: 2, force: true });
    expect((await readLabState(d)).configuration).toBe(2);
    writeFileSync(path.join(d, "..", path.basename(d) + "-file"), "x");
    roots.push(path.join(d, "..", path.basename(d) + "-file"));
    await expect(createLab(path.join(d, "..", path.basename(d) + "-file"), { force: true })).rejects.toThrow(/exists and is not a folder/);
  });

  it("honours spec details: custom computer name, ports, ssl", async () => {
    const d = tempDir();
    const info = await createLab(d, {
      configuration: 2,
      profile: "modern",
      computerName: "UPD-SRV7",
      spec: { adminSite: { httpPort: 8540, httpsPort: 8541 }, ssl: true },
    });
    const s = await snapshot(d, info);
    expect(s.sites[1].bindings).toEqual(["http/*:8540:", "https/*:8541:"]);
    expect(s.locations["WSUS Administration/ClientWebService"].sslFlags).toBe("Ssl");
    expect(s.locations["WSUS Administration/Inventory"].sslFlags).toBeUndefined();
    expect((await readLabState(d)).computerName).toBe("UPD-SRV7");
  });
});
