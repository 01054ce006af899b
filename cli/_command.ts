/**
 * The shape of one `grn` command: its options (parsed and validated by `_args.ts`, listed by
 * `--help`) and its `run` function.
 * @module
 */
import type { Output } from "./_output.ts";

/** Kinds of option values. */
export type OptionKind =
  | "boolean"
  | "string"
  | "integer"
  | "number"
  | "choice"
  | "numbers"
  | "size";

/** One command-line option. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `"epochs"` for `--epochs`. */
  name: string;
  /** Value kind: `integer`/`number` are range-checked, `choice` must be one of `choices`,
   * `numbers` is a comma-separated list of `count` numbers, `size` is `HxW` or one number. */
  kind: OptionKind;
  /** One-letter alias, e.g. `"o"` for `-o`. */
  short?: string;
  /** One line for `--help`. */
  description: string;
  /** Value name shown in `--help`, e.g. `"N"`. @default {derived from the kind} */
  placeholder?: string;
  /** Default shown in `--help` (the command applies it). */
  default?: string | number | boolean;
  /** Allowed values of a `choice` option (a function is called when the option is used). */
  choices?: readonly string[] | (() => readonly string[]);
  /** Noun used in errors about a `choice` value, e.g. `"method"`. @default {"value"} */
  choiceNoun?: string;
  /** Smallest allowed value (inclusive unless `minExclusive`). */
  min?: number;
  /** The minimum itself is not allowed. @default {false} */
  minExclusive?: boolean;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Number of values of a `numbers` option. */
  count?: number;
}

/** One positional argument. */
export interface PositionalSpec {
  /** Name shown in usage, e.g. `"dir"`. */
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Whether it must be given. @default {true} */
  required?: boolean;
}

/** A parsed option value. */
export type OptionValue = string | number | boolean | number[];

/** The parsed command line of one command. */
export interface ParsedArgs {
  /** Option values by long name (options not given are absent). */
  values: Record<string, OptionValue | undefined>;
  /** Positional arguments by name (missing optional ones are absent). */
  positionals: Record<string, string | undefined>;
  /** `--json`: machine-readable output on stdout. */
  json: boolean;
  /** `--debug`: stack traces on errors. */
  debug: boolean;
}

/** What a command's `run` gets. */
export interface CommandContext {
  /** The parsed arguments. */
  args: ParsedArgs;
  /** Where results, notes and progress go. */
  out: Output;
}

/** A `grn` subcommand. */
export interface Command {
  /** Name typed after `grn`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Longer help text (paragraphs), shown by `--help` after the usage line. */
  description?: string;
  /** Positional arguments, in order. */
  positionals?: readonly PositionalSpec[];
  /** Options (the global `--help`, `--json`, `--debug` are added automatically). */
  options: readonly OptionSpec[];
  /** Examples shown by `--help`. */
  examples?: readonly string[];
  /**
   * Runs the command. Returns the exit code (0 success, 1 failure); throws `UsageError` for
   * command-line mistakes found late, and any other error for runtime failures.
   */
  run(context: CommandContext): Promise<number>;
}
