/**
 * `trainRun`: one training run from a dataset folder into a run folder (the core of
 * `grn train`, usable from scripts and the bench).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join, resolve } from "node:path";
import { datasetFingerprint } from "../data/dataset_fingerprint.ts";
import { loadDataset } from "../data/dataset_load.ts";
import { prepareTrainingData } from "../data/prepare_training_data.ts";
import type { FitMode } from "../data/slices_fit.ts";
import type { SliceDirection } from "../data/slices_geometry.ts";
import { type BackendChoice, initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { writeJsonAtomic } from "../metrics/write_json_atomic.ts";
import type { ProgressEvent } from "../trainers/fit.ts";
import { createMethod } from "../trainers/method_registry.ts";
import type { MethodOptions } from "../trainers/method.ts";
import { runMethodOptions } from "./_method_options.ts";
import {
  readRunSplit,
  RUN_FILES,
  type RunConfig,
  type RunNetworks,
  type RunSplit,
} from "./run_config.ts";
import { openRunFolder, type RunFolder } from "./run_folder.ts";
import { checkRunDataset, runFingerprintIds, writeRunFingerprint } from "./run_fingerprint.ts";
import { GRN_VERSION } from "./version.ts";

/**
 * An option of a run that its networks cannot take (e.g. an input size that is not a multiple
 * of the UNet's `2^(depth−1)`): a mistake in the command line, which the CLI reports with exit
 * code 2.
 */
export class RunOptionError extends RangeError {
  /** The option, e.g. `"--size"`. */
  readonly option: string;

  /**
   * The error for one refused option; the message is `<option>: <message>`.
   *
   * @param option The option.
   * @param message What the network said.
   */
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = "RunOptionError";
    this.option = option;
  }
}

/** Options of {@linkcode trainRun}. Options left out are taken from the run when resuming. */
export interface TrainRunOptions {
  /** Dataset folder (holds `dataset.json`). Required for a new run. */
  dataset?: string;
  /**
   * Follow symbolic links whose target leaves the dataset folder (`--allow-external-links`);
   * stored in `config.json`, so a resumed run keeps it.
   * @default {false, or the run's when resuming}
   */
  allowExternalLinks?: boolean;
  /**
   * Resume even when the run's data changed since it recorded its fingerprint
   * (`--allow-changed-data`): the changes are reported as notes and the fingerprint of the
   * current data is recorded. Without it, such a resume is refused.
   * @default {false}
   */
  allowChangedData?: boolean;
  /** Method name (see `grn train --help`). Required for a new run. */
  method?: string;
  /** Run folder to write (created if missing). */
  out: string;
  /** Labeled fraction of the eligible training participants, in `(0, 1]`. @default {0.1} */
  fraction?: number;
  /** Seed of the networks, batches and augmentation. @default {0} */
  seed?: number;
  /** Seed of the split and labeled subset; the same for every method. @default {seed} */
  splitSeed?: number;
  /** Test participants (fraction in `[0, 1)` or a count). @default {0.38} (11 of 29, the paper) */
  test?: number;
  /** Validation participants (fraction or count). @default {0.07} (2 of 29, the paper) */
  validation?: number;
  /** Network input `[height, width]`. @default {[128, 128]} */
  inputSize?: [number, number];
  /** Slice directions. @default {["coronal", "sagittal"]} */
  directions?: SliceDirection[];
  /** Keep every n-th slice. @default {1} */
  every?: number;
  /** How slices are fitted to the input size. @default {"resize"} */
  fit?: FitMode;
  /**
   * Network sizes.
   * @default {{ width: 16, depth: 5, generatorWidth: 32, discriminatorWidth: 32, auxiliaryDiscriminatorWidth: 64 }}
   */
  networks?: Partial<Omit<RunNetworks, "numClasses">>;
  /**
   * Further `createMethod` options merged over those derived from `networks` and `seed` (e.g.
   * `{ consistencyWeight: 0.5 }`); they must be JSON (they are stored in `config.json`).
   * @default {{}}
   */
  methodOptions?: MethodOptions;
  /** Maximum epochs. @default {50} (the paper) */
  epochs?: number;
  /** Iterations per epoch, or `null` for one pass over the labeled slices. @default {null} */
  iterationsPerEpoch?: number | null;
  /** Batch size. @default {4} */
  batchSize?: number;
  /** Early-stopping patience (0 = off). @default {5} (the paper) */
  patience?: number;
  /** Backend. @default {"auto"} */
  backend?: BackendChoice;
  /** Threads (wasm workers, or oneDNN's with the native provider). @default {1} */
  threads?: number;
  /** Native kernel provider on the wasm backend. @default {"auto"} */
  native?: NativeChoice;
  /** Continue the run in `out` (a run folder without a checkpoint starts from scratch). @default {false} */
  resume?: boolean;
  /**
   * The caller already holds the run folder's lock (the bench holds a cell's lock for training
   * and evaluation); the folder must exist.
   * @default {false}
   */
  lockHeld?: boolean;
  /** Training progress: `true` prints lines on stderr, a function receives events. @default {true} */
  progress?: boolean | ((event: ProgressEvent) => void);
  /** Notes (engine, data, files). @default {discarded} */
  log?: (line: string) => void;
}

/** What {@linkcode trainRun} returns (also written to `train.json`). */
export interface RunSummary {
  /** The run folder. */
  dir: string;
  /** Method name. */
  method: string;
  /** Labeled fraction requested. */
  fraction: number;
  /** Training seed. */
  seed: number;
  /** Split seed. */
  splitSeed: number;
  /** Epochs in the history (over all stages). */
  epochs: number;
  /** Epoch of the selected `S(x)` model (`model.ckpt`; in the last stage's history). */
  bestEpoch: number;
  /** Its validation Dice loss (`NaN` without validation). */
  bestValidationLoss: number;
  /**
   * The consistency weight `w(t)` at the last iteration of the selected epoch (`null` for
   * methods without an unlabeled term): how much of its final weight a ramped baseline's
   * selected model was trained with.
   */
  consistencyWeight: number | null;
  /**
   * The first epoch model selection and early stopping considered: the first epoch at the
   * full consistency weight for ramped baselines, else 1.
   */
  selectFromEpoch: number;
  /**
   * The model selected for SGE `S(G(x))` by its own validation Dice loss (`model_sge.ckpt`;
   * methods with a generator), else `null`.
   */
  sge: {
    /** Epoch of the selected SGE model (in the last stage's history). */
    bestEpoch: number;
    /** Its validation Dice loss of `S(G(x))` (`NaN` without validation). */
    bestValidationLoss: number;
    /** `w(t)` at the last iteration of that epoch (`null` without an unlabeled term). */
    consistencyWeight: number | null;
    /** Path of its checkpoint. */
    model: string;
  } | null;
  /** Whether early stopping ended training. */
  stoppedEarly: boolean;
  /** Whether the run continued from a checkpoint. */
  resumed: boolean;
  /** Wall-clock seconds of this invocation. */
  seconds: number;
  /** Sum of the per-epoch training seconds in the history. */
  trainingSeconds: number;
  /** Slice counts of the labeled, unlabeled and validation streams. */
  slices: RunSplit["slices"];
  /** Participants per split side. */
  participants: { train: number; validation: number; test: number; labeled: number };
  /** Backend, threads and native provider used. */
  engine: { backend: string; threads: number; native: string | null };
  /** Path of the selected model's checkpoint. */
  model: string;
  /** Stages of the method (one for most methods) with the epochs each ran. */
  stages: { name: string; epochs: number }[];
}

const DEFAULT_NETWORKS = {
  width: 16,
  depth: 5,
  generatorWidth: 32,
  discriminatorWidth: 32,
  auxiliaryDiscriminatorWidth: 64,
};

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Resolves options and an existing config into the run's config; checks resume conflicts. */
function resolveConfig(o: TrainRunOptions, stored: RunConfig | null, strict = true): RunConfig {
  const what = `Cannot train into ${o.out}`;
  const pick = <T>(given: T | undefined, old: T | undefined, fallback: T, label: string): T => {
    if (strict && given !== undefined && old !== undefined && !sameJson(given, old)) {
      throw new Error(
        `Cannot resume ${o.out}: ${label} differs from the run's (got ${
          JSON.stringify(given)
        }, run has ${JSON.stringify(old)})`,
      );
    }
    return given ?? old ?? fallback;
  };
  const s = stored;
  const method = pick(o.method, s?.method, "", "--method");
  if (method === "") throw new Error(`${what}: no method given (got none)`);
  const datasetGiven = o.dataset === undefined ? undefined : resolve(o.dataset);
  const datasetPath = pick(datasetGiven, s?.dataset.path, "", "--dataset");
  if (datasetPath === "") throw new Error(`${what}: no dataset given (got none)`);
  const seed = pick(o.seed, s?.seed, 0, "--seed");
  const networks: RunNetworks = {
    numClasses: 7,
    width: pick(o.networks?.width, s?.networks.width, DEFAULT_NETWORKS.width, "--width"),
    depth: pick(o.networks?.depth, s?.networks.depth, DEFAULT_NETWORKS.depth, "--depth"),
    generatorWidth: pick(
      o.networks?.generatorWidth,
      s?.networks.generatorWidth,
      DEFAULT_NETWORKS.generatorWidth,
      "--generator-width",
    ),
    discriminatorWidth: pick(
      o.networks?.discriminatorWidth,
      s?.networks.discriminatorWidth,
      DEFAULT_NETWORKS.discriminatorWidth,
      "--discriminator-width",
    ),
    auxiliaryDiscriminatorWidth: pick(
      o.networks?.auxiliaryDiscriminatorWidth,
      s?.networks.auxiliaryDiscriminatorWidth,
      DEFAULT_NETWORKS.auxiliaryDiscriminatorWidth,
      "--aux-discriminator-width",
    ),
  };
  const extra = o.methodOptions ?? {};
  const methodOptions = runMethodOptions(networks, seed, extra);
  if (strict && s && o.methodOptions !== undefined && !sameJson(methodOptions, s.methodOptions)) {
    throw new Error(
      `Cannot resume ${o.out}: method options differ from the run's (got ${
        JSON.stringify(methodOptions)
      }, run has ${JSON.stringify(s.methodOptions)})`,
    );
  }
  const fraction = pick(o.fraction, s?.fraction, 0.1, "--fraction");
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`${what}: fraction must be in (0, 1] (got ${fraction})`);
  }
  return {
    format: "grn-run",
    version: 1,
    method,
    methodOptions: s && o.methodOptions === undefined ? s.methodOptions : methodOptions,
    fraction,
    seed,
    splitSeed: pick(o.splitSeed, s?.splitSeed, seed, "--split-seed"),
    dataset: {
      path: datasetPath,
      name: s?.dataset.name ?? "",
      depthAxis: s?.dataset.depthAxis ?? 2,
      allowExternalLinks: o.allowExternalLinks ?? s?.dataset.allowExternalLinks ?? false,
    },
    split: {
      test: pick(o.test, s?.split.test, 0.38, "--test"),
      validation: pick(o.validation, s?.split.validation, 0.07, "--validation"),
    },
    slices: {
      inputSize: pick(o.inputSize, s?.slices.inputSize, [128, 128], "--size"),
      directions: pick(o.directions, s?.slices.directions, ["coronal", "sagittal"], "--directions"),
      every: pick(o.every, s?.slices.every, 1, "--every"),
      fit: pick(o.fit, s?.slices.fit, "resize", "--fit"),
    },
    networks,
    training: {
      // Epochs and patience may change on resume (e.g. to train longer).
      epochs: o.epochs ?? s?.training.epochs ?? 50,
      iterationsPerEpoch: pick(
        o.iterationsPerEpoch,
        s?.training.iterationsPerEpoch,
        null,
        "--iterations",
      ),
      batchSize: pick(o.batchSize, s?.training.batchSize, 4, "--batch-size"),
      patience: o.patience ?? s?.training.patience ?? 5,
    },
    engine: { backend: o.backend ?? "auto", threads: o.threads ?? 1, native: o.native ?? "auto" },
    versions: s?.versions ?? {
      grn: GRN_VERSION,
      deno: Deno.version.deno,
      "tfjs-core": tf.version_core,
    },
    createdAt: s?.createdAt ?? new Date().toISOString(),
  };
}

/**
 * Trains one method on one dataset into a run folder.
 *
 * Steps: resolve the config (from the options, or from `config.json` when resuming: options
 * that differ from the run's are an error, except epochs, patience and the engine options), start
 * the engine, build the method and check the input size, load the dataset, split it at the
 * participant level with `splitSeed` (test, validation, train), choose the labeled subset of
 * the training participants (a nested prefix of one permutation, so it is the same for every
 * method), slice the scans, train with `fit` (checkpoints, history, early stopping and model
 * selection in the run folder), and save the selected model as `model.ckpt` and, for methods
 * with a generator, the model selected for SGE `S(G(x))` as `model_sge.ckpt`.
 *
 * @param options See {@linkcode TrainRunOptions}.
 * @returns The run summary.
 * The run folder is opened with `openRunFolder` (run_folder.ts): a folder grn did not create is
 * refused, one writer holds its lock for the whole run, stale temporary files are removed, and
 * a run without a checkpoint starts again from scratch (options may then differ from its
 * `config.json`, with or without `resume`).
 *
 * @param options See {@linkcode TrainRunOptions}.
 * @returns The run summary.
 * @throws {Error} When the dataset folder is missing or invalid, the run folder is not empty and
 *   was not created by grn, it holds a run with a checkpoint and `resume` is false, a resume
 *   option conflicts, the dataset changed since the run began, or training fails. Messages name
 *   the folder or file.
 * @throws {DatasetChangedError} When resuming and the files of the run's scans changed since it
 *   recorded their fingerprint (`dataset.fingerprint.json`), unless `allowChangedData`.
 * @throws {LockHeldError} When another process trains into the same folder.
 */
export async function trainRun(options: TrainRunOptions): Promise<RunSummary> {
  const folder = await openRunFolder(options.out, {
    resume: options.resume ?? false,
    lockHeld: options.lockHeld ?? false,
    ...(options.log ? { log: options.log } : {}),
  });
  let ok = false;
  try {
    const summary = await trainInRunFolder(options, folder);
    ok = true;
    return summary;
  } finally {
    // A run that failed before writing anything (e.g. a missing dataset) leaves no folder.
    await folder.release({ discardIfUnused: !ok });
  }
}

/** The body of {@linkcode trainRun}, in an opened (locked) run folder. */
async function trainInRunFolder(options: TrainRunOptions, folder: RunFolder): Promise<RunSummary> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const out = options.out;
  const configPath = join(out, RUN_FILES.config);
  // A run without a checkpoint has trained nothing: its settings may change.
  const stored = folder.hasCheckpoint || options.resume ? folder.config : null;
  const config = resolveConfig(options, stored, folder.hasCheckpoint);
  const datasetDir = config.dataset.path;
  const stat = await Deno.stat(datasetDir).catch(() => null);
  if (!stat?.isDirectory) {
    throw new Error(`Cannot train: dataset folder not found (got ${datasetDir})`);
  }

  const engine = await initEngine({
    backend: config.engine.backend as BackendChoice,
    threads: config.engine.threads,
    native: config.engine.native as NativeChoice,
    log,
  });
  config.engine.used = {
    backend: engine.backend,
    threads: engine.threads,
    native: engine.native ? `${engine.native.library} ${engine.native.version}` : null,
  };
  const method = createMethod(config.method, config.methodOptions);
  try {
    const [h, w] = config.slices.inputSize;
    try {
      method.trainer.segmentor.checkInputSize(h, w);
      method.trainer.generator?.checkInputSize(h, w);
      method.trainer.discriminator?.checkInputSize(h, w);
    } catch (error) {
      throw new RunOptionError("--size", (error as Error).message);
    }
    method.stageEpochs(config.training.epochs); // a staged method needs an epoch per stage

    const allowExternalLinks = config.dataset.allowExternalLinks ?? false;
    const { manifest, scans } = await loadDataset(datasetDir, { allowExternalLinks });
    config.dataset.name = manifest.name;
    config.dataset.depthAxis = manifest.depthAxis ?? 2;
    // Split, labeled subset, slices and streams (batches seeded with the run's seed).
    const prepared = prepareTrainingData(scans, {
      splitSeed: config.splitSeed,
      streamSeed: config.seed,
      test: config.split.test,
      validation: config.split.validation,
      labeledFraction: config.fraction,
      unlabeled: method.usesUnlabeled,
      slices: {
        inputSize: config.slices.inputSize,
        directions: config.slices.directions,
        every: config.slices.every,
        fit: config.slices.fit,
      },
    });
    const { split, choice } = prepared;
    if (prepared.unlabeledSource === "labeled-images") {
      log(
        `grn train: no unlabeled training participants at fraction ${config.fraction}; ` +
          "the unlabeled stream uses the labeled images without their labels",
      );
    }
    const runSplit: RunSplit = prepared.record;
    if (stored && folder.hasCheckpoint) {
      // The recorded files first: their changes name the file, a changed split only says so.
      await checkRunDataset(out, {
        dataset: datasetDir,
        what: `Cannot resume ${out}`,
        command: "grn train",
        allowExternalLinks,
        allowChangedData: options.allowChangedData ?? false,
        log,
      });
      const old = await readRunSplit(out);
      if (!sameJson(old.scans, runSplit.scans)) {
        throw new Error(
          `Cannot resume ${out}: the dataset ${datasetDir} changed since the run began (got a different split)`,
        );
      }
    }
    await Deno.mkdir(out, { recursive: true });
    await writeJsonAtomic(configPath, config);
    await writeJsonAtomic(join(out, RUN_FILES.split), runSplit);
    // What the run trains on (on resume: the data it continues with, checked above).
    await writeRunFingerprint(
      out,
      await datasetFingerprint(datasetDir, {
        ids: runFingerprintIds(runSplit),
        allowExternalLinks,
      }),
    );
    log(
      `grn train: ${config.method} on ${manifest.name}: ${split.participants.train.length} train ` +
        `(${choice.labeledParticipants.length} labeled), ${split.participants.validation.length} validation, ` +
        `${split.participants.test.length} test participants; ${runSplit.slices.labeled} labeled, ` +
        `${runSplit.slices.unlabeled} unlabeled, ${runSplit.slices.validation} validation slices`,
    );

    const result = await method.fit(prepared.streams, {
      batchSize: config.training.batchSize,
      maxEpochs: config.training.epochs,
      ...(config.training.iterationsPerEpoch !== null
        ? { iterationsPerEpoch: config.training.iterationsPerEpoch }
        : {}),
      patience: config.training.patience,
      checkpointDir: out,
      resume: options.resume ?? false,
      progress: options.progress ?? true,
    });
    // The evaluated trainer is the last stage's; its networks hold the selected weights.
    const modelPath = join(out, RUN_FILES.model);
    await method.trainer.save(modelPath, {
      selected: { epoch: result.bestEpoch, validationLoss: result.bestValidationLoss },
    });
    const weightAt = (epoch: number | null) =>
      (epoch !== null ? result.history[epoch - 1]?.consistencyWeight : undefined) ?? null;
    let sge: RunSummary["sge"] = null;
    if (result.bestSgeEpoch !== null) {
      // The S(G(x))-selected weights: fit's best_sge.ckpt of the last stage (without
      // validation the last epoch, which the trainer already holds).
      const stages = method.stages;
      const stageDir = stages.length > 1 ? join(out, stages[stages.length - 1]!.name) : out;
      const bestSgePath = join(stageDir, RUN_FILES.bestSge);
      if (await exists(bestSgePath)) await method.trainer.restore(bestSgePath);
      const modelSgePath = join(out, RUN_FILES.modelSge);
      await method.trainer.save(modelSgePath, {
        selected: {
          path: "sge",
          epoch: result.bestSgeEpoch,
          validationLoss: result.bestSgeValidationLoss,
        },
      });
      sge = {
        bestEpoch: result.bestSgeEpoch,
        bestValidationLoss: result.bestSgeValidationLoss,
        consistencyWeight: weightAt(result.bestSgeEpoch),
        model: modelSgePath,
      };
    }
    const labeledParticipants = choice.labeledParticipants.length;
    const summary: RunSummary = {
      dir: out,
      method: config.method,
      fraction: config.fraction,
      seed: config.seed,
      splitSeed: config.splitSeed,
      epochs: result.stages.reduce((n, st) => n + st.result.history.length, 0),
      bestEpoch: result.bestEpoch,
      bestValidationLoss: result.bestValidationLoss,
      consistencyWeight: weightAt(result.bestEpoch),
      selectFromEpoch: result.selectFromEpoch,
      sge,
      stoppedEarly: result.stoppedEarly,
      resumed: result.resumed,
      seconds: (performance.now() - t0) / 1000,
      trainingSeconds: result.stages.reduce(
        (t, st) => t + st.result.history.reduce((u, e) => u + e.seconds, 0),
        0,
      ),
      slices: runSplit.slices,
      participants: {
        train: split.participants.train.length,
        validation: split.participants.validation.length,
        test: split.participants.test.length,
        labeled: labeledParticipants,
      },
      engine: {
        backend: engine.backend,
        threads: engine.threads,
        native: engine.native ? `${engine.native.library} ${engine.native.version}` : null,
      },
      model: modelPath,
      stages: result.stages.map((st) => ({ name: st.name, epochs: st.result.history.length })),
    };
    await writeJsonAtomic(join(out, RUN_FILES.train), summary);
    return summary;
  } finally {
    method.dispose();
  }
}
