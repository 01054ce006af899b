/**
 * The run folder written by `grn train` and read by `grn eval`, `grn predict` and the bench:
 *
 * ```text
 * runs/<name>/
 *   config.json    what was trained, on what, how (method, fraction, seeds, sizes, engine, versions)
 *   split.json     participants and scans of every split side and the labeled subset
 *   dataset.fingerprint.json  SHA-256 of the dataset settings and of every file of the split's
 *                  scans; checked by `grn train --resume` and `grn eval`
 *   last.ckpt      latest training state (resume), written by fit
 *   best.ckpt      best validation epoch of S(x), written by fit
 *   best_sge.ckpt  best validation epoch of S(G(x)) (methods with a generator), written by fit
 *   history.json   per-epoch losses and validation, written by fit
 *                  (a multi-stage method, e.g. supervised-gan-aug, writes these three into
 *                  one sub-folder per stage: gan/, segmentor/)
 *   model.ckpt     the selected model for S(x) (best validation epoch, else the last), written at the end
 *   model_sge.ckpt the selected model for SGE S(G(x)) (methods with a generator), written at the end
 *   train.json     training summary (epochs, best epoch, times)
 *   metrics.json   written by `grn eval`
 *   scans.csv      per-scan per-class scores, written by `grn eval --protocol scan`
 *   images.csv     per-image (2-D slice) per-class scores, written by `grn eval --protocol image`
 *                  (metrics.validation.json, scans/images.validation.csv for the validation split)
 * ```
 *
 * @module
 */
import { join } from "node:path";
import type { SliceDirection } from "../data/slices_geometry.ts";
import type { FitMode } from "../data/slices_fit.ts";
import type { TrainingDataRecord } from "../data/prepare_training_data.ts";
import type { Axis } from "../data/volume.ts";
import type { MethodOptions } from "../trainers/method.ts";

/** File names inside a run folder. */
export const RUN_FILES: Readonly<{
  config: string;
  split: string;
  fingerprint: string;
  last: string;
  best: string;
  bestSge: string;
  history: string;
  model: string;
  modelSge: string;
  train: string;
  metrics: string;
  scans: string;
  images: string;
}> = Object.freeze({
  config: "config.json",
  split: "split.json",
  fingerprint: "dataset.fingerprint.json",
  last: "last.ckpt",
  best: "best.ckpt",
  bestSge: "best_sge.ckpt",
  history: "history.json",
  model: "model.ckpt",
  modelSge: "model_sge.ckpt",
  train: "train.json",
  metrics: "metrics.json",
  scans: "scans.csv",
  images: "images.csv",
});

/** Network sizes of a run. */
export interface RunNetworks {
  /** Output classes, background included. */
  numClasses: number;
  /** Segmentor base width: channels `width · 2^level`. The paper's UNet has 16. */
  width: number;
  /** Segmentor levels (the paper's UNet has 5: 16-32-64-128-256). */
  depth: number;
  /** Generator base width (`ngf`). */
  generatorWidth: number;
  /** Discriminator base width (`ndf`). */
  discriminatorWidth: number;
  /** Base width of the DAN and SASSNet discriminators (SSL4MIS: 64). */
  auxiliaryDiscriminatorWidth: number;
}

/** How scans become 2-D training slices. */
export interface RunSlices {
  /** Network input `[height, width]`. */
  inputSize: [number, number];
  /** Slice directions. */
  directions: SliceDirection[];
  /** Keep every n-th slice. */
  every: number;
  /** How native slices are fitted to the input size. */
  fit: FitMode;
}

/** Training-loop settings of a run. */
export interface RunTraining {
  /** Maximum epochs. */
  epochs: number;
  /** Iterations per epoch, or `null` for one pass over the labeled slices. */
  iterationsPerEpoch: number | null;
  /** Batch size (labeled and unlabeled). */
  batchSize: number;
  /** Early-stopping patience in epochs (0 = off). */
  patience: number;
}

/** `config.json` of a run folder. */
export interface RunConfig {
  /** Always `"grn-run"`. */
  format: "grn-run";
  /** Layout version of the run folder. */
  version: 1;
  /** Method name from the registry. */
  method: string;
  /** The exact options `createMethod` was called with (derived from `networks` and `seed`). */
  methodOptions: MethodOptions;
  /** Labeled fraction of the eligible training participants, in `(0, 1]`. */
  fraction: number;
  /** Seed of the networks, batches and augmentation. */
  seed: number;
  /** Seed of the split and of the labeled subset (the same for every method: paired runs). */
  splitSeed: number;
  /**
   * Dataset folder (absolute), its name and depth axis (0, 1 or 2; skin at index 0), and
   * whether symbolic links leaving the folder are followed (`--allow-external-links`; absent
   * in runs of older versions: `false`).
   */
  dataset: { path: string; name: string; depthAxis: Axis; allowExternalLinks?: boolean };
  /** Requested test and validation sizes (fraction of participants in `[0, 1)` or a count). */
  split: { test: number; validation: number };
  /** Slicing. */
  slices: RunSlices;
  /** Networks. */
  networks: RunNetworks;
  /** Training loop. */
  training: RunTraining;
  /** Engine requested and used when the run started. */
  engine: {
    backend: string;
    threads: number;
    native: string;
    used?: { backend: string; threads: number; native: string | null };
  };
  /** Versions of grn, Deno and TensorFlow.js when the run started. */
  versions: Record<string, string>;
  /** ISO time the run was created. */
  createdAt: string;
}

/**
 * `split.json` of a run folder: what `prepareTrainingData()` records of the run's data
 * (the split, the labeled subset, the slice counts and where the unlabeled stream came from).
 */
export type RunSplit = TrainingDataRecord;

/** Reads and checks `config.json` of a run folder. */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  const path = join(dir, RUN_FILES.config);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot read run ${dir}: not a run folder (got no ${RUN_FILES.config})`);
    }
    throw new Error(`Cannot read run ${dir}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Cannot read run ${dir}: invalid JSON in ${path} (${(error as Error).message})`,
    );
  }
  const c = json as Partial<RunConfig> | null;
  if (c === null || typeof c !== "object" || c.format !== "grn-run") {
    throw new Error(
      `Cannot read run ${dir}: ${path} is not a grn run config (got format ${
        JSON.stringify((c as { format?: unknown } | null)?.format)
      })`,
    );
  }
  if (c.version !== 1) {
    throw new Error(`Cannot read run ${dir}: unsupported run version (got ${c.version})`);
  }
  for (const key of ["method", "methodOptions", "networks", "slices", "dataset"] as const) {
    if (c[key] === undefined) {
      throw new Error(
        `Cannot read run ${dir}: ${path} has no ${key} (got keys ${
          Object.keys(c).join(", ")
        }); it was written by an older grn, train it again`,
      );
    }
  }
  return c as RunConfig;
}

/** Reads `split.json` of a run folder. */
export async function readRunSplit(dir: string): Promise<RunSplit> {
  const path = join(dir, RUN_FILES.split);
  try {
    return JSON.parse(await Deno.readTextFile(path)) as RunSplit;
  } catch (error) {
    throw new Error(`Cannot read the split of run ${dir}: ${(error as Error).message}`);
  }
}
