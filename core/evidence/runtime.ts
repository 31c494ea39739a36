import { EvidenceError } from "./errors";
import { walkXml } from "./xmlWalk";

/**
 * Runtime state of sites and application pools, from `appcmd list site /xml` and `appcmd list apppool /xml`.
 * applicationHost.config does not hold it (a site or pool stopped by a person or by rapid-fail
 * protection is still configured), and KB 920659 opens with "Non-running services".
 *
 * The output shape, one element per object under `<appcmd>`:
 *   <SITE SITE.NAME="Default Web Site" SITE.ID="1" bindings="http/*:80:" state="Started" />
 *   <APPPOOL APPPOOL.NAME="DefaultAppPool" PipelineMode="Integrated" RuntimeVersion="v4.0" state="Started" />
 * No Microsoft page shows the /xml form verbatim; the text form (`SITE "Site2" (id:3,bindings:…,state:Stopped)`,
 * `APPPOOL "DefaultAppPool" (MgdVersion:v2.0,MgdMode:Integrated,state:Started)`) is in the IIS docs'
 * appcmd samples (../shared/fixtures/command-outputs/appcmd-list-outputs-iis-docs.txt), and the /xml form
 * with the same attribute names appears in public code that parses real output (find_string "SITE SITE.NAME=").
 *
 * States: Started, Starting, Stopped, Stopping, Unknown (ObjectState of Microsoft.Web.Administration).
 * Names may arrive garbled if appcmd wrote them in another code page than the agent read, so sites are
 * matched by SITE.ID first (ASCII digits) and anything unmatched stays unknown.
 */
export interface RuntimeObject {
  name: string;
  id: number | null;
  state: string;
}

export function parseAppcmdList(xml: string, element: "SITE" | "APPPOOL", field: string): RuntimeObject[] {
  if (typeof xml !== "string" || /^\uFEFF?\s*$/.test(xml)) throw new EvidenceError(field, "empty appcmd output");
  const out: RuntimeObject[] = [];
  walkXml(
    xml,
    field,
    "appcmd",
    (path, a) => {
      if (path.length !== 2 || path[1] !== element) return;
      const name = a[`${element}.NAME`];
      if (name === undefined || name === "") return;
      const id = element === "SITE" && a["SITE.ID"] !== undefined && /^\d+$/.test(a["SITE.ID"]) ? Number(a["SITE.ID"]) : null;
      out.push({ name, id, state: normalizeState(a.state) });
    },
    " (the output of appcmd list … /xml)",
  );
  return out;
}

const STATES = ["Started", "Starting", "Stopped", "Stopping", "Unknown"];

/** The state as one of the five words, case-normalised; anything else is "Unknown". */
function normalizeState(v: string | undefined): string {
  const t = (v ?? "").trim().toLowerCase();
  return STATES.find((s) => s.toLowerCase() === t) ?? "Unknown";
}
