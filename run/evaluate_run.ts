/**
 * `evaluateRun`: per-class Dice and HD95 with confidence intervals of a trained run on its
 * test (or validation) split, with and without SGE (the core of `grn eval`), per 2-D image
 * (the paper's protocol) or per 3-D scan.
 * @module
 */
import { join } from "node:path";
import { loadScan } from "../data/dataset_load.ts";
import { DATASET_LABELS, loadDatasetManifest } from "../data/dataset_manifest.ts";
import { predictVolume, type SlicePredictor } from "../data/predict_volume.ts";
import { SLICE_DIRECTIONS, type SliceDirection } from "../data/slices_geometry.ts";
import { type BackendChoice, initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { evaluateScan } from "../metrics/evaluate_scan.ts";
import { evaluateSlices } from "../metrics/evaluate_slices.ts";
import { pairedTTest, type PairedTTestResult } from "../metrics/paired_t_test.ts";
import { type ClassScoreSummary, summarizeClassScores } from "../metrics/summarize_class_scores.ts";
import { writeCsvAtomic } from "../metrics/write_csv_atomic.ts";
import { writeJsonAtomic } from "../metrics/write_json_atomic.ts";
import { acquireLock } from "./file_lock.ts";
import { loadRunModel } from "./load_run_model.ts";
import { readRunConfig, readRunSplit, RUN_FILES } from "./run_config.ts";
import { checkRunDataset } from "./run_fingerprint.ts";
import { RUN_LOCK } from "./run_folder.ts";

function nanMean(values: readonly number[]): number {
  const kept = values.filter((v) => !Number.isNaN(v));
  return kept.length === 0 ? NaN : kept.reduce((a, b) => a + b, 0) / kept.length;
}

/** Which prediction paths to score. */
export type SgeChoice = "auto" | "on" | "off";

/**
 * The evaluation unit. `"image"`: every 2-D B-mode slice is an item (the paper's protocol: Dice
 * per image, means and tests over images); `"scan"`: every 3-D volume is an item.
 */
export type EvaluationProtocol = "image" | "scan";

/** The evaluation protocols, default first. */
export const EVALUATION_PROTOCOLS: readonly EvaluationProtocol[] = Object.freeze([
  "image",
  "scan",
]);

/** Options of {@linkcode evaluateRun}. */
export interface EvaluateRunOptions {
  /** Split side to score. @default {"test"} */
  split?: "test" | "validation";
  /**
   * `"image"`: each slice of each direction is predicted on its own (no ensemble) and scored as
   * one item; `"scan"`: each scan is predicted as a volume (with `"both"` directions, the
   * softmax of the coronal and sagittal predictions averaged voxel by voxel) and scored as one
   * item. See {@linkcode EvaluationProtocol}.
   * @default {"image"}
   */
  protocol?: EvaluationProtocol;
  /**
   * `"auto"`: `S(x)`, plus SGE `S(G(x))` when the model has a generator; `"on"`: both, and an
   * error without a generator; `"off"`: `S(x)` only.
   * @default {"auto"}
   */
  sge?: SgeChoice;
  /**
   * Slice direction(s). Per image: the image set (`"both"`: coronal and sagittal slices are
   * separate images, pooled, never averaged); per scan: the directions of the volume
   * prediction (`"both"`: the two-direction ensemble).
   * @default {per image: the run's training directions; per scan: "both"}
   */
  direction?: SliceDirection | "both";
  /** Slices per forward pass. @default {8} */
  batchSize?: number;
  /** Dataset folder, when it moved since training. @default {the run's} */
  dataset?: string;
  /**
   * Follow symbolic links whose target leaves the dataset folder (`--allow-external-links`).
   * @default {the run's setting (`config.json`), else false}
   */
  allowExternalLinks?: boolean;
  /**
   * Evaluate even when the run's data changed since it recorded its fingerprint
   * (`--allow-changed-data`; the changes are reported through `log`). Without it, changed data
   * are refused with a `DatasetChangedError` naming the changed files. A run without a
   * recorded fingerprint (older grn) gets a note either way.
   * @default {false}
   */
  allowChangedData?: boolean;
  /**
   * The caller already holds the run folder's lock (the bench holds a cell's lock for training
   * and evaluation). Otherwise, when `write` is true, the lock is taken for the whole
   * evaluation, so it cannot race a training (or another evaluation) of the same folder.
   * @default {false}
   */
  lockHeld?: boolean;
  /**
   * Write `metrics.json` and `images.csv` (per image) or `scans.csv` (per scan) into the run
   * folder (`metrics.validation.json`, `*.validation.csv` for the validation split).
   * @default {true}
   */
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
  /** Per-class Dice (background excluded) over the units (images or scans): mean and 95% t interval. */
  dice: ClassScoreSummary;
  /** Per-class HD95 in mm over the units (2-D per image, 3-D per scan): mean and 95% t interval. */
  hd95: ClassScoreSummary;
}

/** One row of `images.csv`: one class of one 2-D slice. */
export interface ImageScoreRow {
  /** Every column is a string or a number (CSV cells). */
  [column: string]: string | number;
  /** Scan id. */
  scan: string;
  /** Participant. */
  participant: string;
  /** Slice direction. */
  direction: string;
  /** Slice index along the direction's fixed axis. */
  slice: number;
  /** `"plain"` or `"sge"`. */
  variant: string;
  /** Label. */
  class: number;
  /** Label name. */
  name: string;
  /** Dice (NaN when the class is absent from both the predicted and the true slice). */
  dice: number;
  /** 2-D HD95 in mm (NaN when the class is absent from both). */
  hd95: number;
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
  /** Units scored per prediction path: images (per image) or scans (per scan). */
  units: number;
  /**
   * Paired t-test of the per-unit mean Dice, SGE minus plain, over the units (images or scans)
   * where both are defined (`null` without SGE or with fewer than two such units).
   */
  sgeVsPlain: PairedTTestResult | null;
  /** How scores were computed. */
  protocol: {
    /** The evaluation unit. */
    unit: EvaluationProtocol;
    /** The `direction` option as resolved (`"both"`, `"coronal"` or `"sagittal"`). */
    direction: string;
    /** The directions scored: separate image sets (per image) or the ensemble (per scan). */
    directions: SliceDirection[];
    /** Whether directions were averaged into one prediction (per scan with both only). */
    ensemble: boolean;
    /** How a class absent from both prediction and truth of a unit is treated. */
    emptyClass: string;
    /** How HD95 was computed. */
    hd95: string;
    /** How intervals were computed. */
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
 * Before scoring, the fingerprint of the run's data is computed again and compared with the
 * one training recorded (`dataset.fingerprint.json`); changed data are refused unless
 * `allowChangedData`. Unless `write` is false or `lockHeld`, the run folder's lock (`.grn-lock`)
 * is held from start to end.
 *
 * @param dir The run folder.
 * @param options See {@linkcode EvaluateRunOptions}.
 * @returns The metrics (also written to the run folder unless `write` is false).
 * @throws {Error} When the folder is not a run, the run has no model, the split side has no
 *   labeled scan, SGE is required but the model has no generator, or the dataset cannot be read.
 * @throws {DatasetChangedError} When the run's data changed and `allowChangedData` is false.
 * @throws {LockHeldError} When another process trains or evaluates the same run folder.
 */
export async function evaluateRun(
  dir: string,
  options: EvaluateRunOptions = {},
): Promise<RunMetrics> {
  const { write = true, lockHeld = false, log = () => {} } = options;
  if (!write || lockHeld) return await evaluateInRunFolder(dir, options);
  await readRunConfig(dir); // a run folder: no lock file is created in any other folder
  const lock = await acquireLock(join(dir, RUN_LOCK), {
    purpose: "grn eval",
    what: `Cannot evaluate ${dir}`,
    log: (line) => log(`grn eval: ${line}`),
  });
  try {
    return await evaluateInRunFolder(dir, options);
  } finally {
    await lock.release();
  }
}

/** The body of {@linkcode evaluateRun}: the lock is held, or nothing is written. */
async function evaluateInRunFolder(
  dir: string,
  options: EvaluateRunOptions,
): Promise<RunMetrics> {
  const t0 = performance.now();
  const {
    split: side = "test",
    sge = "auto",
    protocol = "image",
    batchSize = 8,
    write = true,
    backend = "auto",
    threads = 1,
    native = "auto",
    log = () => {},
  } = options;
  await initEngine({ backend, threads, native, log });
  const { config, checkpoint, method } = await loadRunModel(dir);
  // SGE is scored with the model selected for S(G(x)) (model_sge.ckpt) when the run has one.
  let sgeModel: Awaited<ReturnType<typeof loadRunModel>> | null = null;
  try {
    if (sge !== "off" && method.hasGenerator) sgeModel = await loadRunModel(dir, { sge: true });
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
    const allowExternalLinks = options.allowExternalLinks ?? config.dataset.allowExternalLinks ??
      false;
    await checkRunDataset(dir, {
      dataset: datasetDir,
      what: `Cannot evaluate ${dir}`,
      command: "grn eval",
      allowExternalLinks,
      allowChangedData: options.allowChangedData ?? false,
      log,
    });
    const ids = split.scans[side];
    const labeled = ids.filter((id) => manifest.scans.find((s) => s.id === id)?.label);
    if (labeled.length === 0) {
      throw new Error(
        `Cannot evaluate ${dir}: the ${side} split has no labeled scan (got ${ids.length} scans)`,
      );
    }
    if (!EVALUATION_PROTOCOLS.includes(protocol)) {
      throw new RangeError(
        `Cannot evaluate ${dir}: protocol must be "image" or "scan" (got ${
          JSON.stringify(protocol)
        })`,
      );
    }
    const trained = config.slices.directions;
    const direction = options.direction ??
      (protocol === "scan" || trained.length !== 1 ? "both" : trained[0]!);
    const directions: SliceDirection[] = direction === "both" ? [...SLICE_DIRECTIONS] : [direction];
    const numClasses = config.networks.numClasses;
    const classes = Array.from({ length: numClasses - 1 }, (_, i) => i + 1);
    const names = classes.map((c) => manifest.labels[String(c)] ?? DATASET_LABELS[String(c)]!);
    // Per variant, one row of class scores per unit; units come in the same order for every
    // variant, so index i pairs the same image (or scan) across variants.
    const dice: Record<string, number[][]> = { plain: [], sge: [] };
    const hd95: Record<string, number[][]> = { plain: [], sge: [] };
    const rows: (ScanScoreRow | ImageScoreRow)[] = [];
    const scans: RunMetrics["scans"] = [];
    const fitOptions = { inputSize: config.slices.inputSize, batchSize, fit: config.slices.fit };
    for (const [k, id] of labeled.entries()) {
      const scan = await loadScan(datasetDir, manifest, id, { allowExternalLinks });
      scans.push({ id, participant: scan.participant });
      for (const variant of variants) {
        const useSge = variant === "sge";
        const predict: SlicePredictor = (x) =>
          (useSge && sgeModel ? sgeModel.method : method).trainer.predict(x, { sge: useSge });
        let meanDice: number;
        if (protocol === "scan") {
          const pred = await predictVolume(scan.image, predict, { ...fitOptions, direction });
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
          meanDice = score.dice.mean;
        } else {
          const means: number[] = [];
          for (const d of directions) {
            const pred = await predictVolume(scan.image, predict, { ...fitOptions, direction: d });
            for (
              const s of evaluateSlices(pred, scan.label!, d, {
                numClasses,
                classes,
                hd95: { emptyOne: "diagonal" },
              })
            ) {
              dice[variant]!.push(s.dice);
              hd95[variant]!.push(s.hd95);
              means.push(s.mean);
              classes.forEach((c, i) => {
                rows.push({
                  scan: id,
                  participant: scan.participant,
                  direction: d,
                  slice: s.index,
                  variant,
                  class: c,
                  name: names[i]!,
                  dice: s.dice[i]!,
                  hd95: s.hd95[i]!,
                });
              });
            }
          }
          meanDice = nanMean(means);
        }
        log(
          `grn eval: ${k + 1}/${labeled.length} ${id} ${variant === "sge" ? "S(G(x))" : "S(x)"} ` +
            `mean Dice ${meanDice.toFixed(4)}${
              protocol === "image" ? " (mean over its images)" : ""
            }`,
        );
      }
    }
    const results: VariantMetrics[] = variants.map((variant) => ({
      variant,
      dice: summarizeClassScores(classes, dice[variant]!, { bounds: [0, 1] }),
      hd95: summarizeClassScores(classes, hd95[variant]!),
    }));
    let sgeVsPlain: PairedTTestResult | null = null;
    if (variants.includes("sge")) {
      const a: number[] = [];
      const b: number[] = [];
      dice.sge!.forEach((r, i) => {
        const u = nanMean(r);
        const v = nanMean(dice.plain![i]!);
        if (!Number.isNaN(u) && !Number.isNaN(v)) {
          a.push(u);
          b.push(v);
        }
      });
      if (a.length >= 2) sgeVsPlain = pairedTTest(a, b);
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
      units: dice[variants[0]!]!.length,
      variants: results,
      sgeVsPlain,
      protocol: {
        unit: protocol,
        direction,
        directions,
        ensemble: protocol === "scan" && directions.length > 1,
        emptyClass:
          `NaN: left out of the ${protocol}'s mean and of the class's mean over ${protocol}s`,
        hd95: `${
          protocol === "image" ? "2-D per slice" : "3-D per scan"
        }, symmetric max of directed 95th percentiles in mm; one-sided empty = grid diagonal`,
        ci: `95% Student t over ${protocol}s`,
      },
      seconds: (performance.now() - t0) / 1000,
    };
    if (write) {
      const suffix = side === "test" ? "" : `.${side}`;
      const metricsFile = RUN_FILES.metrics.replace(".json", `${suffix}.json`);
      const scoresName = protocol === "image" ? RUN_FILES.images : RUN_FILES.scans;
      const scoresFile = scoresName.replace(".csv", `${suffix}.csv`);
      // The scores first: a bench cell counts as evaluated once metrics.json is there too.
      await writeCsvAtomic(
        join(dir, scoresFile),
        rows,
        protocol === "image"
          ? [
            "scan",
            "participant",
            "direction",
            "slice",
            "variant",
            "class",
            "name",
            "dice",
            "hd95",
          ]
          : ["scan", "participant", "variant", "class", "name", "dice", "hd95"],
      );
      await writeJsonAtomic(join(dir, metricsFile), metrics);
    }
    return metrics;
  } finally {
    method.dispose();
    sgeModel?.method.dispose();
  }
}
