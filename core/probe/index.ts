import { exchange } from "./http";
import type { ProbeOptionsInput, ProbeResult } from "./schema";
import { judge, planProbe, type ExchangeMap, type RequestKey } from "./verdict";

export * from "./schema";
export {
  ProbeInputError,
  folderState,
  judge,
  judgeBadRequest,
  judgeClientWebService,
  judgeHealthAnswer,
  judgeSelfUpdateFile,
  judgeSiteRoot,
  judgeTransport,
  judgeWindowsAuthVdir,
  offersWindowsAuth,
  planProbe,
  PROBE_HEALTH_RULES,
  settleProbeProfile,
  windowsAuthPathOf,
  type ExchangeMap,
  type FolderState,
  type PlannedRequest,
  type ProbePlan,
  type RequestKey,
  type Verdict,
} from "./verdict";
export { exchange, hresultOf, isInvalidHostname, substatusOf } from "./http";

/**
 * Do what a Windows Update client does first against `url`, over plain HTTP and anonymously, and judge
 * the answers against KB 920659 and the health rules' runtime symptoms (see core/probe/verdict.ts for what
 * each answer means).
 * Throws ProbeInputError for a bad URL or option; network failures are results, never exceptions.
 */
export async function probe(url: string, options: ProbeOptionsInput = {}): Promise<ProbeResult> {
  const plan = planProbe(url, options);
  const answers = await Promise.all(plan.requests.map((r) => exchange(r.url, { method: r.method, timeoutMs: plan.timeoutMs })));
  const map = Object.fromEntries(plan.requests.map((r, i) => [r.key, answers[i]])) as Record<RequestKey, (typeof answers)[number]>;
  return judge(plan, map as ExchangeMap);
}
