/**
 * `grn eval`: score a trained run on its test split.
 * @module
 */
import type { Command } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { engineLog } from "../_engine_notice.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import {
  evaluateRun,
  type EvaluateRunOptions,
  EVALUATION_PROTOCOLS,
  type EvaluationProtocol,
  type RunMetrics,
  type SgeChoice,
} from "../../run/evaluate_run.ts";
import type { SliceDirection } from "../../data/slices_geometry.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";
import type { MeanCI } from "../../metrics/mean_ci.ts";

function fixed(x: number, digits: number): string {
  const text = x.toFixed(digits);
  return /^-0\.0*$/.test(text) ? text.slice(1) : text; // no "-0.000"
}

function ci(m: MeanCI, digits: number): string {
  if (Number.isNaN(m.mean)) return "n/a";
  const bounds = Number.isNaN(m.lower)
    ? ""
    : ` (${fixed(m.lower, digits)}, ${fixed(m.upper, digits)})`;
  return `${fixed(m.mean, digits)}${bounds}`;
}

/** The human-readable table of `grn eval`. */
export function formatMetrics(m: RunMetrics): string {
  const p = m.protocol;
  const unit = p.unit === "image"
    ? `per image: ${m.units} 2-D slices (${p.directions.join(" and ")}${
      p.directions.length > 1 ? " as separate images" : ""
    })`
    : `per scan${
      p.ensemble ? " (coronal and sagittal predictions averaged)" : ` (${p.direction})`
    }`;
  const head = [
    `${m.run}: ${m.method}, fraction ${m.fraction}, seed ${m.seed} — ${m.split} split, ` +
    `${m.scans.length} scan${m.scans.length === 1 ? "" : "s"}; ${unit}`,
  ];
  const cols: string[] = ["class"];
  for (const v of m.variants) {
    const label = v.variant === "sge" ? "SGE S(G(x))" : "S(x)";
    cols.push(`${label} Dice (95% CI)`, `${label} HD95 mm (95% CI)`);
  }
  const rows: string[][] = m.classes.map(({ name }, i) => [
    name,
    ...m.variants.flatMap((v) => [ci(v.dice.perClass[i]!, 3), ci(v.hd95.perClass[i]!, 2)]),
  ]);
  rows.push([
    "overall",
    ...m.variants.flatMap((v) => [ci(v.dice.overall, 3), ci(v.hd95.overall, 2)]),
  ]);
  const widths = cols.map((c, j) => Math.max(c.length, ...rows.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((c, j) => c.padEnd(widths[j]!)).join("  ").trimEnd();
  const out = [...head, "", line(cols), ...rows.map(line)];
  if (m.sgeVsPlain) {
    const t = m.sgeVsPlain;
    out.push(
      "",
      `SGE - plain, per-${p.unit} mean Dice, paired over ${t.n} ${p.unit}s: ` +
        `${t.meanDifference.toFixed(4)} ` +
        `(95% CI ${t.ci95.lower.toFixed(4)}, ${t.ci95.upper.toFixed(4)}; paired t p = ${
          Number.isNaN(t.p) ? "n/a" : t.p.toPrecision(3)
        })`,
    );
  }
  return out.join("\n");
}

/** The `eval` command. */
export const command: Command = {
  name: "eval",
  summary: "per-class Dice and HD95 with 95% CIs on a run's test split, with and without SGE",
  description:
    "Segments every scan of the split with S(x) and, when the method has a generator, with SGE\n" +
    "S(G(x)), and scores Dice and HD95 (mm) per class, background excluded, with 95% Student-t\n" +
    "intervals. --protocol image (the default, the paper's): every 2-D B-mode slice of the\n" +
    "chosen direction(s) is one item (both directions: coronal and sagittal slices are separate\n" +
    "images, never averaged); Dice and 2-D HD95 per slice; means, intervals and the SGE test\n" +
    "are over images. --protocol scan: every scan is one item, segmented as a volume (both\n" +
    "directions: probabilities averaged, a test-time ensemble); 3-D HD95. A class absent from\n" +
    "both prediction and truth of an item is left out of that item (NaN, as the paper's code).\n" +
    "Writes metrics.json and images.csv (or scans.csv) into the run folder\n" +
    "(metrics.validation.json and *.validation.csv for --split validation), holding the run's\n" +
    "lock. Refuses data whose files changed since training (dataset.fingerprint.json) unless\n" +
    "--allow-changed-data.",
  positionals: [{ name: "run", description: "run folder written by grn train" }],
  options: [
    {
      name: "split",
      kind: "choice",
      choices: ["test", "validation"],
      choiceNoun: "split",
      default: "test",
      description: "split side to score",
    },
    {
      name: "protocol",
      kind: "choice",
      choices: [...EVALUATION_PROTOCOLS],
      choiceNoun: "protocol",
      default: "image",
      description: "evaluation unit: 2-D images (the paper's) or 3-D scans",
    },
    { name: "sge", kind: "boolean", description: "require SGE (error without a generator)" },
    { name: "no-sge", kind: "boolean", description: "score S(x) only" },
    {
      name: "direction",
      kind: "choice",
      choices: ["both", "coronal", "sagittal"],
      choiceNoun: "direction",
      default: "the run's (image), both (scan)",
      description: "slice direction(s): the image set, or the scan's ensemble",
    },
    { name: "batch-size", kind: "integer", min: 1, default: 8, description: "slices per pass" },
    {
      name: "dataset",
      short: "d",
      kind: "string",
      placeholder: "DIR",
      default: "the run's",
      description: "dataset folder, if it moved since training",
    },
    {
      name: "allow-external-links",
      kind: "boolean",
      default: "the run's",
      description: "follow symbolic links whose target leaves the dataset folder",
    },
    {
      name: "allow-changed-data",
      kind: "boolean",
      description: "score although the dataset's files changed since the run recorded their " +
        "fingerprint (refused by default)",
    },
    BACKEND_OPTION,
    THREADS_OPTION,
    NATIVE_OPTION,
  ],
  examples: [
    "grn eval runs/ssl10",
    "grn eval runs/ssl10 --protocol scan",
    "grn eval runs/ssl10 --split validation --direction coronal --no-sge --json",
  ],
  async run({ args, out }) {
    const v = args.values;
    if (v.sge === true && v["no-sge"] === true) {
      throw new UsageError("--sge and --no-sge exclude each other (got both)");
    }
    const sge: SgeChoice = v.sge === true ? "on" : v["no-sge"] === true ? "off" : "auto";
    const options: EvaluateRunOptions = {
      sge,
      split: (v.split as "test" | "validation" | undefined) ?? "test",
      protocol: (v.protocol as EvaluationProtocol | undefined) ?? "image",
      batchSize: (v["batch-size"] as number | undefined) ?? 8,
      backend: (v.backend as BackendChoice | undefined) ?? "auto",
      threads: (v.threads as number | undefined) ?? 1,
      native: (v.native as NativeChoice | undefined) ?? "auto",
      log: engineLog(out, { native: (v.native as NativeChoice | undefined) ?? "auto" }),
    };
    if (v.dataset !== undefined) options.dataset = v.dataset as string;
    if (v["allow-external-links"] === true) options.allowExternalLinks = true;
    if (v["allow-changed-data"] === true) options.allowChangedData = true;
    if (v.direction !== undefined) options.direction = v.direction as SliceDirection | "both";
    const metrics = await evaluateRun(args.positionals.run!, options);
    out.result({ ok: true, ...metrics }, () => formatMetrics(metrics));
    return 0;
  },
};
