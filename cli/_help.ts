/**
 * `--help` texts.
 * @module
 */
import { allOptions } from "./_args.ts";
import type { Command, OptionSpec } from "./_command.ts";

const PLACEHOLDERS: Record<OptionSpec["kind"], string> = {
  boolean: "",
  string: "VALUE",
  integer: "N",
  number: "X",
  choice: "NAME",
  numbers: "A,B,C",
  size: "HxW",
};

function optionLabel(spec: OptionSpec): string {
  const ph = spec.kind === "boolean" ? "" : ` ${spec.placeholder ?? PLACEHOLDERS[spec.kind]}`;
  return `${spec.short ? `-${spec.short}, ` : "    "}--${spec.name}${ph}`;
}

function optionHelp(spec: OptionSpec): string {
  let text = spec.description;
  if (spec.kind === "choice" && typeof spec.choices !== "function" && spec.choices) {
    text += ` (${spec.choices.join(", ")})`;
  }
  if (spec.default !== undefined) text += ` [default: ${spec.default}]`;
  return text;
}

/** The usage line of a command. */
export function usageLine(command: Command): string {
  const pos = (command.positionals ?? []).map((p) =>
    (p.required ?? true) ? `<${p.name}>` : `[${p.name}]`
  );
  return ["grn", command.name, ...pos, "[options]"].join(" ");
}

/** The full `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines: string[] = [`Usage: ${usageLine(command)}`, "", command.summary];
  if (command.description) lines.push("", command.description);
  const pos = command.positionals ?? [];
  if (pos.length > 0) {
    lines.push("", "Arguments:");
    const w = Math.max(...pos.map((p) => p.name.length + 2));
    for (const p of pos) lines.push(`  ${`<${p.name}>`.padEnd(w)}  ${p.description}`);
  }
  const specs = allOptions(command);
  lines.push("", "Options:");
  const labels = specs.map(optionLabel);
  const w = Math.max(...labels.map((l) => l.length));
  specs.forEach((s, i) => lines.push(`  ${labels[i]!.padEnd(w)}  ${optionHelp(s)}`));
  if (command.examples && command.examples.length > 0) {
    lines.push("", "Examples:");
    for (const e of command.examples) lines.push(`  ${e}`);
  }
  return lines.join("\n") + "\n";
}

/** The top-level `grn --help` text. */
export function mainHelp(commands: readonly { name: string; summary: string }[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    "grn: Generative Reinforcement Networks for tissue-layer segmentation of 3-D ultrasound",
    "",
    "Usage: grn <command> [options]",
    "       grn <command> --help",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Global options: --help (-h), --json (results as JSON on stdout), --debug (stack traces),",
    "                --version",
    "Exit codes: 0 success, 1 failure, 2 usage error.",
    "",
  ].join("\n");
}
