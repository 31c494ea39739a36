import { describeIssues } from "../model/spec";
import {
  ProbeOptions,
  ProbeResult,
  type CheckLevel,
  type Exchange,
  type ProbeCheck,
  type ProbeOptionsInput,
  type ProbeProfile,
  type ProbeProfileOption,
} from "./schema";

/**
 * Pure side of the probe: which requests a Windows Update client (and an admin) would make, and what
 * their answers say about the KB 920659 causes. No I/O here; core/probe/http.ts makes the requests.
 *
 * What HTTP can and cannot tell apart:
 * - refused: nothing listens on host:port. Either no site is bound to that port (cause 3) or the site is
 *   bound to specific IP addresses that leave this one out (cause 5). Same symptom, both named.
 * - 404 on /selfupdate/wuident.cab: the vdir is missing (cause 2), it lives on a site not bound to the
 *   client port (cause 3), or it is there without its files (cause 8). One request cannot tell these
 *   apart, so the probe also asks for the folder itself: GET /selfupdate/ answers 403.14 (no directory
 *   browsing) or 200 when the vdir exists, and 404 when it does not. With that answer the 404 narrows to
 *   8, or to 2/3; without a conclusive answer all three are named.
 * - 401 on /selfupdate: anonymous access is off on the vdir (cause 4); when the site root also answers
 *   401, the setting may be inherited from the site (cause 6, named first). A 401.3 (NTFS ACL denies the
 *   anonymous user) points to cause 1; a 401 that offers no authentication method and shows no substatus
 *   may be either, so 1 is added last.
 * - /ClientWebService/wusserverversion.xml: it is Microsoft's documented connectivity check, but clients
 *   do not fetch it (they POST to Client.asmx). A 404 for it while GET /ClientWebService/ shows the
 *   application exists and lets anonymous in is a warning, not a failure; a missing application or a 401
 *   is a failure (a layout rule: no KB cause, or cause 6 when the site root is 401 too).
 * - The Windows-auth vdir (WSUSAdmin / ApiRemoting30) must answer an anonymous request with 401 and a
 *   Negotiate or NTLM challenge (docs/research/iis-anonymous.md §7). Anything that lets the request
 *   through (200, 403.14 …) and a 404 (the vdir is not there) are failures of the layout rule (no KB cause).
 *   With --profile auto (the default) both names are asked for; ApiRemoting30 (WSUS 3.0 SP2 and later)
 *   wins unless it is absent and WSUSAdmin answers.
 * - 400 "Bad Request - Invalid Hostname" comes from HTTP.sys itself: no site binding takes this host
 *   name on this address and port (learn.microsoft.com/windows/win32/http/urlprefix-strings: "If no match
 *   is found in any of the categories, the HTTP Server API sends a response with a status code of 400").
 *   On the client port that is the binding problem of cause 5 in its host-header form: clients asking
 *   for http://SERVER/ or http://127.0.0.1/ are turned away. Never "ok".
 * - Answers that point at the `health` rule group (issue 13) carry its rule ids (`rules`), on every check:
 *   503 is HTTP.sys's answer for an application pool that is not running ("All applications routed to a
 *   stopped application pool receive 503 Service Unavailable errors", Microsoft Learn cc732742; HTTPERR
 *   `503 … AppOffline WsusPool`) → wsuspool-started; a pool that recycles (its private-memory limit hit,
 *   KB 4490414) or a full queue answers 503 too, so the message names those. 500.24 is ASP.NET
 *   impersonation on in Integrated mode (KB 2737219: every WSUS endpoint, static files included) →
 *   wsus-impersonation-off. A refused connection may be a stopped site (HTTP.sys drops a stopped site's
 *   URL registrations) → wsus-site-started, besides causes 3/5.
 * - wuident.cab / iuident.cab must be cabinet files: non-empty and starting with "MSCF" ([MS-CAB]
 *   CFHEADER signature; docs/research/iis-anonymous.md §6). A 200 with an HTML page or an empty body
 *   is a failure: clients reject it (a defective self-update tree, cause 8, or SharePoint answering, 7).
 */

export type RequestKey = "wuident" | "iuident" | "root" | "selfupdateDir" | "cwsVersion" | "cwsDir" | "windowsAuth" | "windowsAuthLegacy";

export interface PlannedRequest {
  key: RequestKey;
  method: "GET";
  url: string;
}

export interface ProbePlan {
  url: string;
  /** As asked; "auto" is settled by judge() from the two Windows-auth answers. */
  profile: ProbeProfileOption;
  clientBase: string;
  adminBase: string;
  clientPort: number;
  adminPort: number;
  timeoutMs: number;
  windowsAuthVdir: string;
  windowsAuthPath: string;
  /** auto only: the WSUS 2.0 name asked for as well (WSUSAdmin). */
  legacyWindowsAuthVdir: string | null;
  requests: PlannedRequest[];
}

/** Bad probe input; `field` is the option at fault ("url", "clientPort", "profile", "windowsAuthVdir", "timeoutMs"). */
export class ProbeInputError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = "ProbeInputError";
  }
}

const WINDOWS_AUTH_DEFAULT: Readonly<Record<ProbeProfile, string>> = { kb920659: "WSUSAdmin", modern: "ApiRemoting30" };

export function windowsAuthPathOf(name: string): string {
  // ApiRemoting30 is a web service: its folder has no default document, so ask for the service itself.
  return name.toLowerCase() === "apiremoting30" ? `/${name}/WebService.asmx` : `/${name}/`;
}

/** Validate the URL and options and list the requests. Throws ProbeInputError. */
export function planProbe(url: string, options: ProbeOptionsInput = {}): ProbePlan {
  const parsedOptions = ProbeOptions.safeParse(options);
  if (!parsedOptions.success) {
    const [first] = describeIssues(parsedOptions.error.issues, options);
    throw new ProbeInputError(first.path || "options", first.message);
  }
  const opts = parsedOptions.data;

  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ProbeInputError("url", `expected an http:// URL such as http://wsus01:8530, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== "http:") {
    throw new ProbeInputError("url", `only http:// URLs can be probed (clients fetch the self-update files over plain HTTP), got ${JSON.stringify(url)}`);
  }
  if (u.username !== "" || u.password !== "") throw new ProbeInputError("url", "must not carry a user name or password");
  if (u.hostname === "") throw new ProbeInputError("url", `no host name in ${JSON.stringify(url)}`);

  // WHATWG URL drops a default port (":80"); an explicit one still counts as "the URL has a port".
  const explicitDefault = /^http:\/\/(?:[^@\/?#]*@)?(?:\[[^\]]*\]|[^\/?#:]*):0*80(?:[\/?#]|$)/i.test(url.trim());
  const urlPort = u.port !== "" ? Number(u.port) : explicitDefault ? 80 : null;
  // WHATWG URL takes port 0 (`http://wsus01:0/`), but nothing can listen there: a typo, not a server to judge
  if (urlPort === 0) throw new ProbeInputError("url", `port expected 1..65535, got 0 in ${JSON.stringify(url)}`);
  const clientPort = opts.clientPort ?? urlPort ?? 80;
  const adminPort = urlPort ?? clientPort;
  const clientBase = `http://${u.hostname}:${clientPort}`;
  const adminBase = `http://${u.hostname}:${adminPort}`;
  const auto = opts.profile === "auto" && opts.windowsAuthVdir === undefined;
  const windowsAuthVdir = opts.windowsAuthVdir ?? WINDOWS_AUTH_DEFAULT[opts.profile === "auto" ? "modern" : opts.profile];
  const windowsAuthPath = windowsAuthPathOf(windowsAuthVdir);
  const legacyWindowsAuthVdir = auto ? WINDOWS_AUTH_DEFAULT.kb920659 : null;

  const get = (key: RequestKey, base: string, path: string): PlannedRequest => ({ key, method: "GET", url: base + path });
  return {
    url,
    profile: opts.profile,
    clientBase: clientBase + "/",
    adminBase: adminBase + "/",
    clientPort,
    adminPort,
    timeoutMs: opts.timeoutMs,
    windowsAuthVdir,
    windowsAuthPath,
    legacyWindowsAuthVdir,
    requests: [
      get("wuident", clientBase, "/selfupdate/wuident.cab"),
      get("iuident", clientBase, "/selfupdate/iuident.cab"),
      get("root", clientBase, "/"),
      get("selfupdateDir", clientBase, "/selfupdate/"),
      get("cwsVersion", clientBase, "/ClientWebService/wusserverversion.xml"),
      get("cwsDir", clientBase, "/ClientWebService/"),
      get("windowsAuth", adminBase, windowsAuthPath),
      ...(legacyWindowsAuthVdir ? [get("windowsAuthLegacy", adminBase, windowsAuthPathOf(legacyWindowsAuthVdir))] : []),
    ],
  };
}

export interface Verdict {
  level: CheckLevel;
  causes: number[];
  /** Health rule ids the answer points to (see ProbeCheck.rules). */
  rules: string[];
  message: string;
}

const pass = (message: string): Verdict => ({ level: "pass", causes: [], rules: [], message });
const warn = (message: string, causes: number[] = []): Verdict => ({ level: "warn", causes, rules: [], message });
const fail = (causes: number[], message: string, rules: string[] = []): Verdict => ({ level: "fail", causes, rules, message });

/** Health rule ids (issue 13) as the probe names them. */
export const PROBE_HEALTH_RULES = { poolStarted: "wsuspool-started", siteStarted: "wsus-site-started", impersonationOff: "wsus-impersonation-off" } as const;

/** "401.2" when the body named a substatus, else "401". */
function statusText(ex: Exchange): string {
  return ex.substatus ?? String(ex.status);
}

export function offersWindowsAuth(ex: Exchange): boolean {
  return ex.wwwAuthenticate.some((h) => /^\s*(negotiate|ntlm|kerberos)\b/i.test(h));
}

function schemes(ex: Exchange): string {
  return ex.wwwAuthenticate.map((h) => h.split(/\s/, 1)[0]).join(", ");
}

/** A transport failure (no HTTP answer). `clientPort`: refusals on the client port point to causes 3 / 5. */
export function judgeTransport(ex: Exchange, timeoutMs: number, clientPort: boolean): Verdict | null {
  const where = hostPortOf(ex.url);
  if (ex.status === "refused") {
    const stopped = `; or the site bound to it is stopped (rule ${PROBE_HEALTH_RULES.siteStarted}: appcmd start site)`;
    return fail(
      clientPort ? [3, 5] : [],
      clientPort
        ? `connection refused at ${where}: nothing listens there. Either no site is bound to this port (cause 3), or the site is bound to specific IP addresses that leave this one out (cause 5; KB 920659 wants All Unassigned, or 127.0.0.1 among the addresses)${stopped}.`
        : `connection refused at ${where}: no site listens on this port${stopped}.`,
      [PROBE_HEALTH_RULES.siteStarted],
    );
  }
  if (ex.status === "timeout") return fail([], `no answer from ${where} within ${timeoutMs} ms (a firewall dropping the connection, or a hung application pool).`);
  if (ex.status === "error") return fail([], `request to ${where} failed: ${ex.error ?? "unknown error"}.`);
  return null;
}

/**
 * A 400 on any request. HTTP.sys's "Invalid Hostname" page means no binding takes this host name here;
 * on the client port that keeps clients out (cause 5, host-header form). Any other 400 is named as is.
 */
export function judgeBadRequest(ex: Exchange, clientPort: boolean): Verdict | null {
  if (ex.status !== 400) return null;
  const url = parseUrl(ex.url);
  const host = url?.hostname ?? "?";
  const port = url ? url.port || "80" : "?";
  if (ex.invalidHostname) {
    return fail(
      clientPort ? [5] : [],
      `400 Bad Request - Invalid Hostname from HTTP.sys at ${hostPortOf(ex.url)}: no site binding on port ${port} takes the host name ${host}. ` +
        `The site's bindings on this port carry host headers (or specific IP addresses) that leave this name out; clients ask for http://SERVER:${port}/ and the server itself for http://127.0.0.1:${port}/. ` +
        `Add a binding with an empty host name on All Unassigned (or list the server's names and 127.0.0.1)${clientPort ? " (cause 5)" : ""}.`,
    );
  }
  return fail([], `400 Bad Request at ${hostPortOf(ex.url)}: the server refused the request itself${ex.substatus ? ` (${ex.substatus})` : ""}.`);
}

/**
 * The answers of a server whose WSUS IIS health is off (issue 13), on any check: 503 (the pool that serves
 * the URL is not running, or recycling) and 500.24 (ASP.NET impersonation on). null for anything else.
 */
export function judgeHealthAnswer(ex: Exchange, what: string): Verdict | null {
  if (ex.status === 503) {
    return fail(
      [],
      `${what} answers 503 Service Unavailable: the application pool that serves it is not running (rule ${PROBE_HEALTH_RULES.poolStarted}: appcmd start apppool). ` +
        `A pool that recycles answers 503 until its new worker is up, e.g. WsusPool at its private-memory limit, and a full request queue answers 503 too (KB 4490414: rules wsuspool-private-memory, wsuspool-queue-length).`,
      [PROBE_HEALTH_RULES.poolStarted],
    );
  }
  if (ex.status === 500 && ex.substatus === "500.24") {
    return fail(
      [],
      `${what} answers 500.24: ASP.NET impersonation is on for it (KB 2737219: every WSUS endpoint, static files too); turn it off on the WSUS site and every application (rule ${PROBE_HEALTH_RULES.impersonationOff}).`,
      [PROBE_HEALTH_RULES.impersonationOff],
    );
  }
  return null;
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function hostPortOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export type FolderState = "present" | "absent" | "folderMissing" | "unknown";

/**
 * What GET /<vdir>/ says about the vdir: 403.14 (no directory browsing) or 200 (a listing or default
 * document) = present; 404 = absent; 500.19 with 0x80070003 = configured but its folder is missing.
 */
export function folderState(ex: Exchange): FolderState {
  if (ex.status === 200) return "present";
  if (ex.status === 403 && (ex.substatus === null || ex.substatus === "403.14")) return "present";
  if (ex.status === 404) return "absent";
  if (ex.status === 500 && ex.hresult?.toLowerCase() === "0x80070003") return "folderMissing";
  return "unknown";
}

const CAB_MAGIC = "4d534346"; // "MSCF"

export interface SelfUpdateContext {
  /** GET / on the client port. */
  root: Exchange;
  /** GET /selfupdate/ on the client port. */
  folder: Exchange;
  clientPort: number;
  timeoutMs: number;
}

/** GET /selfupdate/<file> as a Windows Update client does it, anonymously. */
export function judgeSelfUpdateFile(file: string, ex: Exchange, ctx: SelfUpdateContext): Verdict {
  const t = judgeTransport(ex, ctx.timeoutMs, true) ?? judgeBadRequest(ex, true) ?? judgeHealthAnswer(ex, file);
  if (t) return t;
  const status = ex.status as number;
  const sp = ex.sharePoint && status !== 200;
  const withSp = (v: Verdict): Verdict =>
    sp && v.level === "fail"
      ? { ...v, causes: [7, ...v.causes.filter((c) => c !== 7)], message: `${v.message} SharePoint answered this request (MicrosoftSharePointTeamServices header): exclude /selfupdate from its managed paths (cause 7).` }
      : v;

  if (status === 200) {
    const notCab = (what: string): Verdict =>
      ex.sharePoint
        ? fail([7, 8], `${file} answers 200 but ${what}, and SharePoint answered (MicrosoftSharePointTeamServices header): exclude /selfupdate from its managed paths (cause 7).`)
        : fail(
            [8],
            `${file} answers 200 (${ex.contentType ?? "no Content-Type"}) but ${what}: clients reject it. Something other than the self-update cabinet is served at this path; reinstall Selfupdate.msi from %ProgramFiles%\\Update Services\\Setup (cause 8), or find what else answers /selfupdate.`,
          );
    // Only a GET carries a body; a HEAD cannot tell.
    if (ex.method === "GET" && ex.bodyMagic === "") return notCab("the body is empty");
    if (ex.bodyMagic !== "" && !ex.bodyMagic.toLowerCase().startsWith(CAB_MAGIC)) return notCab("it is not a cabinet file (no MSCF signature)");
    return pass(`${file} is served anonymously (200, a cabinet file).`);
  }
  if (status >= 300 && status < 400) {
    return fail([7], `redirected (${status}) to ${ex.location ?? "?"}: something other than the WSUS vdir answers /selfupdate, typically SharePoint without the /selfupdate exclusion (cause 7).`);
  }
  if (status === 401) {
    if (ex.substatus === "401.3") {
      return withSp(fail([1], `the anonymous user is denied by the NTFS ACL on the SelfUpdate folder (401.3): grant Users (which holds IUSR) Read & Execute, and keep IUSR in Users (cause 1).`));
    }
    const rootDenied = ctx.root.status === 401;
    const causes = rootDenied ? [6, 4] : [4];
    const offers = offersWindowsAuth(ex);
    if (!offers && ex.substatus !== "401.2" && ex.substatus !== "401.1") causes.push(1);
    const how = offers ? `the server asks for ${schemes(ex)}` : "no authentication method is offered";
    return withSp(
      fail(
        causes,
        rootDenied
          ? `anonymous access is off on /selfupdate (${statusText(ex)}, ${how}) and on the site root too (GET / gives 401): turn anonymous access on for the site (cause 6) and the SelfUpdate vdir (cause 4).`
          : `anonymous access is off on the SelfUpdate vdir (${statusText(ex)}, ${how}): clients fetch ${file} anonymously (cause 4)${causes.includes(1) ? "; a 401 without a challenge can also be an NTFS ACL denial (cause 1)" : ""}.`,
      ),
    );
  }
  if (status === 404) {
    if (ex.substatus === "404.3") return withSp(fail([], `.cab has no MIME type on this server (404.3): add the mimeMap application/vnd.ms-cab-compressed.`));
    const folder = folderState(ctx.folder);
    if (folder === "present") {
      return withSp(
        fail(
          [8],
          `/selfupdate exists (GET /selfupdate/ gives ${statusText(ctx.folder)}) but ${file} is missing from it: Selfupdate.msi left files out or they were deleted; run Selfupdate.msi from %ProgramFiles%\\Update Services\\Setup (cause 8).`,
        ),
      );
    }
    if (folder === "absent") {
      return withSp(
        fail(
          [2, 3],
          `no /selfupdate on the site answering port ${ctx.clientPort} (GET /selfupdate/ gives 404 too): the SelfUpdate virtual directory is missing (cause 2), or it is configured on a site that is not bound to the client port (cause 3).`,
        ),
      );
    }
    return withSp(
      fail(
        [2, 8, 3],
        `${file} not found (404): over HTTP a missing SelfUpdate vdir (cause 2) cannot be told from a vdir without its files (cause 8) here (GET /selfupdate/ gave ${statusText(ctx.folder)}); the vdir may also sit on a site not bound to port ${ctx.clientPort} (cause 3).`,
      ),
    );
  }
  if (status === 403) {
    if (ex.substatus === "403.4") return fail([], `/selfupdate requires SSL (403.4): the SelfUpdate vdir must not require SSL, clients fetch ${file} over http.`);
    return withSp(fail([], `forbidden (${statusText(ex)}): read access to ${file} is refused by the server configuration.`));
  }
  if (status === 500) {
    if (ex.hresult?.toLowerCase() === "0x80070003") {
      return fail(
        [8, 2],
        `the SelfUpdate vdir's folder does not exist (${statusText(ex)}, 0x80070003): reinstall Selfupdate.msi (cause 8) or point the vdir at %ProgramFiles%\\Update Services\\Selfupdate (cause 2).`,
      );
    }
    return withSp(fail([], `server error (${statusText(ex)})${ex.substatus === "500.24" ? ": ASP.NET impersonation must be disabled (KB2737219)" : ""}.`));
  }
  return withSp(fail([], `unexpected answer ${statusText(ex)} for ${file}.`));
}

/** GET / on the client port: the site that answers clients must let anonymous requests in. */
export function judgeSiteRoot(ex: Exchange, ctx: { timeoutMs: number }): Verdict {
  const t = judgeTransport(ex, ctx.timeoutMs, true) ?? judgeBadRequest(ex, true) ?? judgeHealthAnswer(ex, "the site root");
  if (t) return t;
  const status = ex.status as number;
  if (status === 401) {
    if (ex.substatus === "401.3") return warn(`the site root denies the anonymous user by NTFS ACL (401.3); anonymous authentication itself is on.`);
    const how = offersWindowsAuth(ex) ? `the server asks for ${schemes(ex)}` : "no authentication method is offered";
    return fail([6], `anonymous access is off on the site root (${statusText(ex)}, ${how}): KB 920659 wants anonymous access on the site clients use (cause 6).`);
  }
  if (status === 403 && ex.substatus === "403.4") return warn(`the site root requires SSL (403.4): anonymous access could not be checked over http.`);
  if (status >= 500) return warn(`the site root answered ${statusText(ex)}.`);
  return pass(`anonymous requests reach the site root (${statusText(ex)}).`);
}

/** GET /ClientWebService/wusserverversion.xml, judged with GET /ClientWebService/ and GET /. */
export function judgeClientWebService(ex: Exchange, ctx: { folder: Exchange; root: Exchange; clientPort: number; timeoutMs: number }): Verdict {
  const t = judgeTransport(ex, ctx.timeoutMs, true) ?? judgeBadRequest(ex, true) ?? judgeHealthAnswer(ex, "ClientWebService");
  if (t) return t;
  const status = ex.status as number;
  if (status === 200) return pass(`wusserverversion.xml is served anonymously (200).`);
  if (status === 401) {
    const rootDenied = ctx.root.status === 401;
    return fail(
      rootDenied ? [6] : [],
      `ClientWebService asks for authentication (${statusText(ex)}): clients scan anonymously${rootDenied ? ", and the site root is 401 too (cause 6)" : ""}.`,
    );
  }
  if (status === 403 && ex.substatus === "403.4") {
    return warn(`ClientWebService requires SSL (403.4): clients must use https (expected when WSUS is configured for SSL; their WUServer URL must then be https).`);
  }
  if (status === 404) {
    const folder = folderState(ctx.folder);
    if (folder === "present") {
      return warn(
        `ClientWebService exists and lets anonymous requests in (GET /ClientWebService/ gives ${statusText(ctx.folder)}) but has no wusserverversion.xml. Clients do not fetch it (they POST to Client.asmx); it is only Microsoft's documented connectivity check.`,
      );
    }
    if (folder === "absent") {
      return fail([], `no /ClientWebService on the site answering port ${ctx.clientPort} (404): clients cannot scan; it belongs on the same site as SelfUpdate.`);
    }
    return fail([], `wusserverversion.xml not found (404) and GET /ClientWebService/ gave ${statusText(ctx.folder)}: the application could not be confirmed.`);
  }
  if (status === 500 && ex.hresult?.toLowerCase() === "0x80070003") {
    return fail([], `the ClientWebService folder does not exist (${statusText(ex)}, 0x80070003).`);
  }
  return fail([], `unexpected answer ${statusText(ex)} from ClientWebService${ex.substatus === "500.24" ? ": ASP.NET impersonation must be disabled (KB2737219)" : ""}.`);
}

/** GET of the Windows-auth-only vdir, anonymously: it must challenge for Windows authentication. */
export function judgeWindowsAuthVdir(
  ex: Exchange,
  ctx: { name: string; profile: ProbeProfile; port: number; sameAsClientPort: boolean; timeoutMs: number },
): Verdict {
  const t = judgeTransport(ex, ctx.timeoutMs, ctx.sameAsClientPort) ?? judgeBadRequest(ex, ctx.sameAsClientPort) ?? judgeHealthAnswer(ex, ctx.name);
  if (t) return t;
  const status = ex.status as number;
  const rule = `${ctx.name} must allow Windows authentication only (KB 920659: the one vdir with Integrated Windows Authentication)`;
  if (status === 401) {
    if (offersWindowsAuth(ex)) return pass(`${ctx.name} asks for Windows authentication (401, ${schemes(ex)}).`);
    return fail([], `${ctx.name} answers ${statusText(ex)} without offering Negotiate or NTLM: Windows authentication is off, so the console cannot log on. ${rule}.`);
  }
  if (status === 403 && ex.substatus === "403.4") {
    return warn(`${ctx.name} requires SSL (403.4): its authentication can only be checked over https.`);
  }
  if (status === 404) {
    const hint =
      ctx.profile === "kb920659" && ctx.name.toLowerCase() === "wsusadmin"
        ? " WSUS 3.0 SP2 and later have no WSUSAdmin (use --profile modern or auto to check ApiRemoting30)."
        : "";
    return fail(
      [],
      `${ctx.name} not found on port ${ctx.port} (${statusText(ex)}): the Windows-auth vdir is missing here.${hint} In Configuration 2 it lives on the WSUS Administration site: put that site's port in the URL and the clients' port in --client-port.`,
    );
  }
  if (status === 500 && ex.hresult?.toLowerCase() === "0x80070003") return fail([], `${ctx.name}'s folder does not exist (${statusText(ex)}, 0x80070003).`);
  if (status >= 500) return fail([], `${ctx.name} answered ${statusText(ex)}.`);
  return fail([], `${ctx.name} answered an anonymous request with ${statusText(ex)}: anonymous access is on. ${rule}.`);
}

export type ExchangeMap = Readonly<Record<Exclude<RequestKey, "windowsAuthLegacy">, Exchange>> & { readonly windowsAuthLegacy?: Exchange };

/**
 * Settle --profile auto from the two Windows-auth answers: ApiRemoting30 is what WSUS 3.0 SP2 and later
 * install (GROUND_TRUTH), so it is kept unless it is absent (404) and WSUSAdmin is there (anything but
 * 404 or a transport failure).
 */
export function settleProbeProfile(plan: ProbePlan, ex: ExchangeMap): { profile: ProbeProfile; reason: string; vdir: string; exchange: Exchange } {
  if (plan.profile !== "auto") return { profile: plan.profile, reason: "given", vdir: plan.windowsAuthVdir, exchange: ex.windowsAuth };
  const legacy = ex.windowsAuthLegacy;
  if (!plan.legacyWindowsAuthVdir || !legacy) {
    return { profile: "modern", reason: `auto: ${plan.windowsAuthVdir} checked as the Windows-auth vdir`, vdir: plan.windowsAuthVdir, exchange: ex.windowsAuth };
  }
  const exists = (e: Exchange) => typeof e.status === "number" && e.status !== 404 && e.status !== 400;
  if (!exists(ex.windowsAuth) && exists(legacy)) {
    return {
      profile: "kb920659",
      reason: `auto: ${plan.windowsAuthVdir} answers ${ex.windowsAuth.status}, ${plan.legacyWindowsAuthVdir} answers ${legacy.status} (the WSUS 2.0 layout)`,
      vdir: plan.legacyWindowsAuthVdir,
      exchange: legacy,
    };
  }
  return {
    profile: "modern",
    reason: `auto: ${plan.windowsAuthVdir} answers ${ex.windowsAuth.status}${exists(legacy) ? "" : `, ${plan.legacyWindowsAuthVdir} answers ${legacy.status}`} (the WSUS 3.0 SP2+ layout)`,
    vdir: plan.windowsAuthVdir,
    exchange: ex.windowsAuth,
  };
}

/** All verdicts for one probe, in the order they are shown. */
export function judge(plan: ProbePlan, ex: ExchangeMap): ProbeResult {
  const settled = settleProbeProfile(plan, ex);
  const ctx = { clientPort: plan.clientPort, timeoutMs: plan.timeoutMs };
  const check = (name: string, e: Exchange, v: Verdict): ProbeCheck => ({
    name,
    url: e.url,
    status: e.status,
    ok: v.level !== "fail",
    level: v.level,
    causes: v.causes,
    rules: v.rules,
    message: v.message,
  });
  const checks: ProbeCheck[] = [
    check("selfupdate-wuident", ex.wuident, judgeSelfUpdateFile("wuident.cab", ex.wuident, { ...ctx, root: ex.root, folder: ex.selfupdateDir })),
    check("selfupdate-iuident", ex.iuident, judgeSelfUpdateFile("iuident.cab", ex.iuident, { ...ctx, root: ex.root, folder: ex.selfupdateDir })),
    check("site-root-anonymous", ex.root, judgeSiteRoot(ex.root, ctx)),
    check("clientwebservice-version", ex.cwsVersion, judgeClientWebService(ex.cwsVersion, { ...ctx, folder: ex.cwsDir, root: ex.root })),
    check(
      "windows-auth-vdir",
      settled.exchange,
      judgeWindowsAuthVdir(settled.exchange, {
        name: settled.vdir,
        profile: settled.profile,
        port: plan.adminPort,
        sameAsClientPort: plan.adminPort === plan.clientPort,
        timeoutMs: plan.timeoutMs,
      }),
    ),
  ];
  const causes = [...new Set(checks.filter((c) => c.level === "fail").flatMap((c) => c.causes))].sort((a, b) => a - b);
  const rules = [...new Set(checks.filter((c) => c.level === "fail").flatMap((c) => c.rules))];
  return ProbeResult.parse({
    compliant: checks.every((c) => c.ok),
    url: plan.url,
    profile: settled.profile,
    profileReason: settled.reason,
    clientBase: plan.clientBase,
    adminBase: plan.adminBase,
    checks,
    causes,
    rules,
    exchanges: plan.requests.flatMap((r) => (ex[r.key] ? [ex[r.key] as Exchange] : [])),
  });
}
