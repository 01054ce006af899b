/**
 * `evaluateRun`: per-class Dice and HD95 with confidence intervals of a trained run on its
 * test (or validation) split, with and without SGE (the core of `grn eval`).
 * @module
 */
import { join } from "node:path";
import { loadScan } from "../../data/dataset_load.ts";
import { DATASET_LABELS, loadDatasetManifest } from "../../data/dataset_manifest.ts";
import { predictVolume } from "../../data/predict_volume.ts";
import type { SliceDirection } from "../../data/slices_geometry.ts";
import { type BackendChoice, initEngine } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";
import { evaluateScan } from "../../metrics/evaluate_scan.ts";
import { pairedTTest, type PairedTTestResult } from "../../metrics/paired_t_test.ts";
import {
  type ClassScoreSummary,
  summarizeClassScores,
} from "../../metrics/summarize_class_scores.ts";
import { writeCsvAtomic } from "../../metrics/write_csv_atomic.ts";
import { writeJsonAtomic } from "../../metrics/write_json_atomic.ts";
import { loadRunModel } from "./load_run_model.ts";
import { readRunSplit, RUN_FILES } from "./run_config.ts";

/** Which prediction paths to score. */
export type SgeChoice = "auto" | "on" | "off";

/** Options of {@linkcode evaluateRun}. */
export interface EvaluateRunOptions {
  /** Split side to score. @default {"test"} */
  split?: "test" | "validation";
  /**
   * `"auto"`: `S(x)`, plus SGE `S(G(x))` when the model has a generator; `"on"`: both, and an
   * error without a generator; `"off"`: `S(x)` only.
   * @default {"auto"}
   */
  sge?: SgeChoice;
  /** Slice direction(s) of the volume prediction. @default {"both"} */
  direction?: SliceDirection | "both";
  /** Slices per forward pass. @default {8} */
  batchSize?: number;
  /** Dataset folder, when it moved since training. @default {the run's} */
  dataset?: string;
  /** Write `metrics.json` and `scans.csv` into the run folder. @default {true} */
  write?: boolean;
  /** Backend. @default {"auto"} */
  backend?: BackendChoice;
  /** Threads (wasm workers, or oneDNN's with the native provider). @default {1} */
  threads?: number;
  /** Native kernel provider on the wasm backend. @default {"auto"} */
  native?: NativeChoice;
  /** Notes (engine, per-scan progress). @default {discarded} */
  log?: (line: string) => void;
}

/** Scores of one prediction path. */
export interface VariantMetrics {
  /** `"plain"` for `S(x)`, `"sge"` for `S(G(x))`. */
  variant: "plain" | "sge";
  /** Per-class Dice (background excluded) over scans: mean and 95% t interval. */
  dice: ClassScoreSummary;
  /** Per-class HD95 in mm over scans: mean and 95% t interval. */
  hd95: ClassScoreSummary;
}

/** One row of `scans.csv`. */
export interface ScanScoreRow {
  /** Every column is a string or a number (CSV cells). */
  [column: string]: string | number;
  /** Scan id. */
  scan: string;
  /** Participant. */
  participant: string;
  /** `"plain"` or `"sge"`. */
  variant: string;
  /** Label. */
  class: number;
  /** Label name. */
  name: string;
  /** Dice (NaN when the class is absent from both). */
  dice: number;
  /** HD95 in mm. */
  hd95: number;
}

/** What {@linkcode evaluateRun} returns (and writes to `metrics.json`). */
export interface RunMetrics {
  /** The run folder. */
  run: string;
  /** Method, labeled fraction and seeds of the run. */
  method: string;
  /** Labeled fraction. */
  fraction: number;
  /** Training seed. */
  seed: number;
  /** Split seed. */
  splitSeed: number;
  /** Split side scored. */
  split: "test" | "validation";
  /** Checkpoint evaluated. */
  checkpoint: string;
  /** Scored labels and their names. */
  classes: { label: number; name: string }[];
  /** Scans scored. */
  scans: { id: string; participant: string }[];
  /** One entry per prediction path. */
  variants: VariantMetrics[];
  /**
   * Paired t-test of the per-scan mean Dice, SGE minus plain (`null` without SGE or with fewer
   * than two scans).
   */
  sgeVsPlain: PairedTTestResult | null;
  /** How scores were computed. */
  protocol: {
    direction: string;
    hd95: string;
    ci: string;
  };
  /** Wall-clock seconds. */
  seconds: number;
}

/**
 * Scores a trained run on its test (or validation) split.
 *
 * Each scan of the side is segmented as a volume (`predictVolume`: every slice in both
 * directions, softmax averaged voxel by voxel) with `S(x)` and, when available, SGE `S(G(x))`.
 * Per scan and class (background excluded): Dice, and HD95 in mm on the scan's voxel spacing
 * (symmetric, the larger of the two directed 95th percentiles; a class missing from exactly one
 * of prediction and truth scores the grid diagonal, a finite worst case; absent from both, it
 * is left out). Per class, the mean over scans with a 95% Student-t interval; "overall" is the
 * mean of each scan's class mean.
 *
 * @param dir The run folder.
 * @param options See {@linkcode EvaluateRunOptions}.
 * @returns The metrics (also written to the run folder unless `write` is false).
 * @throws {Error} When the run has no model, the split side has no labeled scan, SGE is
 *   required but the model has no generator, or the dataset cannot be read.
 */
export async function evaluateRun(
  dir: string,
  options: EvaluateRunOptions = {},
): Promise<RunMetrics> {
  const t0 = performance.now();
  const {
    split: side = "test",
    sge = "auto",
    direction = "both",
    batchSize = 8,
    write = true,
    backend = "auto",
    threads = 1,
    native = "auto",
    log = () => {},
  } = options;
  await initEngine({ backend, threads, native, log });
  const { config, checkpoint, method } = await loadRunModel(dir);
  try {
    if (sge === "on" && !method.hasGenerator) {
      throw new Error(
        `Cannot evaluate ${dir} with SGE: method ${config.method} has no generator (got --sge)`,
      );
    }
    const variants: ("plain" | "sge")[] = sge === "off" || !method.hasGenerator
      ? ["plain"]
      : ["plain", "sge"];
    const split = await readRunSplit(dir);
    const datasetDir = options.dataset ?? config.dataset.path;
    const manifest = await loadDatasetManifest(datasetDir);
    const ids = split.scans[side];
    const labeled = ids.filter((id) => manifest.scans.find((s) => s.id === id)?.label);
    if (labeled.length === 0) {
      throw new Error(
        `Cannot evaluate ${dir}: the ${side} split has no labeled scan (got ${ids.length} scans)`,
      );
    }
    const numClasses = config.networks.numClasses;
    const classes = Array.from({ length: numClasses - 1 }, (_, i) => i + 1);
    const names = classes.map((c) => manifest.labels[String(c)] ?? DATASET_LABELS[String(c)]!);
    const dice: Record<string, number[][]> = { plain: [], sge: [] };
    const hd95: Record<string, number[][]> = { plain: [], sge: [] };
    const rows: ScanScoreRow[] = [];
    const scans: RunMetrics["scans"] = [];
    for (const [k, id] of labeled.entries()) {
      const scan = await loadScan(datasetDir, manifest, id);
      scans.push({ id, participant: scan.participant });
      for (const variant of variants) {
        const useSge = variant === "sge";
        const pred = await predictVolume(
          scan.image,
          (x) => method.trainer.predict(x, { sge: useSge }),
          { inputSize: config.slices.inputSize, direction, batchSize, fit: config.slices.fit },
        );
        const score = evaluateScan(pred, scan.label!, {
          numClasses,
          classes,
          hd95: { emptyOne: "diagonal" },
        });
        dice[variant]!.push(score.dice.dice);
        hd95[variant]!.push(score.hd95!.hd95);
        classes.forEach((c, i) => {
          rows.push({
            scan: id,
            participant: scan.participant,
            variant,
            class: c,
            name: names[i]!,
            dice: score.dice.dice[i]!,
            hd95: score.hd95!.hd95[i]!,
          });
        });
        log(
          `grn eval: ${k + 1}/${labeled.length} ${id} ${variant === "sge" ? "S(G(x))" : "S(x)"} ` +
            `mean Dice ${score.dice.mean.toFixed(4)}`,
        );
      }
    }
    const results: VariantMetrics[] = variants.map((variant) => ({
      variant,
      dice: summarizeClassScores(classes, dice[variant]!),
      hd95: summarizeClassScores(classes, hd95[variant]!),
    }));
    let sgeVsPlain: PairedTTestResult | null = null;
    if (variants.includes("sge") && labeled.length >= 2) {
      const meanOf = (r: number[]) => {
        const kept = r.filter((v) => !Number.isNaN(v));
        return kept.reduce((a, b) => a + b, 0) / kept.length;
      };
      sgeVsPlain = pairedTTest(dice.sge!.map(meanOf), dice.plain!.map(meanOf));
    }
    const metrics: RunMetrics = {
      run: dir,
      method: config.method,
      fraction: config.fraction,
      seed: config.seed,
      splitSeed: config.splitSeed,
      split: side,
      checkpoint,
      classes: classes.map((label, i) => ({ label, name: names[i]! })),
      scans,
      variants: results,
      sgeVsPlain,
      protocol: {
        direction,
        hd95: "symmetric max of directed 95th percentiles in mm; one-sided empty = grid diagonal",
        ci: "95% Student t over scans",
      },
      seconds: (performance.now() - t0) / 1000,
    };
    if (write) {
      const suffix = side === "test" ? "" : `.${side}`;
      const metricsFile = RUN_FILES.metrics.replace(".json", `${suffix}.json`);
      const scansFile = RUN_FILES.scans.replace(".csv", `${suffix}.csv`);
      await writeJsonAtomic(join(dir, metricsFile), metrics);
      await writeCsvAtomic(join(dir, scansFile), rows, [
        "scan",
        "participant",
        "variant",
        "class",
        "name",
        "dice",
        "hd95",
      ]);
    }
    return metrics;
  } finally {
    method.dispose();
  }
}
