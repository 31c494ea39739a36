import { z } from "zod";

/** KB 920659 cause numbers, in the order the KB lists them. */
export const KB_CAUSES = {
  1: "SelfUpdate folder permissions missing, or the anonymous user (IUSR) removed from Users",
  2: "SelfUpdate virtual directory missing",
  3: "SelfUpdate not configured on a site bound to the client port (80)",
  4: "SelfUpdate virtual directory has no anonymous access",
  5: "Default Web Site bound to specific IP addresses without 127.0.0.1",
  6: "Default Web Site has no anonymous access",
  7: "SharePoint installed without excluding the WSUS paths",
  8: "Selfupdate.msi defective: SelfUpdate files missing",
} as const;


export const Finding = z.object({
  /** Stable rule id, e.g. "selfupdate-anonymous". */
  rule: z.string(),
  /** KB 920659 cause number 1..8, or null for layout rules. */
  cause: z.number().int().min(1).max(8).nullable(),
  severity: z.enum(["error", "warning"]),
  /** What is wrong where: "Default Web Site/Selfupdate", a folder path, a group … */
  target: z.string(),
  message: z.string(),
  remediation: z.string(),
  /** fail: the server (or declaration) breaks the rule; unknown: the evidence needed is absent. */
  status: z.enum(["fail", "unknown"]),
});
export type Finding = z.infer<typeof Finding>;

/** A finding that makes a server non-compliant: a failed requirement of error severity. */
export const isProblem = (f: Pick<Finding, "status" | "severity">): boolean => f.status === "fail" && f.severity === "error";
/** A failed requirement of warning severity: reported (and repaired where a repair exists), never non-compliant. */
export const isWarning = (f: Pick<Finding, "status" | "severity">): boolean => f.status === "fail" && f.severity === "warning";

export const Report = z.object({ compliant: z.boolean(), findings: z.array(Finding) });
export type Report = z.infer<typeof Report>;
