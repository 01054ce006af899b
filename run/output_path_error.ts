/**
 * The error `predictScan` throws for an output path it refuses.
 * @module
 */

/**
 * An output path a command refuses before any work (`predictScan`: the output or the read-out
 * is the input scan, the model or each other, its folder does not exist, or it exists and
 * `overwrite` is off); `usage` marks a mistake in the command line (the output names one of
 * the inputs), which the CLI reports with exit code 2.
 */
export class OutputPathError extends Error {
  /** Whether the command line itself is wrong (exit code 2), not the file system's state. */
  readonly usage: boolean;

  /**
   * The error with its message and whether the command line itself is wrong.
   *
   * @param message The whole message.
   * @param usage See {@linkcode OutputPathError.usage}.
   */
  constructor(message: string, usage: boolean) {
    super(message);
    this.name = "OutputPathError";
    this.usage = usage;
  }
}
