import { Command, CommanderError } from "commander";
import { CliError, EXIT } from "./errors";
import { registerCommands } from "./commands";

export function buildProgram(): Command {
  const program = new Command("wsus-iis")
    .description("Declare, check and repair the IIS layout a WSUS server needs (KB 920659).")
    .version(require("../package.json").version)
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Entry point for bin/wsus-iis.js. Every failure ends as one message and an exit code, never a stack trace. */
export async function runMain(argv: string[] = process.argv): Promise<void> {
  // `wsus-iis check … | head`: a reader that stops early is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // help and version "errors" are successes; usage errors were already printed by commander
    return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (e instanceof CliError) {
    process.stderr.write(`wsus-iis: ${e.message}\n`);
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`wsus-iis: ${message}\n`);
  if (process.env.WSUS_IIS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT.badInput;
}
