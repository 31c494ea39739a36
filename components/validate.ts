import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { describeIssues } from "../core/model/spec";

/** Whether a value holds an Output or a Promise anywhere (then it can only be judged once resolved). */
export function hasUnresolved(v: unknown, seen = new Set<unknown>()): boolean {
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return true;
  if (v === null || typeof v !== "object" || seen.has(v)) return false;
  seen.add(v);
  return Object.values(v as Record<string, unknown>).some((x) => hasUnresolved(x, seen));
}

/** An argument error naming the component, the resource and every bad field with its value. */
export class ComponentArgsError extends Error {
  constructor(
    readonly component: string,
    readonly resourceName: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`${component} ${JSON.stringify(resourceName)}: invalid arguments:\n` + issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n"));
    this.name = "ComponentArgsError";
  }
}

/**
 * Validate plain arguments with a schema and return the parsed value (defaults applied); arguments that
 * hold Outputs are returned as given and judged later (the policy pack parses the resolved inputs with
 * the same schema). `prefix` names the field path (`spec.` for a layout's spec).
 */
export function validateArgs<S extends z.ZodType>(component: string, name: string, schema: S, args: unknown, prefix = ""): z.output<S> | undefined {
  if (hasUnresolved(args)) return undefined;
  const r = schema.safeParse(args);
  if (r.success) return r.data;
  throw new ComponentArgsError(
    component,
    name,
    describeIssues(r.error.issues, args).map((i) => ({ path: i.path ? prefix + i.path : prefix.replace(/\.$/, ""), message: i.message })),
  );
}

/** Drop undefined fields so registered inputs hold only what was declared. */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
