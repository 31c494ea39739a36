import { urlPathKey } from "../model/paths";
import { findingsFor, manual, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

/** The KB's minimum: SharePoint must leave these alone (WSUS 3 documents /iuident.cab too; the spec adds its own). */
export const KB_SHAREPOINT_EXCLUSIONS = ["/selfupdate", "/clientwebservice"];

/** KB 920659 cause 7: SharePoint on the WSUS server must exclude the WSUS paths from its management. */
export const sharePointExclusions: Rule = {
  id: "sharepoint-exclusions",
  group: "kb",
  helpUri: KB920659,
  cause: 7,
  severity: "error",
  title: "SharePoint excludes the WSUS paths",
  description: "When SharePoint is installed on the WSUS server, /selfupdate, /clientwebservice (and the spec's other paths) are excluded from SharePoint's managed paths.",
  evaluate({ spec, state }: RuleContext) {
    const f = findingsFor(this);
    const expected = spec.sharePoint.expected;
    if (expected === "no") return [];
    const sp = state.sharePoint;
    if (!sp) {
      return [
        f.unknown({
          target: "SharePoint",
          message: "whether SharePoint is installed is not known",
          remediation: "add sharePoint { installed, excludedPaths } to the evidence, or set sharePoint.expected to \"no\"",
        }),
      ];
    }
    if (!sp.installed && expected === "auto") return [];
    const wantedText = [...new Set([...KB_SHAREPOINT_EXCLUSIONS, ...spec.sharePoint.excludedPaths])].join(", ");
    if (sp.excludedPaths === null) {
      // No command reads SharePoint's managed paths across versions (scripts/agent.ps1 only sees that
      // it is installed): say so instead of guessing either way.
      return [
        f.unknown({
          target: "SharePoint",
          message: `SharePoint is installed; whether it excludes ${wantedText} could not be read`,
          remediation: `check SharePoint's managed paths (Central Administration) and pass them as evidence (collect-evidence.ps1 -SharePointExcludedPaths ${wantedText.replace(/, /g, ",")})`,
        }),
      ];
    }
    const have = new Set(sp.excludedPaths.map(urlPathKey));
    const wanted = [...new Set([...KB_SHAREPOINT_EXCLUSIONS, ...spec.sharePoint.excludedPaths].map(urlPathKey))];
    const missing = wanted.filter((p) => !have.has(p));
    if (missing.length === 0) return [];
    return [
      f.fail({
        target: "SharePoint",
        message: `SharePoint ${sp.installed ? "is installed" : "is expected"} and does not exclude ${missing.join(", ")}`,
        // No generic, safe command exists across SharePoint versions: always a manual step.
        repair: [manual(`exclude ${missing.join(", ")} from SharePoint management (WSS 3.0: stsadm -o addpath -url http://<server><path> -type exclusion, once per path)`)],
      }),
    ];
  },
};
