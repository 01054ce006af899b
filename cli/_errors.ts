/**
 * Errors of the command line: usage errors exit with code 2, everything else with 1.
 * @module
 */

/** Exit code of a successful command. */
export const EXIT_OK = 0;
/** Exit code of a runtime failure (bad data, failed training, problems found). */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error (unknown command or option, bad value). */
export const EXIT_USAGE = 2;

/** A mistake in the command line (unknown option, bad value, missing argument): exit code 2. */
export class UsageError extends Error {
  /**
   * @param message One line, without the `grn <command>:` prefix (the CLI adds it).
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
