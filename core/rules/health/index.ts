/**
 * The `health` rule group (issue 13): the IIS state a WSUS server needs beyond KB 920659. Opt-in with
 * `rules: [kb, health]` (spec) or `--rules kb,health` (CLI).
 */
import type { Rule } from "../rule";
import { wsusDynamicCompression } from "./compression";
import { wsusImpersonationOff } from "./impersonation";
import { wsusPoolIdleTimeout, wsusPoolPeriodicRestart, wsusPoolPing, wsusPoolPrivateMemory, wsusPoolQueueLength, wsusPoolVirtualMemory } from "./poolSettings";
import { wsusPoolStarted, wsusSiteStarted } from "./runtime";

export const HEALTH_RULES: readonly Rule[] = [
  wsusPoolQueueLength,
  wsusPoolPrivateMemory,
  wsusPoolVirtualMemory,
  wsusPoolPeriodicRestart,
  wsusPoolIdleTimeout,
  wsusPoolPing,
  wsusImpersonationOff,
  wsusDynamicCompression,
  wsusSiteStarted,
  wsusPoolStarted,
];
