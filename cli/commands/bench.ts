/**
 * `grn bench`: the paper's comparison as a resumable grid of cells (method × labeled fraction ×
 * seed), each a training run plus its evaluation on the same test split; then the tables and
 * the report.
 * @module
 */
import type { Command, OptionSpec, OptionValue } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { engineLog } from "../_engine_notice.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import { methodNames } from "../../trainers/method_registry.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";
import {
  applyBenchOverrides,
  BENCH_PRESETS,
  type BenchEvaluation,
  type BenchOverrides,
  benchPreset,
  type BenchSettings,
} from "../../comparison/grid.ts";
import {
  type BenchEngine,
  cellStatus,
  formatDuration,
  planBench,
  runBench,
} from "../../comparison/run_grid.ts";
import { EVALUATION_PROTOCOLS, type EvaluationProtocol } from "../../run/evaluate_run.ts";
import { findingsToText } from "../../report/findings_format.ts";
import { tableToText } from "../../report/format.ts";
import { writeBenchReport } from "../../report/write.ts";
import { didYouMean } from "../_suggest.ts";
import { wrapText } from "../_wrap.ts";

/** Options that do not define the grid or the engine, left out of the per-cell commands. */
const NOT_IN_CELL_COMMAND = new Set([
  "list-cells",
  "cell",
  "json",
  "debug",
  "help",
  "quiet",
  "no-report",
]);

/** Quotes a word for a POSIX shell when needed. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * The shell command that runs cell `k` of the grid the given options define: `deno task grn
 * bench` with every grid and engine option as given, then `--cell k`.
 */
export function cellCommand(
  options: readonly OptionSpec[],
  values: Record<string, OptionValue | undefined>,
  k: number,
): string {
  const words = ["deno", "task", "grn", "bench"];
  for (const spec of options) {
    const v = values[spec.name];
    if (v === undefined || NOT_IN_CELL_COMMAND.has(spec.name)) continue;
    if (spec.kind === "boolean") {
      if (v === true) words.push(`--${spec.name}`);
      continue;
    }
    const text = Array.isArray(v) ? v.join(spec.kind === "size" ? "x" : ",") : String(v);
    words.push(`--${spec.name}`, shellQuote(text));
  }
  words.push("--cell", String(k));
  return words.join(" ");
}

/** Grid settings from the parsed options (preset plus overrides). */
export function settingsFromArgs(values: Record<string, OptionValue | undefined>): BenchSettings {
  const preset = (values.preset as string | undefined) ?? "quick";
  const o: BenchOverrides = {};
  if (values.methods !== undefined) {
    const known = methodNames();
    const methods = String(values.methods).split(",").map((m) => m.trim()).filter((m) => m !== "");
    for (const m of methods) {
      if (!known.includes(m)) {
        throw new UsageError(
          `unknown method ${JSON.stringify(m)} in --methods${didYouMean(m, known)}; choose from ${
            known.join(", ")
          }`,
        );
      }
    }
    if (methods.length === 0) {
      throw new UsageError("--methods needs at least one method (got none)");
    }
    o.methods = methods;
  }
  if (values.fractions !== undefined) o.fractions = values.fractions as number[];
  if (values.seeds !== undefined) {
    const seeds = values.seeds as number[];
    if (seeds.some((s) => !Number.isInteger(s))) {
      throw new UsageError(`--seeds must be comma-separated integers (got ${seeds.join(",")})`);
    }
    o.seeds = seeds;
  }
  if (values.epochs !== undefined) o.epochs = values.epochs as number;
  if (values["phantom-seed"] !== undefined) {
    if (values.dataset !== undefined) {
      throw new UsageError(
        `--phantom-seed generates the preset's phantom; it cannot be combined with --dataset (got --dataset ${
          String(values.dataset)
        })`,
      );
    }
    o.phantomSeed = values["phantom-seed"] as number;
  }
  if (values.iterations !== undefined) o.iterationsPerEpoch = values.iterations as number;
  if (values.protocol !== undefined) o.protocol = values.protocol as EvaluationProtocol;
  if (values["validation-scores"] !== undefined) {
    o.validation = values["validation-scores"] as BenchEvaluation["validation"];
  }
  return applyBenchOverrides(benchPreset(preset), o);
}

function engineOf(values: Record<string, OptionValue | undefined>): BenchEngine {
  const e: BenchEngine = {};
  if (values.backend !== undefined) e.backend = values.backend as BackendChoice;
  if (values.threads !== undefined) e.threads = values.threads as number;
  if (values.native !== undefined) e.native = values.native as NativeChoice;
  return e;
}

const OPTIONS: readonly OptionSpec[] = [
  {
    name: "preset",
    short: "p",
    kind: "choice",
    choices: BENCH_PRESETS,
    choiceNoun: "preset",
    default: "quick",
    description: "grid preset (see Presets above)",
  },
  {
    name: "out",
    short: "o",
    kind: "string",
    placeholder: "DIR",
    default: "runs/bench-<preset>",
    description: "bench folder (cells, dataset, tables, report)",
  },
  {
    name: "dataset",
    short: "d",
    kind: "string",
    placeholder: "DIR",
    default: "the preset's phantom, generated into <out>/dataset",
    description: "dataset folder to use instead",
  },
  {
    name: "phantom-seed",
    kind: "integer",
    min: 0,
    placeholder: "N",
    description: "generate the preset's phantom with seed N (check a result on another phantom)",
  },
  {
    name: "methods",
    kind: "string",
    placeholder: "A,B,...",
    description: "replace the grid by these methods at every fraction",
  },
  {
    name: "fractions",
    kind: "numbers",
    min: 0,
    minExclusive: true,
    max: 1,
    placeholder: "F,F,...",
    description: "replace the labeled fractions",
  },
  { name: "seeds", kind: "numbers", placeholder: "S,S,...", description: "replace the seeds" },
  { name: "epochs", kind: "integer", min: 1, description: "replace the maximum epochs" },
  { name: "iterations", kind: "integer", min: 1, description: "replace the iterations per epoch" },
  {
    name: "protocol",
    kind: "choice",
    choices: [...EVALUATION_PROTOCOLS],
    choiceNoun: "protocol",
    default: "image",
    description: "evaluation unit of every cell: 2-D images (the paper's) or 3-D scans",
  },
  {
    name: "validation-scores",
    kind: "choice",
    choices: ["table6", "all", "none"],
    choiceNoun: "choice",
    default: "table6",
    description: "cells also scored on the validation split (Table 6's, as the paper)",
  },
  BACKEND_OPTION,
  THREADS_OPTION,
  NATIVE_OPTION,
  {
    name: "list-cells",
    kind: "boolean",
    description: "print one shell command per cell (for a job array or GNU parallel) and exit",
  },
  {
    name: "cell",
    kind: "integer",
    min: 0,
    placeholder: "K",
    description: "run only cell K (0-based, as listed by --list-cells)",
  },
  {
    name: "no-report",
    kind: "boolean",
    description: "do not write the tables and report at the end",
  },
  { name: "quiet", short: "q", kind: "boolean", description: "no progress lines" },
];

const DESCRIPTION =
  "Runs a grid of cells (method × labeled fraction × seed) into --out: each cell is a run\n" +
  "folder (cells/<method>_f<fraction>_s<seed>/) trained and evaluated with and without SGE on\n" +
  "the same test split (one split seed for the whole grid, so scores pair up image by image,\n" +
  "or scan by scan with --protocol scan). Table 6's cells (its methods at the lowest\n" +
  "fraction) are also scored on the validation split, where the paper scores Table 6.\n" +
  "Finished cells are kept and skipped; an interrupted cell resumes from its checkpoint; run\n" +
  "the same command again to continue a grid. After a full run the tables (tables.json,\n" +
  "tables.csv, tables.md) and report.html are written; `grn report DIR` writes them any time.\n\n" +
  "On a cluster: --list-cells prints one command per cell; run them with GNU parallel\n" +
  "(`grn bench ... --list-cells | parallel -j 4`) or a Slurm job array (`--cell\n" +
  "$SLURM_ARRAY_TASK_ID`), then `grn report DIR`.\n\n" +
  "Presets:\n" +
  BENCH_PRESETS.map((p) =>
    wrapText(benchPreset(p).description, 90, `  ${p.padEnd(6)} `, " ".repeat(9))
  )
    .join("\n");

/** The `bench` command. */
export const command: Command = {
  name: "bench",
  summary: "the paper's comparison as a resumable grid of runs; tables and report",
  description: DESCRIPTION,
  options: OPTIONS,
  examples: [
    "grn bench --preset quick",
    "grn bench --preset paper --out runs/paper --list-cells | parallel -j 4",
    "grn bench --preset paper --out runs/paper --cell $SLURM_ARRAY_TASK_ID",
    "grn report runs/paper",
    "grn bench --methods supervised,grn-ssl --fractions 0.1,0.2 --seeds 0,1 --out runs/mine",
  ],
  async run({ args, out }) {
    const v = args.values;
    const settings = settingsFromArgs(v);
    const dir = (v.out as string | undefined) ??
      `runs/bench-${(v.preset as string | undefined) ?? "quick"}`;
    const engine = engineOf(v);
    const quiet = v.quiet === true;
    if (v["list-cells"] === true) {
      if (v.cell !== undefined) throw new UsageError("--list-cells and --cell cannot be combined");
      const { cells } = await planBench({
        out: dir,
        settings,
        ...(v.dataset !== undefined ? { dataset: v.dataset as string } : {}),
      });
      const values = { ...v, out: dir };
      const listed: { index: number; name: string; status: string; command: string }[] = [];
      for (const c of cells) {
        listed.push({
          index: c.index,
          name: c.name,
          status: await cellStatus(dir, c),
          command: cellCommand(OPTIONS, values, c.index),
        });
      }
      out.result(
        { ok: true, dir, preset: settings.preset, cells: listed },
        () => listed.map((c) => `${c.command}   # ${c.name} (${c.status})`).join("\n"),
      );
      return 0;
    }
    const result = await runBench({
      out: dir,
      settings,
      ...(v.dataset !== undefined ? { dataset: v.dataset as string } : {}),
      ...(v.cell !== undefined ? { cell: v.cell as number } : {}),
      ...engine,
      progress: quiet ? () => {} : (line) => out.note(line),
      log: quiet ? () => {} : engineLog(out, {
        ...(engine.native !== undefined ? { native: engine.native } : {}),
        forward: (line) => {
          if (line.startsWith("grn engine:") || line.startsWith("grn bench:")) out.note(line);
        },
      }),
    });
    const failed = result.outcomes.filter((o) => o.outcome === "failed");
    const held = result.outcomes.filter((o) => o.outcome === "held");
    const all = result.manifest.cells.length;
    let report = null;
    if (v.cell === undefined && v["no-report"] !== true && result.done > 0) {
      if (!quiet) out.note("grn bench: writing the tables and report");
      report = await writeBenchReport(dir, { ...engine });
    }
    out.result(
      {
        ok: failed.length === 0,
        dir,
        preset: settings.preset,
        cells: all,
        done: result.done,
        outcomes: result.outcomes.map((o) => ({
          cell: o.cell.name,
          index: o.cell.index,
          outcome: o.outcome,
          before: o.before,
          seconds: o.seconds,
          ...(o.error !== undefined ? { error: o.error } : {}),
        })),
        seconds: result.seconds,
        report: report?.files ?? null,
      },
      () => {
        const lines: string[] = [];
        if (report) {
          const main = report.tables.find((t) => t.id === "table2") ?? report.tables[0];
          if (main) lines.push(tableToText(main), "");
          lines.push(findingsToText(report.findings), "");
        }
        lines.push(
          `Bench ${dir} (${settings.preset}): ${result.done}/${all} cells done; ` +
            `${result.outcomes.filter((o) => o.outcome === "ran").length} run now, ` +
            `${result.outcomes.filter((o) => o.outcome === "skipped").length} skipped, ` +
            `${held.length} held by other processes, ` +
            `${failed.length} failed; ${formatDuration(result.seconds)}`,
        );
        for (const h of held) lines.push(`  held: ${h.cell.name}: ${h.error}`);
        if (held.length > 0 && result.done < all) {
          lines.push(
            `  ${all - result.done} cells are not done yet; when the other processes finish: ` +
              `deno task grn report ${dir}`,
          );
        }
        for (const f of failed) lines.push(`  failed: ${f.cell.name}: ${f.error}`);
        if (report) {
          lines.push(
            `  tables: ${report.files.markdown}, ${report.files.csv}, ${report.files.json}`,
            `  report: ${report.files.html}`,
          );
        } else if (v.cell !== undefined) {
          lines.push(`  when every cell is done: deno task grn report ${dir}`);
        }
        return lines.join("\n");
      },
    );
    return failed.length === 0 ? 0 : 1;
  },
};
