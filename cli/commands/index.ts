import type { Command } from "commander";

/** Each command lives in its own module exporting `register(program)`. */
export function registerCommands(program: Command): void {
  for (const mod of [require("./check"), require("./converge"), require("./probe"), require("./rules"), require("./lab"), require("./demo")]) mod.register(program);
}
