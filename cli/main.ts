/**
 * The `grn` command line: `deno task grn <command> [options]`.
 *
 * Commands are listed in `_commands.ts`; each lives in `commands/<name>.ts`. Exit codes: 0
 * success, 1 runtime failure, 2 usage error. Errors are one line on stderr (with `--json`, also
 * a JSON error object on stdout); `--debug` adds the stack trace.
 *
 * @example
 * ```sh
 * deno run -A cli/main.ts phantom data/phantom --participants 6
 * deno run -A cli/main.ts train --dataset data/phantom --method grn-ssl --fraction 0.1 --out runs/a
 * deno run -A cli/main.ts eval runs/a
 * ```
 *
 * @module
 */
import { parseCommandArgs, wantsHelp } from "./_args.ts";
import type { Command } from "./_command.ts";
import { COMMANDS } from "./_commands.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./_errors.ts";
import { commandHelp, mainHelp } from "./_help.ts";
import { Output, type OutputSinks, PROCESS_SINKS } from "./_output.ts";
import { didYouMean } from "./_suggest.ts";
import { GRN_VERSION } from "../run/version.ts";

export { GRN_VERSION };

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "message" in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}

/**
 * Runs the `grn` command line on `argv` (the arguments after the program name).
 *
 * @param argv E.g. `["train", "--dataset", "d", "--method", "grn-ssl"]`.
 * @param sinks Where stdout and stderr text goes. @default {the process's}
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 */
export async function main(
  argv: readonly string[],
  sinks: OutputSinks = PROCESS_SINKS,
): Promise<number> {
  // `deno task <task> -- args` passes the `--` on: drop it before and right after the command.
  const words = argv[0] === "--" ? argv.slice(1) : argv;
  const [name, ...rest] = words[1] === "--" ? [words[0]!, ...words.slice(2)] : words;
  const rawJson = rest.includes("--json");
  const rawDebug = words.includes("--debug");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const target = name === "help" ? rest[0] : undefined;
    if (target === undefined) {
      sinks.stdout(mainHelp(COMMANDS));
      return name === undefined ? EXIT_USAGE : EXIT_OK;
    }
    return main([target, "--help"], sinks);
  }
  if (name === "--version" || name === "-V") {
    sinks.stdout(`grn ${GRN_VERSION}\n`);
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  const prefix = entry ? `grn ${name}` : "grn";
  let out = new Output(rawJson, sinks);
  let debug = rawDebug;
  try {
    if (!entry) {
      throw new UsageError(
        name.startsWith("-")
          ? `unknown option ${name} before the command (usage: grn <command> [options])`
          : `unknown command ${JSON.stringify(name)}${
            didYouMean(name, COMMANDS.map((c) => c.name))
          }; commands: ${COMMANDS.map((c) => c.name).join(", ")}`,
      );
    }
    const command: Command = await entry.load();
    if (wantsHelp(rest)) {
      sinks.stdout(commandHelp(command));
      return EXIT_OK;
    }
    const args = parseCommandArgs(command, rest);
    out = new Output(args.json, sinks);
    debug = args.debug;
    return await command.run({ args, out });
  } catch (error) {
    const usage = error instanceof UsageError;
    const message = errorMessage(error).split("\n")[0]!;
    sinks.stderr(`${prefix}: ${message}\n`);
    if (debug && error instanceof Error && error.stack) sinks.stderr(error.stack + "\n");
    const code = usage ? EXIT_USAGE : EXIT_FAILURE;
    if (out.json && !out.resultWritten) {
      out.result({ ok: false, error: { command: entry?.name ?? null, message, exitCode: code } });
    }
    return code;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // Worker threads of the wasm backend would keep the process alive: exit explicitly.
  Deno.exit(code);
}
