import type { HealthSpec } from "../../model/spec";
import type { RepairAction } from "../../plan/actions";
import type { AppPoolState } from "../../state/health";
import { formatIisTimeSpan } from "../../evidence/health";
import { renderAction } from "../../plan/render";
import { findingsFor, manualCommand, type Rule, type RuleContext, type RuleFinding } from "../rule";
import { KB4490414, wsusPools } from "./scope";

/** One WsusPool setting: how to read it, what the spec asks, and the appcmd attribute that sets it. */
interface PoolSetting {
  id: string;
  title: string;
  description: string;
  /** The appcmd attribute path under the pool (`appcmd set apppool NAME /<attribute>:<value>`). */
  attribute: "queueLength" | "recycling.periodicRestart.privateMemory" | "recycling.periodicRestart.memory" | "recycling.periodicRestart.time" | "processModel.idleTimeout" | "processModel.pingingEnabled";
  read(pool: AppPoolState): number | boolean;
  ok(value: number | boolean, spec: HealthSpec): boolean;
  /** The value to set, in appcmd's syntax, and how it reads in a message. */
  want(spec: HealthSpec): { value: string; text: string };
  show(value: number | boolean): string;
  /** What goes wrong for clients when it is off (the symptom). */
  symptom: string;
}

const kb = (n: number) => (n === 0 ? "0 (no limit)" : `${n} KB`);

function poolRule(s: PoolSetting): Rule {
  return {
    id: s.id,
    cause: null,
    group: "health",
    severity: "error",
    title: s.title,
    description: s.description,
    helpUri: KB4490414,
    evaluate(ctx: RuleContext): RuleFinding[] {
      const f = findingsFor(this);
      const scope = wsusPools(ctx);
      if (scope.kind === "declaration") return []; // a declaration says nothing about pools: the converge sets them
      if (scope.kind === "no-evidence") return [f.unknown({ target: "WsusPool", message: "the evidence holds no application pool settings", remediation: "collect the evidence with wsus-iis 0.1+ (the applicationHost.config is enough)" })];
      if (scope.kind === "unknown") return [f.unknown({ target: "WsusPool", message: scope.reason })];
      const out: RuleFinding[] = scope.missing.map((name) =>
        f.fail({ target: name, message: `application pool ${name} is used by the WSUS applications but is not defined in applicationHost.config: every request gets 503`, remediation: "recreate the pool (WSUS setup, or IIS Manager), then run apply again" }),
      );
      const want = s.want(ctx.spec.health);
      for (const { pool, apps, sharedWith } of scope.pools) {
        const value = s.read(pool);
        if (s.ok(value, ctx.spec.health)) continue;
        const action: RepairAction = { kind: "set-apppool", pool: pool.name, attribute: s.attribute, value: want.value };
        const repair: RepairAction[] =
          sharedWith.length === 0
            ? [action]
            : [
                manualCommand(
                  `${pool.name} also runs ${sharedWith.slice(0, 3).join(", ")}${sharedWith.length > 3 ? " …" : ""}, which the spec does not own: move WSUS to its own pool, or name this one in health.appPool, or run `,
                  () => renderAction(action) ?? "",
                ),
              ];
        out.push(
          f.fail({
            target: pool.name,
            message: `${pool.name}${apps.length ? ` (${apps.slice(0, 3).join(", ")}${apps.length > 3 ? " …" : ""})` : ""}: ${s.title.toLowerCase()} is ${s.show(value)}, expected ${want.text}: ${s.symptom}`,
            repair,
          }),
        );
      }
      return out;
    },
  };
}

export const wsusPoolQueueLength = poolRule({
  id: "wsuspool-queue-length",
  title: "Queue length",
  description: "The WSUS application pool queues at least health.minQueueLength requests (KB 4490414: 2000, up from the IIS default 1000).",
  attribute: "queueLength",
  read: (p) => p.queueLength,
  ok: (v, h) => (v as number) >= h.minQueueLength,
  want: (h) => ({ value: String(h.minQueueLength), text: `${h.minQueueLength} or more` }),
  show: (v) => String(v),
  symptom: "in a scan storm HTTP.sys rejects requests beyond the queue with 503",
});

export const wsusPoolPrivateMemory = poolRule({
  id: "wsuspool-private-memory",
  title: "Private memory limit",
  description: "The WSUS application pool has no private-memory recycling limit (KB 4490414: 0, up from WSUS setup's 1,843,200 KB), or one of at least health.privateMemoryKb.",
  attribute: "recycling.periodicRestart.privateMemory",
  read: (p) => p.privateMemoryKb,
  ok: (v, h) => v === 0 || (h.privateMemoryKb !== 0 && (v as number) >= h.privateMemoryKb),
  want: (h) => ({ value: String(h.privateMemoryKb), text: h.privateMemoryKb === 0 ? "0 (no limit)" : `0 or at least ${h.privateMemoryKb} KB` }),
  show: (v) => kb(v as number),
  symptom: "WSUS's metadata cache overruns it, the pool recycles and clients get 503 until the cache is rebuilt",
});

export const wsusPoolVirtualMemory = poolRule({
  id: "wsuspool-virtual-memory",
  title: "Virtual memory limit",
  description: "The WSUS application pool has no virtual-memory recycling limit (KB 4490414: 0), or one of at least health.virtualMemoryKb.",
  attribute: "recycling.periodicRestart.memory",
  read: (p) => p.virtualMemoryKb,
  ok: (v, h) => v === 0 || (h.virtualMemoryKb !== 0 && (v as number) >= h.virtualMemoryKb),
  want: (h) => ({ value: String(h.virtualMemoryKb), text: h.virtualMemoryKb === 0 ? "0 (no limit)" : `0 or at least ${h.virtualMemoryKb} KB` }),
  show: (v) => kb(v as number),
  symptom: "the pool recycles under load and clients get 503",
});

export const wsusPoolPeriodicRestart = poolRule({
  id: "wsuspool-periodic-restart",
  title: "Periodic restart",
  description: "The WSUS application pool is not recycled on a timer (KB 4490414: Regular Time Interval 0, down from the IIS default 1740 minutes = 29 hours).",
  attribute: "recycling.periodicRestart.time",
  read: (p) => p.periodicRestartMinutes,
  ok: (v, h) => v === h.periodicRestartMinutes,
  want: (h) => ({ value: formatIisTimeSpan(h.periodicRestartMinutes), text: h.periodicRestartMinutes === 0 ? "0 (off)" : `${h.periodicRestartMinutes} minutes` }),
  show: (v) => ((v as number) === 0 ? "0 (off)" : `${v} minutes`),
  symptom: "every recycle throws away WSUS's metadata cache",
});

export const wsusPoolIdleTimeout = poolRule({
  id: "wsuspool-idle-timeout",
  title: "Idle time-out",
  description: "The WSUS application pool is not shut down when idle (KB 4490414: 0, down from the IIS default 20 minutes).",
  attribute: "processModel.idleTimeout",
  read: (p) => p.idleTimeoutMinutes,
  ok: (v, h) => v === h.idleTimeoutMinutes,
  want: (h) => ({ value: formatIisTimeSpan(h.idleTimeoutMinutes), text: h.idleTimeoutMinutes === 0 ? "0 (never)" : `${h.idleTimeoutMinutes} minutes` }),
  show: (v) => ((v as number) === 0 ? "0 (never)" : `${v} minutes`),
  symptom: "the first scan after a quiet period rebuilds WSUS's cache from the database",
});

export const wsusPoolPing = poolRule({
  id: "wsuspool-ping",
  title: "Ping",
  description: "Worker-process pinging is off for the WSUS application pool (KB 4490414: Ping Enabled False, from the default True).",
  attribute: "processModel.pingingEnabled",
  read: (p) => p.pingingEnabled,
  ok: (v, h) => v === h.pingingEnabled,
  want: (h) => ({ value: h.pingingEnabled ? "true" : "false", text: h.pingingEnabled ? "on" : "off" }),
  show: (v) => (v ? "on" : "off"),
  symptom: "a worker busy building the cache misses a ping and is killed",
});
