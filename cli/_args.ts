/**
 * Command-line parsing on top of `node:util`'s `parseArgs`: unknown options get a suggestion,
 * values are checked against the option's kind and range, and every mistake is one line.
 * @module
 */
import { parseArgs } from "node:util";
import type { Command, OptionSpec, OptionValue, ParsedArgs } from "./_command.ts";
import { UsageError } from "./_errors.ts";
import { didYouMean } from "./_suggest.ts";

/** Options every command accepts. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: "help", short: "h", kind: "boolean", description: "show this help and exit" },
  { name: "json", kind: "boolean", description: "print machine-readable results on stdout" },
  { name: "debug", kind: "boolean", description: "show stack traces on errors" },
];

/** All options of a command, its own first, then the global ones. */
export function allOptions(command: Command): OptionSpec[] {
  return [...command.options, ...GLOBAL_OPTIONS];
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function rangeText(spec: OptionSpec, noun: string): string {
  const { min, max, minExclusive = false } = spec;
  if (min !== undefined && max !== undefined) {
    return `${noun} in ${minExclusive ? "(" : "["}${min}, ${max}]`;
  }
  if (min !== undefined) return `${noun} ${minExclusive ? ">" : ">="} ${min}`;
  if (max !== undefined) return `${noun} <= ${max}`;
  return noun;
}

function inRange(spec: OptionSpec, v: number): boolean {
  const { min, max, minExclusive = false } = spec;
  if (min !== undefined && (minExclusive ? !(v > min) : !(v >= min))) return false;
  if (max !== undefined && !(v <= max)) return false;
  return true;
}

function parseNumber(text: string): number {
  const t = text.trim();
  return t === "" ? NaN : Number(t);
}

/** The allowed values of a `choice` option. */
export function choicesOf(spec: OptionSpec): readonly string[] {
  const c = spec.choices;
  return typeof c === "function" ? c() : (c ?? []);
}

/**
 * Converts and checks one option value.
 *
 * @throws {UsageError} With a one-line message naming the option, what was expected and the
 *   value given.
 */
export function convertOptionValue(spec: OptionSpec, raw: string): OptionValue {
  const flag = `--${spec.name}`;
  switch (spec.kind) {
    case "boolean":
    case "string":
      return raw;
    case "integer": {
      const v = parseNumber(raw);
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        // Above 2^53 a double cannot hold every integer: 2^53 + 1 would silently become 2^53.
        throw new UsageError(
          `${flag} must be an integer between -${Number.MAX_SAFE_INTEGER} and ` +
            `${Number.MAX_SAFE_INTEGER}, larger ones are rounded (got ${raw})`,
        );
      }
      if (!Number.isInteger(v) || !inRange(spec, v)) {
        throw new UsageError(`${flag} must be ${rangeText(spec, "an integer")} (got ${raw})`);
      }
      return v;
    }
    case "number": {
      const v = parseNumber(raw);
      if (!Number.isFinite(v) || !inRange(spec, v)) {
        throw new UsageError(`${flag} must be ${rangeText(spec, "a number")} (got ${raw})`);
      }
      return v;
    }
    case "choice": {
      const choices = choicesOf(spec);
      if (!choices.includes(raw)) {
        const noun = spec.choiceNoun ?? "value";
        throw new UsageError(
          `unknown ${noun} ${quote(raw)} for ${flag}${didYouMean(raw, choices)}; choose from ${
            choices.join(", ")
          }`,
        );
      }
      return raw;
    }
    case "numbers": {
      const parts = raw.split(",").map(parseNumber);
      const count = spec.count;
      const ok = (count === undefined || parts.length === count) &&
        parts.every((v) => Number.isFinite(v) && inRange(spec, v));
      if (!ok) {
        const what = `${count ?? "comma-separated"} comma-separated ${rangeText(spec, "numbers")}`;
        throw new UsageError(`${flag} must be ${what} (got ${raw})`);
      }
      return parts;
    }
    case "size": {
      const parts = raw.toLowerCase().split("x").map(parseNumber);
      const ok = (parts.length === 1 || parts.length === 2) &&
        parts.every((v) => Number.isInteger(v) && inRange(spec, v));
      if (!ok) {
        throw new UsageError(
          `${flag} must be HEIGHTxWIDTH or one size for both, ${
            rangeText(spec, "integers")
          } (got ${raw})`,
        );
      }
      return parts.length === 1 ? [parts[0]!, parts[0]!] : parts;
    }
  }
}

/** Whether `argv` asks for help (`--help` or `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/**
 * Parses the arguments of one command (everything after the command name).
 *
 * @param command The command whose options apply.
 * @param argv The arguments.
 * @returns Checked option values and named positionals.
 * @throws {UsageError} On an unknown option (with the nearest known one), a missing or
 *   malformed value, a value outside its range, a missing positional, or an extra argument.
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  const specs = allOptions(command);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const s of specs) {
    config[s.name] = { type: s.kind === "boolean" ? "boolean" : "string" };
    if (s.short) config[s.name]!.short = s.short;
  }
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: [...argv],
      options: config,
      strict: false,
      allowPositionals: true,
      tokens: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  const values: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  const names = specs.map((s) => s.name);
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const spec = token.rawName.startsWith("--")
      ? byName.get(token.name)
      : byShort.get(token.rawName.slice(1)) ?? byName.get(token.name);
    if (spec === undefined || (!token.rawName.startsWith("--") && !spec.short)) {
      const typed = token.rawName.startsWith("--") ? token.name : token.rawName.slice(1);
      throw new UsageError(
        `unknown option ${token.rawName}${didYouMean(typed, names, "--")}`,
      );
    }
    const flag = `--${spec.name}`;
    if (spec.kind === "boolean") {
      if (token.value !== undefined) {
        throw new UsageError(`${flag} takes no value (got ${token.value})`);
      }
      values[spec.name] = true;
      continue;
    }
    if (token.value === undefined) {
      throw new UsageError(
        `${flag} needs a value${spec.placeholder ? ` (${spec.placeholder})` : ""}`,
      );
    }
    values[spec.name] = convertOptionValue(spec, token.value);
  }
  const wanted = command.positionals ?? [];
  if (positionals.length > wanted.length) {
    const extra = positionals[wanted.length]!;
    throw new UsageError(
      `unexpected argument ${quote(extra)}${
        wanted.length === 0
          ? ` (${command.name} takes no positional arguments)`
          : ` (${command.name} takes ${wanted.map((p) => `<${p.name}>`).join(" ")})`
      }`,
    );
  }
  const named: Record<string, string | undefined> = {};
  wanted.forEach((p, i) => {
    const v = positionals[i];
    if (v === undefined && (p.required ?? true)) {
      throw new UsageError(
        `missing <${p.name}>: ${p.description} (see grn ${command.name} --help)`,
      );
    }
    if (v !== undefined) named[p.name] = v;
  });
  return {
    values,
    positionals: named,
    json: values.json === true,
    debug: values.debug === true,
  };
}
