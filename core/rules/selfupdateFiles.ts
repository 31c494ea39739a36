import { pathKey } from "../model/paths";
import { renderAction } from "../plan/render";
import { findingsFor, manualCommand, type Rule, type RuleContext } from "./rule";
import { KB920659 } from "./sources";

const msi = (installDir: string) => `${installDir}\\Setup\\Selfupdate.msi`;
const fileKey = (p: string) => p.replace(/\//g, "\\").replace(/^\\+/, "").toLowerCase();

/** KB 920659 cause 8: a defective Selfupdate.msi leaves files missing from the SelfUpdate folder. */
export const selfUpdateFiles: Rule = {
  id: "selfupdate-files",
  group: "kb",
  helpUri: KB920659,
  cause: 8,
  severity: "error",
  title: "SelfUpdate files present",
  description: "The SelfUpdate folder holds the files clients fetch (wuident.cab, iuident.cab and any configured others).",
  evaluate({ layout, state }: RuleContext) {
    const f = findingsFor(this);
    const folder = layout.selfUpdatePath;
    const listing = state.files?.[pathKey(folder)];
    if (!listing) {
      return [f.unknown({ target: folder, message: `no file listing for ${folder}`, remediation: `collect \`dir /s /b /a-d "${folder}"\` into the evidence (files)` })];
    }
    const have = new Set(listing.files.map(fileKey));
    const missing = layout.selfUpdateFiles.filter((file) => !have.has(fileKey(file)));
    if (missing.length === 0) return [];
    return [
      f.fail({
        target: folder,
        message: `missing from ${folder}: ${missing.join(", ")}`,
        repair: layout.spec.repairs.reinstallSelfUpdate
          ? [{ kind: "install-msi", msi: msi(layout.spec.installDir) }]
          : [manualCommand("reinstall the SelfUpdate files: ", () => renderAction({ kind: "install-msi", msi: msi(layout.spec.installDir) })!, " (opt in with repairs.reinstallSelfUpdate)")],
      }),
    ];
  },
};
