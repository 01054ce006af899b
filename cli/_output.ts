/**
 * Human or machine-readable (`--json`) output of the command line.
 * @module
 */

/** Where the CLI writes: text sinks for stdout and stderr. */
export interface OutputSinks {
  /** Writes text to standard output (no line break added). */
  stdout: (text: string) => void;
  /** Writes text to standard error (no line break added). */
  stderr: (text: string) => void;
}

const encoder = new TextEncoder();

/** Sinks writing to the process's stdout and stderr. */
export const PROCESS_SINKS: OutputSinks = {
  stdout: (text) => writeAll(Deno.stdout, text),
  stderr: (text) => writeAll(Deno.stderr, text),
};

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

/** JSON replacer keeping `NaN` and infinities distinguishable from `null`. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? null : value > 0 ? "Infinity" : "-Infinity";
  }
  return value;
}

/**
 * The CLI's output channel. In human mode, results are text on stdout; with `--json`, stdout
 * carries exactly one JSON document per command and everything else (notes, progress) goes to
 * stderr.
 */
export class Output {
  /** Whether `--json` was given. */
  readonly json: boolean;
  readonly #sinks: OutputSinks;
  #resultWritten = false;

  /**
   * @param json Machine-readable mode.
   * @param sinks Text sinks. @default {PROCESS_SINKS}
   */
  constructor(json: boolean, sinks: OutputSinks = PROCESS_SINKS) {
    this.json = json;
    this.#sinks = sinks;
  }

  /** A human-readable line: stdout in human mode, stderr with `--json`. */
  line(text = ""): void {
    (this.json ? this.#sinks.stderr : this.#sinks.stdout)(text + "\n");
  }

  /** A note or progress line, always on stderr. */
  note(text: string): void {
    this.#sinks.stderr(text + "\n");
  }

  /**
   * The command's result: with `--json`, `value` as JSON on stdout (NaN as `null`, infinities
   * as strings); otherwise `human()` (if given) on stdout.
   */
  result(value: unknown, human?: () => string): void {
    if (this.json) {
      if (this.#resultWritten) {
        throw new Error(
          "Cannot write the result: a JSON result was already written (got a second)",
        );
      }
      this.#resultWritten = true;
      this.#sinks.stdout(JSON.stringify(value, replacer, 2) + "\n");
    } else if (human) {
      const text = human();
      if (text.length > 0) this.#sinks.stdout(text.endsWith("\n") ? text : text + "\n");
    }
  }

  /** Whether a JSON result was written already (the error handler then writes none). */
  get resultWritten(): boolean {
    return this.#resultWritten;
  }

  /** The raw sinks (for code that streams its own lines, e.g. training progress). */
  get sinks(): OutputSinks {
    return this.#sinks;
  }
}
