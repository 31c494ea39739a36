import { z } from "zod";
import { Report } from "../rules/finding";

/** One rule that was evaluated, whether or not it produced findings (JUnit and SARIF list passing rules too). */
export const RuleInfo = z.object({
  /** Stable rule id, the same string as `Finding.rule`, e.g. "selfupdate-anonymous". */
  id: z.string().min(1),
  /** KB 920659 cause number 1..8, or null for layout rules. */
  cause: z.number().int().min(1).max(8).nullable(),
  /** One line: what the rule requires. */
  title: z.string(),
  /** Longer explanation of the rule. */
  description: z.string(),
  /**
   * The rule group (`kb`: KB 920659 and the WSUS layout; `health`: the rest of the IIS state WSUS needs).
   * Absent (a RuleInfo from before the groups): `kb`.
   */
  group: z.enum(["kb", "health"]).optional(),
  /** The Microsoft article behind the rule (SARIF helpUri). Absent: KB 920659. */
  helpUri: z.string().optional(),
  /** How it is repaired, in a sentence or two (SARIF help). Each finding carries its own exact fix. */
  remediation: z.string().optional(),
});
export type RuleInfo = z.infer<typeof RuleInfo>;

/** The result of checking one server: the input every renderer takes (as an array, one entry per server). */
export const ServerReport = z.object({
  /** Server name as the user knows it, e.g. "WSUS01". */
  server: z.string().min(1),
  /** What was checked on it, when that is not simply the server (a declaration file, a stack …). */
  target: z.string().optional(),
  report: Report,
  /** All rules that were evaluated for this server. */
  rules: z.array(RuleInfo),
  /** The layout the server was judged against, and why (profile and configuration: from the spec, or detected). */
  layout: z.object({ profile: z.enum(["kb920659", "modern"]), configuration: z.union([z.literal(1), z.literal(2)]), reasons: z.array(z.string()) }).optional(),
  /** What a person should know about the server besides the findings (an interrupted earlier apply …). */
  notices: z.array(z.string()).optional(),
});
export type ServerReport = z.infer<typeof ServerReport>;
