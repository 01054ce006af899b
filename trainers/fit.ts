import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { readCheckpoint } from "../engine/checkpoint.ts";
import { diceLoss } from "../losses/dice_loss.ts";
import { releaseWebGPUBuffers } from "../engine/webgpu/memory.ts";
import type { BatchSource, SourceBatch } from "./batch_source.ts";
import type { InferencePath, StepReport, Trainable } from "./trainable.ts";
import { withTrainingPosition } from "./training_guards.ts";

/** The data a training run draws from. */
export interface FitData {
  /** Labeled training slices. One epoch is one pass over them (`ceil(size / batchSize)` steps). */
  labeled: BatchSource;
  /** Unlabeled training slices (GRN-SSL and the semi-supervised baselines). */
  unlabeled?: BatchSource;
  /** Validation slices (labeled), evaluated after every epoch for model selection. */
  validation?: BatchSource;
}

/** A progress event, emitted during {@linkcode fit}. */
export interface ProgressEvent {
  /** `"step"` after iterations, `"epoch"` after validation, `"done"` at the end. */
  kind: "step" | "epoch" | "done";
  /** 1-based epoch. */
  epoch: number;
  /** Maximum number of epochs. */
  maxEpochs: number;
  /** 1-based iteration within the epoch. */
  iteration: number;
  /** Iterations per epoch. */
  iterationsPerEpoch: number;
  /** Running means of the epoch's loss terms. */
  losses: Record<string, number>;
  /** Validation results of the epoch (on `"epoch"` events). */
  validation?: ValidationResult;
  /** Validation of the SGE path `S(G(x))` (on `"epoch"` events of trainers with a generator). */
  validationSge?: ValidationResult;
  /** Seconds per iteration (running average). */
  secondsPerIteration: number;
  /** Estimated seconds left, assuming every remaining epoch runs. */
  etaSeconds: number;
}

/** Validation scores of one epoch. */
export interface ValidationResult {
  /** Mean soft Dice loss (the model-selection criterion, lower is better). */
  diceLoss: number;
  /** Mean foreground Dice of the argmax prediction (background excluded), pooled over slices. */
  meanDice: number;
}

/** One epoch of the training history. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  /** Iterations run in this epoch. */
  iterations: number;
  /** Wall-clock seconds of the epoch's training iterations. */
  seconds: number;
  /** Mean of every loss term over the epoch's iterations. */
  train: Record<string, number>;
  /** Validation of `S(x)` after the epoch, when validation data was given. */
  validation?: ValidationResult;
  /**
   * Validation of the SGE path `S(G(x))` after the epoch (trainers with a generator, unless
   * `sgeSelection` is off).
   */
  validationSge?: ValidationResult;
  /**
   * The consistency weight `w(t)` of the epoch's last iteration: the weight the epoch's
   * weights were last trained with (absent for methods without an unlabeled term).
   */
  consistencyWeight?: number;
  /**
   * The inference paths for which this epoch is the selected one (`"segmentor"`: `S(x)`,
   * `best.ckpt`; `"sge"`: `S(G(x))`, `best_sge.ckpt`), as of the last epoch run; without
   * validation the last epoch is selected.
   */
  selected?: InferencePath[];
}

/** Options of {@linkcode fit}. */
export interface FitOptions {
  /** Batch size of both labeled and unlabeled batches (the paper samples equal sizes). @default {4} */
  batchSize?: number;
  /** Maximum number of epochs. @default {50} (the paper's value) */
  maxEpochs?: number;
  /** Iterations per epoch. @default {ceil(labeled.size / batchSize)} */
  iterationsPerEpoch?: number;
  /**
   * Stop after this many eligible epochs (see `selectFromEpoch`) in which neither selected
   * path improved its validation Dice loss (needs validation data). `0` disables early
   * stopping.
   * @default {5} (the paper's value)
   */
  patience?: number;
  /**
   * The first (1-based) epoch that model selection and early stopping consider: earlier
   * epochs are validated and recorded but never selected, and patience counts only from this
   * epoch on. Methods whose unlabeled weight ramps up set it to their first epoch at full
   * weight (see `Method.fit`), so a run can neither stop nor be selected before its consistency term
   * reaches full weight. Values above `maxEpochs` are clamped to it.
   * @default {1}
   */
  selectFromEpoch?: number;
  /**
   * Also validate the SGE path `S(G(x))` after every epoch and keep its best epoch
   * (`best_sge.ckpt`, by its validation Dice loss, as GRN's public code selects), next to the
   * best `S(x)` epoch (`best.ckpt`). Needs a generator.
   * @default {true when the trainer has a generator}
   */
  sgeSelection?: boolean;
  /**
   * Which path's best weights the trainer holds at the end with `restoreBest` (`"sge"` needs
   * a generator). Both bests are kept and reported either way.
   * @default {"segmentor"}
   */
  selectOn?: InferencePath;
  /** At the end, load the weights of the best validation epoch of `selectOn`. @default {true} */
  restoreBest?: boolean;
  /**
   * Folder for `last.ckpt` (written atomically after every epoch and every
   * `checkpointEvery` iterations), `best.ckpt` and `history.json`.
   * @default {undefined} (no files)
   */
  checkpointDir?: string;
  /** Also checkpoint every this many iterations inside an epoch (0 = only at epoch ends). @default {0} */
  checkpointEvery?: number;
  /** Continue from `checkpointDir/last.ckpt` when it exists. @default {false} */
  resume?: boolean;
  /**
   * Progress reporting: `true` writes one line per few seconds and per epoch to stderr,
   * `false` is silent, a function receives every event.
   * @default {true}
   */
  progress?: boolean | ((event: ProgressEvent) => void);
  /** Minimum seconds between stderr step lines. @default {10} */
  progressInterval?: number;
  /** Batch size for validation passes. @default {batchSize} */
  validationBatchSize?: number;
}

/** What {@linkcode fit} returns. */
export interface FitResult {
  /** One record per epoch run (including epochs restored from a checkpoint). */
  history: EpochRecord[];
  /**
   * 1-based epoch (from `selectFromEpoch` on) with the lowest validation Dice loss of `S(x)`,
   * or the last epoch without validation.
   */
  bestEpoch: number;
  /** Lowest eligible validation Dice loss of `S(x)` (`NaN` without validation data). */
  bestValidationLoss: number;
  /**
   * The same for the SGE path `S(G(x))` (`null` without SGE selection; the last epoch without
   * validation).
   */
  bestSgeEpoch: number | null;
  /** Lowest eligible validation Dice loss of `S(G(x))` (`NaN` without it). */
  bestSgeValidationLoss: number;
  /** The first epoch selection and early stopping considered (see `selectFromEpoch`). */
  selectFromEpoch: number;
  /** Whether early stopping ended the run. */
  stoppedEarly: boolean;
  /** Whether the run continued from a checkpoint. */
  resumed: boolean;
}

interface FitState {
  epoch: number; // 0-based epoch in progress
  iteration: number; // iterations done in that epoch
  sums: Record<string, number>;
  counts: Record<string, number>;
  seconds: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestLoss: number;
  bestSgeEpoch?: number; // absent in checkpoints written before SGE selection
  bestSgeLoss?: number;
  weight?: number; // consistency weight of the last iteration
  sinceBest: number;
  stoppedEarly: boolean;
  streams: { labeled: unknown; unlabeled?: unknown };
}

/** A best loss read back from a checkpoint's JSON: `null` (how JSON writes Infinity) is Infinity. */
function restoredLoss(value: unknown): number {
  return typeof value === "number" && !Number.isNaN(value) ? value : Infinity;
}

function disposeAll(...tensors: (tf.Tensor | undefined)[]): void {
  for (const t of tensors) t?.dispose();
}

function writeStderr(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
    ? `${m}m${String(r).padStart(2, "0")}s`
    : `${r}s`;
}

/** The loss terms shown on progress lines, in order (others stay in the history). */
const PROGRESS_TERMS = [
  "diceReal",
  "diceFake",
  "lossG",
  "lossD",
  "consistencyReal",
  "lossGUnlabeled",
  "lossDUnlabeled",
];

function formatLosses(losses: Record<string, number>): string {
  const shown = PROGRESS_TERMS.filter((k) => losses[k] !== undefined);
  return shown.map((k) => `${k} ${losses[k]!.toFixed(4)}`).join(" ");
}

/**
 * Evaluates the soft Dice loss and the hard foreground Dice of a trainer on a labeled source.
 *
 * @param trainer The trainer whose segmentor (or SGE path) is evaluated.
 * @param source A labeled batch source.
 * @param options `sge` to evaluate `S(G(x))`; `batchSize` of the passes.
 */
export function evaluateDice(
  trainer: Pick<Trainable, "predict" | "segmentor">,
  source: BatchSource,
  options: { sge?: boolean; batchSize?: number } = {},
): ValidationResult {
  const { sge = false, batchSize = 4 } = options;
  if (!source.hasLabels) {
    throw new RangeError(
      "Cannot validate: the validation source has no labels (got an unlabeled source)",
    );
  }
  const tally = new DiceTally(trainer.segmentor.numClasses);
  for (const batch of source.batches(batchSize)) {
    try {
      const { loss, i, t } = diceTerms(trainer, batch, sge);
      try {
        tally.add(batch.images.shape[0], loss.dataSync()[0]!, i.dataSync(), t.dataSync());
      } finally {
        tf.dispose([loss, i, t]);
      }
    } finally {
      disposeAll(batch.images, batch.labels);
    }
  }
  return tally.result();
}

/**
 * {@linkcode evaluateDice} with asynchronous read-back, for backends that cannot read
 * synchronously (webgpu in Deno); `fit` uses it. Same values.
 *
 * @param trainer The trainer whose segmentor (or SGE path) is evaluated.
 * @param source A labeled batch source.
 * @param options `sge` to evaluate `S(G(x))`; `batchSize` of the passes.
 * @returns The mean soft Dice loss and the mean hard foreground Dice.
 * @throws {RangeError} When the source has no labels.
 */
export async function evaluateDiceAsync(
  trainer: Pick<Trainable, "predict" | "segmentor">,
  source: BatchSource,
  options: { sge?: boolean; batchSize?: number } = {},
): Promise<ValidationResult> {
  const { sge = false, batchSize = 4 } = options;
  if (!source.hasLabels) {
    throw new RangeError(
      "Cannot validate: the validation source has no labels (got an unlabeled source)",
    );
  }
  const tally = new DiceTally(trainer.segmentor.numClasses);
  for (const batch of source.batches(batchSize)) {
    try {
      const { loss, i, t } = diceTerms(trainer, batch, sge);
      try {
        const [lv, iv, tv] = await Promise.all([loss.data(), i.data(), t.data()]);
        tally.add(batch.images.shape[0], lv[0]!, iv, tv);
      } finally {
        tf.dispose([loss, i, t]);
      }
    } finally {
      disposeAll(batch.images, batch.labels);
    }
  }
  return tally.result();
}

/** The soft Dice loss and per-class intersections and totals of one validation batch. */
function diceTerms(
  trainer: Pick<Trainable, "predict" | "segmentor">,
  batch: SourceBatch,
  sge: boolean,
): { loss: tf.Tensor; i: tf.Tensor; t: tf.Tensor } {
  const numClasses = trainer.segmentor.numClasses;
  return tf.tidy(() => {
    const logits = trainer.predict(batch.images, { sge });
    const loss = diceLoss(logits, batch.labels!);
    const pred = tf.oneHot(tf.argMax(logits, -1), numClasses);
    const truth = tf.oneHot(tf.cast(batch.labels!, "int32"), numClasses);
    return {
      loss,
      i: tf.sum(tf.mul(pred, truth), [0, 1, 2]),
      t: tf.add(tf.sum(pred, [0, 1, 2]), tf.sum(truth, [0, 1, 2])),
    };
  });
}

/** Sums of the validation terms over batches. */
class DiceTally {
  #lossSum = 0;
  #n = 0;
  readonly #inter: Float64Array;
  readonly #total: Float64Array;

  constructor(readonly numClasses: number) {
    this.#inter = new Float64Array(numClasses);
    this.#total = new Float64Array(numClasses);
  }

  add(b: number, loss: number, iv: ArrayLike<number>, tv: ArrayLike<number>): void {
    this.#lossSum += loss * b;
    this.#n += b;
    for (let c = 0; c < this.numClasses; c++) {
      this.#inter[c]! += iv[c]!;
      this.#total[c]! += tv[c]!;
    }
  }

  result(): ValidationResult {
    let diceSum = 0, classes = 0;
    for (let c = 1; c < this.numClasses; c++) {
      if (this.#total[c]! > 0) {
        diceSum += (2 * this.#inter[c]!) / this.#total[c]!;
        classes++;
      }
    }
    return {
      diceLoss: this.#n > 0 ? this.#lossSum / this.#n : NaN,
      meanDice: classes > 0 ? diceSum / classes : NaN,
    };
  }
}

/** Reads the model state (see `Trainable.modelState`) of a stored best epoch, for resume. */
async function readSnapshot(
  trainer: Trainable,
  path: string,
): Promise<Map<string, tf.Tensor> | null> {
  if (!await Deno.stat(path).then(() => true, () => false)) return null;
  const ckpt = await readCheckpoint(path);
  const out = new Map<string, tf.Tensor>();
  for (const name of trainer.modelState().keys()) {
    const stored = ckpt.tensors.get(name);
    if (stored) out.set(name, tf.keep(tf.tensor(stored.data, stored.shape, stored.dtype)));
  }
  return out;
}

/** Copies of the variables that define the trainer's model, for best-epoch restore. */
function snapshot(trainer: Trainable): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, v] of trainer.modelState()) out.set(name, tf.keep(v.clone()));
  return out;
}

function restoreSnapshot(trainer: Trainable, snap: Map<string, tf.Tensor>): void {
  const state = trainer.modelState();
  for (const [name, value] of snap) state.get(name)?.assign(value);
}

function disposeSnapshot(snap: Map<string, tf.Tensor> | null): void {
  if (snap) { for (const t of snap.values()) t.dispose(); }
}

/**
 * Trains a trainer (any {@linkcode Trainable}, e.g. `GRN`) for epochs of iterations, with
 * validation after each epoch, model selection by the lowest validation Dice loss per
 * inference path (`S(x)` → `best.ckpt`; with a generator also `S(G(x))` → `best_sge.ckpt`),
 * early stopping once neither path has improved for `patience` epochs, selection and early
 * stopping only from `selectFromEpoch` on, atomic checkpoints, exact resume, a JSON history
 * and progress on stderr. Best epochs are kept in memory as copies of
 * `trainer.modelState()`.
 *
 * `fit` is the only entry point of the training loop (the trainer has no `fit` method, so
 * that the loop and the trainers do not import each other): `await fit(trainer, data, opts)`.
 *
 * Resume is exact: a run interrupted after any checkpoint and resumed gives the same weights
 * as an uninterrupted run with the same seed (the trainer's RNG, optimizer moments, the batch
 * streams' positions and the running epoch statistics are all in the checkpoint).
 *
 * @param trainer The trainer (its networks are trained in place).
 * @param data Labeled (and, for SSL, unlabeled) training sources and optional validation.
 * @param options See {@linkcode FitOptions}.
 * @returns History and model-selection results.
 * @throws {RangeError} On bad options, or SSL training without an unlabeled source.
 */
export async function fit(
  trainer: Trainable,
  data: FitData,
  options: FitOptions = {},
): Promise<FitResult> {
  const {
    batchSize = 4,
    maxEpochs = 50,
    patience = 5,
    selectOn = "segmentor",
    restoreBest = true,
    checkpointDir,
    checkpointEvery = 0,
    resume = false,
    progress = true,
    progressInterval = 10,
  } = options;
  const validationBatchSize = options.validationBatchSize ?? batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Cannot train: batchSize must be a positive integer (got ${batchSize})`);
  }
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) {
    throw new RangeError(`Cannot train: maxEpochs must be a positive integer (got ${maxEpochs})`);
  }
  if (data.labeled.size < 1 || !data.labeled.hasLabels) {
    throw new RangeError(
      `Cannot train: the labeled source is empty or unlabeled (got ${data.labeled.size} items)`,
    );
  }
  if (trainer.mode === "ssl" && (!data.unlabeled || data.unlabeled.size < 1)) {
    throw new RangeError(
      "Cannot train GRN-SSL: an unlabeled source with at least one item is required (got none)",
    );
  }
  const hasSge = trainer.inferencePaths.includes("sge");
  if (selectOn === "sge" && !hasSge) {
    throw new RangeError(
      'Cannot select on SGE: the trainer has no generator (got selectOn: "sge")',
    );
  }
  const sgeSelection = options.sgeSelection ?? hasSge;
  if (sgeSelection && !hasSge) {
    throw new RangeError(
      "Cannot select on SGE: the trainer has no generator (got sgeSelection: true)",
    );
  }
  if (selectOn === "sge" && !sgeSelection) {
    throw new RangeError(
      'Cannot restore the best SGE epoch without SGE selection (got selectOn: "sge" and sgeSelection: false)',
    );
  }
  const selectFromRaw = options.selectFromEpoch ?? 1;
  if (!Number.isInteger(selectFromRaw) || selectFromRaw < 1) {
    throw new RangeError(
      `Cannot train: selectFromEpoch must be a positive integer (got ${selectFromRaw})`,
    );
  }
  const selectFrom = Math.min(selectFromRaw, maxEpochs);
  const iterationsPerEpoch = options.iterationsPerEpoch ?? Math.ceil(data.labeled.size / batchSize);
  if (!Number.isInteger(iterationsPerEpoch) || iterationsPerEpoch < 1) {
    throw new RangeError(
      `Cannot train: iterationsPerEpoch must be a positive integer (got ${iterationsPerEpoch})`,
    );
  }
  const report = progress === true ? null : progress === false ? () => {} : progress;

  const lastPath = checkpointDir ? join(checkpointDir, "last.ckpt") : null;
  const bestPath = checkpointDir ? join(checkpointDir, "best.ckpt") : null;
  const bestSgePath = checkpointDir && sgeSelection ? join(checkpointDir, "best_sge.ckpt") : null;
  let state: FitState = {
    epoch: 0,
    iteration: 0,
    sums: {},
    counts: {},
    seconds: 0,
    history: [],
    bestEpoch: 0,
    bestLoss: Infinity,
    ...(sgeSelection ? { bestSgeEpoch: 0, bestSgeLoss: Infinity } : {}),
    sinceBest: 0,
    stoppedEarly: false,
    streams: { labeled: null },
  };
  let best: Map<string, tf.Tensor> | null = null;
  let bestSge: Map<string, tf.Tensor> | null = null;
  let resumed = false;

  if (resume && lastPath) {
    const exists = await Deno.stat(lastPath).then(() => true, () => false);
    if (exists) {
      const extra = (await trainer.restore(lastPath)) as { fit?: FitState } | undefined;
      if (!extra?.fit) {
        throw new Error(
          `Cannot resume from ${lastPath}: it holds no training-loop state (written by save() outside fit?)`,
        );
      }
      state = extra.fit;
      // JSON stores Infinity (no epoch selected yet, e.g. before `selectFromEpoch`) as null.
      state.bestLoss = restoredLoss(state.bestLoss);
      if (state.bestSgeLoss !== undefined) state.bestSgeLoss = restoredLoss(state.bestSgeLoss);
      data.labeled.setState(state.streams.labeled);
      if (data.unlabeled && state.streams.unlabeled !== undefined) {
        data.unlabeled.setState(state.streams.unlabeled);
      }
      if (bestPath) best = await readSnapshot(trainer, bestPath);
      if (bestSgePath) bestSge = await readSnapshot(trainer, bestSgePath);
      if (sgeSelection && state.bestSgeEpoch === undefined) {
        state.bestSgeEpoch = 0;
        state.bestSgeLoss = Infinity;
      }
      resumed = true;
    }
  }

  const save = async (path: string) => {
    state.streams = {
      labeled: data.labeled.state(),
      ...(data.unlabeled ? { unlabeled: data.unlabeled.state() } : {}),
    };
    await trainer.save(path, { fit: state });
  };
  const writeHistory = async () => {
    if (!checkpointDir) return;
    const path = join(checkpointDir, "history.json");
    await writeFileAtomic(path, JSON.stringify(state.history, null, 2) + "\n", { mkdir: true });
  };

  let lastLine = 0;
  const means = () =>
    Object.fromEntries(Object.keys(state.sums).map((k) => [k, state.sums[k]! / state.counts[k]!]));
  const event = (
    kind: ProgressEvent["kind"],
    validation?: ValidationResult,
    validationSge?: ValidationResult,
  ): ProgressEvent => {
    const done = state.epoch * iterationsPerEpoch + state.iteration;
    const perIt = state.iteration > 0 ? state.seconds / state.iteration : NaN;
    const left = maxEpochs * iterationsPerEpoch - done;
    return {
      kind,
      epoch: state.epoch + 1,
      maxEpochs,
      iteration: state.iteration,
      iterationsPerEpoch,
      losses: means(),
      ...(validation ? { validation } : {}),
      ...(validationSge ? { validationSge } : {}),
      secondsPerIteration: perIt,
      etaSeconds: perIt * left,
    };
  };
  const emit = (e: ProgressEvent) => {
    if (report) return report(e);
    const now = performance.now() / 1000;
    if (e.kind === "step" && now - lastLine < progressInterval && e.iteration !== 1) return;
    lastLine = now;
    const head =
      `[grn] epoch ${e.epoch}/${e.maxEpochs} step ${e.iteration}/${e.iterationsPerEpoch}`;
    const tail = `${e.secondsPerIteration.toFixed(2)} s/it, ETA ${formatDuration(e.etaSeconds)}`;
    if (e.kind === "epoch" && e.validation) {
      const sge = e.validationSge
        ? ` | SGE diceLoss ${e.validationSge.diceLoss.toFixed(4)} meanDice ${
          e.validationSge.meanDice.toFixed(4)
        }`
        : "";
      writeStderr(
        `${head} | ${formatLosses(e.losses)} | val diceLoss ${
          e.validation.diceLoss.toFixed(4)
        } meanDice ${e.validation.meanDice.toFixed(4)}${sge} | ${tail}`,
      );
    } else if (e.kind === "epoch") {
      writeStderr(`[grn] epoch ${e.epoch}/${e.maxEpochs} done | ${formatLosses(e.losses)}`);
    } else if (e.kind === "done") {
      const sge = sgeSelection ? `, best SGE epoch ${state.bestSgeEpoch}` : "";
      writeStderr(
        `[grn] done after ${state.history.length} epochs; best epoch ${state.bestEpoch}${sge}`,
      );
    } else {
      writeStderr(`${head} | ${formatLosses(e.losses)} | ${tail}`);
    }
  };

  try {
    while (state.epoch < maxEpochs && !state.stoppedEarly) {
      while (state.iteration < iterationsPerEpoch) {
        const t0 = performance.now();
        const labeled = data.labeled.next(batchSize);
        const unlabeled = trainer.mode === "ssl" ? data.unlabeled!.next(batchSize) : null;
        let losses: StepReport;
        try {
          const batches = [
            { images: labeled.images, labels: labeled.labels! },
            unlabeled ? { images: unlabeled.images } : undefined,
          ] as const;
          losses = trainer.stepAsync
            ? await trainer.stepAsync(...batches)
            : trainer.step(...batches);
        } catch (error) {
          throw await withTrainingPosition(error, state.epoch + 1, state.iteration + 1, lastPath);
        } finally {
          disposeAll(labeled.images, labeled.labels, unlabeled?.images);
        }
        if (typeof losses.consistencyWeight === "number") state.weight = losses.consistencyWeight;
        for (const [k, v] of Object.entries(losses)) {
          if (typeof v !== "number" || !Number.isFinite(v)) continue;
          state.sums[k] = (state.sums[k] ?? 0) + v;
          state.counts[k] = (state.counts[k] ?? 0) + 1;
        }
        state.seconds += (performance.now() - t0) / 1000;
        state.iteration++;
        emit(event("step"));
        if (
          lastPath && checkpointEvery > 0 && state.iteration % checkpointEvery === 0 &&
          state.iteration < iterationsPerEpoch
        ) {
          await save(lastPath);
        }
      }
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        iterations: state.iteration,
        seconds: state.seconds,
        train: means(),
        ...(state.weight !== undefined ? { consistencyWeight: state.weight } : {}),
      };
      let validation: ValidationResult | undefined;
      let validationSge: ValidationResult | undefined;
      if (data.validation) {
        validation = await evaluateDiceAsync(trainer, data.validation, {
          batchSize: validationBatchSize,
        });
        record.validation = validation;
        if (sgeSelection) {
          validationSge = await evaluateDiceAsync(trainer, data.validation, {
            sge: true,
            batchSize: validationBatchSize,
          });
          record.validationSge = validationSge;
        }
        // Validation batches have other sizes than training ones: give their pooled device
        // buffers back (webgpu; a no-op elsewhere).
        releaseWebGPUBuffers();
      }
      state.history.push(record);
      if (!validation) {
        state.bestEpoch = record.epoch;
        if (sgeSelection) state.bestSgeEpoch = record.epoch;
      } else if (record.epoch >= selectFrom) {
        let improved = false;
        if (validation.diceLoss < state.bestLoss) {
          improved = true;
          state.bestLoss = validation.diceLoss;
          state.bestEpoch = record.epoch;
          disposeSnapshot(best);
          best = snapshot(trainer);
          if (bestPath) await trainer.save(bestPath, { epoch: record.epoch, validation });
        }
        if (validationSge && validationSge.diceLoss < state.bestSgeLoss!) {
          improved = true;
          state.bestSgeLoss = validationSge.diceLoss;
          state.bestSgeEpoch = record.epoch;
          disposeSnapshot(bestSge);
          bestSge = snapshot(trainer);
          if (bestSgePath) {
            await trainer.save(bestSgePath, { epoch: record.epoch, validation: validationSge });
          }
        }
        if (improved) {
          state.sinceBest = 0;
        } else {
          state.sinceBest++;
          if (patience > 0 && state.sinceBest >= patience) state.stoppedEarly = true;
        }
      }
      for (const r of state.history) {
        const selected: InferencePath[] = [];
        if (r.epoch === state.bestEpoch) selected.push("segmentor");
        if (sgeSelection && r.epoch === state.bestSgeEpoch) selected.push("sge");
        if (selected.length > 0) r.selected = selected;
        else delete r.selected;
      }
      emit(event("epoch", validation, validationSge));
      state.epoch++;
      state.iteration = 0;
      state.sums = {};
      state.counts = {};
      state.seconds = 0;
      if (lastPath) await save(lastPath);
      await writeHistory();
    }
    const restore = selectOn === "sge" ? bestSge : best;
    if (restoreBest && restore) restoreSnapshot(trainer, restore);
    emit(event("done"));
    const finite = (x: number | undefined) => x !== undefined && Number.isFinite(x) ? x : NaN;
    return {
      history: state.history,
      bestEpoch: state.bestEpoch,
      bestValidationLoss: finite(state.bestLoss),
      bestSgeEpoch: sgeSelection ? state.bestSgeEpoch ?? 0 : null,
      bestSgeValidationLoss: finite(state.bestSgeLoss),
      selectFromEpoch: selectFrom,
      stoppedEarly: state.stoppedEarly,
      resumed,
    };
  } finally {
    disposeSnapshot(best);
    disposeSnapshot(bestSge);
  }
}
