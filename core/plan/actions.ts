import { z } from "zod";

/**
 * Repair actions: what a rule asks for, as data. Rendering to Windows commands (render.ts), simulating
 * the effect on a state (simulate.ts) and explaining (remediation text) all read these, so a rule
 * states its fix once. Every action only adds or sets what the spec owns; none deletes.
 */
export const AUTH_SECTIONS = {
  anonymous: "system.webServer/security/authentication/anonymousAuthentication",
  windows: "system.webServer/security/authentication/windowsAuthentication",
} as const;

export const RepairAction = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("add-site"), site: z.string(), port: z.number().int(), physicalPath: z.string() }),
  z.object({ kind: z.literal("add-binding"), site: z.string(), protocol: z.literal("http"), ip: z.string(), port: z.number().int() }),
  z.object({ kind: z.literal("add-app"), site: z.string(), name: z.string(), physicalPath: z.string(), appPool: z.string().nullable() }),
  z.object({ kind: z.literal("add-vdir"), site: z.string(), name: z.string(), physicalPath: z.string() }),
  /**
   * `app`: the path is an application, whose root virtual directory appcmd names with a trailing slash
   * (`VDIR object "MySite/app1/" added`, IIS docs' appcmd samples; `Site/App` is "Cannot find VDIR object").
   */
  z.object({ kind: z.literal("set-vdir-path"), site: z.string(), path: z.string(), app: z.boolean(), physicalPath: z.string() }),
  /** path "" = the site root; otherwise "/Name". */
  z.object({ kind: z.literal("set-auth"), site: z.string(), path: z.string(), auth: z.enum(["anonymous", "windows"]), enabled: z.boolean() }),
  z.object({ kind: z.literal("set-ssl"), site: z.string(), path: z.string(), requireSsl: z.boolean() }),
  /**
   * `principal` names the account in messages; the grant goes by `sid` when it has one
   * (`icacls … /grant *S-1-5-32-545:…`), because names are localised and an English name fails with
   * error 1332 on a German or French server (icacls docs: "If you use a numerical form, affix the
   * wildcard character * to the beginning of the SID"; MicrosoftDocs/windowsserverdocs#6185).
   */
  z.object({ kind: z.literal("grant-acl"), path: z.string(), principal: z.string(), sid: z.string().nullable(), rights: z.enum(["F", "RX"]) }),
  /** `group` is the group's name as the server reported it (`Benutzer`): `net localgroup` takes names only. */
  z.object({ kind: z.literal("add-group-member"), group: z.string(), groupSid: z.string().nullable(), member: z.string() }),
  z.object({ kind: z.literal("install-msi"), msi: z.string() }),
  /**
   * Health group (issue 13). `attribute` is appcmd's path below the pool (`appcmd set apppool NAME
   * /recycling.periodicRestart.privateMemory:0`), `value` in appcmd's syntax (timeSpans as hh:mm:ss).
   */
  z.object({
    kind: z.literal("set-apppool"),
    pool: z.string(),
    attribute: z.enum([
      "queueLength",
      "recycling.periodicRestart.privateMemory",
      "recycling.periodicRestart.memory",
      "recycling.periodicRestart.time",
      "processModel.idleTimeout",
      "processModel.pingingEnabled",
    ]),
    value: z.string().regex(/^(?:\d{1,10}|(?:\d+\.)?\d{2}:\d{2}:\d{2}|true|false)$/),
  }),
  /** ASP.NET impersonation off at `path` ("" = the site root), written to applicationHost.config. */
  z.object({ kind: z.literal("set-impersonation"), site: z.string(), path: z.string() }),
  /** The xpress scheme with `dll` (KB 4490414's line): added when absent, its dll and doDynamicCompression set when present. */
  z.object({ kind: z.literal("set-compression"), dll: z.string(), exists: z.boolean() }),
  /** Runtime state: started after every configuration change (ACTION_ORDER). */
  z.object({ kind: z.literal("start-apppool"), pool: z.string() }),
  z.object({ kind: z.literal("start-site"), site: z.string() }),
  /** Not automated (opt-in not given, or no safe generic command): shown to the user, never sent. */
  z.object({ kind: z.literal("manual"), text: z.string() }),
]);
export type RepairAction = z.infer<typeof RepairAction>;

/** Order inside one planning round: containers before contents, config before ACLs, files last. */
export const ACTION_ORDER: Record<RepairAction["kind"], number> = {
  "add-site": 0,
  "add-binding": 1,
  "add-app": 2,
  "add-vdir": 3,
  "set-vdir-path": 4,
  "set-auth": 5,
  "set-ssl": 6,
  "grant-acl": 7,
  "add-group-member": 8,
  "set-apppool": 9,
  "set-impersonation": 10,
  "set-compression": 11,
  "install-msi": 12,
  // a pool or site starts with its repaired settings, and after the files it serves are back
  "start-apppool": 13,
  "start-site": 14,
  manual: 15,
};

/** Which part of the server an action touches (for backups and rollback). */
export function actionTouches(a: RepairAction): "iis" | "acl" | "group" | "files" | "runtime" | "none" {
  switch (a.kind) {
    case "grant-acl":
      return "acl";
    case "add-group-member":
      return "group";
    case "install-msi":
      return "files";
    case "manual":
      return "none";
    case "start-apppool":
    case "start-site":
      return "runtime";
    default:
      return "iis";
  }
}
