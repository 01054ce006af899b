/**
 * Helpers for the CLI tests: run `main()` in-process with captured output, or the real
 * `cli/main.ts` in a subprocess.
 * @module
 */
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.ts";

/** Output and exit code of one CLI invocation. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** Runs `main(argv)` in this process and captures its output. */
export async function runMain(argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

/** Path of the CLI entry file. */
export const MAIN_PATH: string = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));

/** Runs `deno run -A cli/main.ts ...argv` in a subprocess. */
export async function spawnCli(argv: string[]): Promise<CliResult> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_PATH, ...argv],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

/** The stderr lines that are not engine notices or progress. */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) =>
    l.length > 0 && !l.startsWith("grn engine:") && !l.startsWith("[grn]")
  );
}
