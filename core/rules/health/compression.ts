import { expandEnv, joinWindowsPath, pathKey } from "../../model/paths";
import { findingsFor, type Rule, type RuleContext, type RuleFinding } from "../rule";
import { healthOf, KB4490414 } from "./scope";

/**
 * WSUS's dynamic compression: the `xpress` scheme of system.webServer/httpCompression with
 * dll="<install dir>\WebServices\suscomp.dll" and doDynamicCompression="true" (KB 4490414, "Check whether
 * compression is enabled": `<scheme name="xpress" doStaticCompression="false" doDynamicCompression="true"
 * dll="C:\Program Files\Update Services\WebServices\suscomp.dll" staticCompressionLevel="10"
 * dynamicCompressionLevel="0" />`). KB 4490414 also names the registry value
 * HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\IIsDynamicCompression; it is not read here.
 *
 * Repair: the KB's own line, written with appcmd (`/+[…]` adds the scheme, `/[name='xpress'].dll:` fixes
 * it) so it is backed up and rolled back with applicationHost.config. The KB's alternative,
 * DynamicCompression.vbs, also writes the registry and asks for a WsusPool restart; it is shown, not run.
 */
export const wsusDynamicCompression: Rule = {
  id: "wsus-dynamic-compression",
  cause: null,
  group: "health",
  severity: "warning",
  title: "WSUS dynamic compression (xpress, suscomp.dll)",
  description: "The xpress httpCompression scheme exists, is used for dynamic compression and points at suscomp.dll under the WSUS install folder (KB 4490414). Off, clients download uncompressed metadata. Set health.compression: false to skip.",
  helpUri: KB4490414,
  evaluate(ctx: RuleContext): RuleFinding[] {
    const f = findingsFor(this);
    if (ctx.state.source === "declaration" || !ctx.spec.health.compression) return [];
    const health = healthOf(ctx);
    if (!health) return [f.unknown({ target: "httpCompression", message: "the evidence holds no compression settings" })];
    const dll = joinWindowsPath(ctx.spec.installDir, "WebServices", "suscomp.dll");
    const scheme = health.compressionSchemes.find((s) => s.name.toLowerCase() === "xpress");
    const vbs = `or, as KB 4490414 does it: cscript "${joinWindowsPath(ctx.spec.installDir, "Setup", "DynamicCompression.vbs")}" /enable "${dll}", then restart the WSUS pool`;
    if (!scheme) {
      return [f.fail({ target: "httpCompression", message: `no xpress compression scheme: clients download WSUS metadata uncompressed`, repair: [{ kind: "set-compression", dll, exists: false }], remediation: vbs })];
    }
    const sameDll = scheme.dll !== "" && pathKey(expandEnv(scheme.dll)) === pathKey(dll);
    if (sameDll && scheme.dynamic) return [];
    const what = [!sameDll ? `points at ${scheme.dll || "no dll"} instead of ${dll}` : "", !scheme.dynamic ? "has doDynamicCompression false" : ""].filter(Boolean).join(" and ");
    return [f.fail({ target: "httpCompression", message: `the xpress compression scheme ${what}`, repair: [{ kind: "set-compression", dll, exists: true }], remediation: vbs })];
  },
};
