/**
 * Guards that stop training on garbage instead of training it silently: batch values checked
 * at the door of `GRN.step` (labels must be integers in `0..C−1`, images finite), and loss
 * values checked after every step ({@linkcode NonFiniteLossError}).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AnyTensor } from "../engine/tensor_types.ts";

/** Where a non-finite loss happened; the epoch is added by `fit`. */
export interface NonFiniteLossInfo {
  /** The loss term, e.g. `"lossG"` or `"diceReal"`. */
  term: string;
  /** Its value (`NaN`, `Infinity` or `-Infinity`). */
  value: number;
  /** 1-based global training step (iteration) of the trainer. */
  step: number;
  /** 1-based epoch, when known (set by `fit`). */
  epoch?: number;
  /** 1-based iteration within the epoch, when known (set by `fit`). */
  iteration?: number;
  /** What happened to the checkpoints (set by `fit`). */
  kept?: string;
}

/**
 * A training step produced a non-finite loss (`NaN` or `±Infinity`): training diverged (e.g.
 * an absurd learning rate) or the data holds garbage. Thrown by `GRN.step` (naming the step and
 * the term) and rethrown by `fit` with the epoch and what happened to the checkpoints.
 */
export class NonFiniteLossError extends Error {
  /** Where it happened. */
  readonly info: NonFiniteLossInfo;

  /**
   * Builds the message from `info` (the term, its value, the step and, when `fit` knows them,
   * the epoch and what happened to the checkpoints).
   * @param info Where it happened.
   */
  constructor(info: NonFiniteLossInfo) {
    const at = info.epoch !== undefined
      ? `epoch ${info.epoch}, step ${info.iteration ?? "?"} of the epoch (global step ${info.step})`
      : `step ${info.step}`;
    super(
      `Cannot train: loss term ${info.term} is not finite at ${at} (got ${info.value}); ` +
        `training stopped${info.kept ? `, ${info.kept}` : ""}`,
    );
    this.name = "NonFiniteLossError";
    this.info = info;
  }
}

/**
 * Throws {@linkcode NonFiniteLossError} for the first numeric term of `losses` that is not
 * finite (terms in insertion order; `undefined` terms are skipped).
 *
 * @param losses The step's loss values.
 * @param step 1-based global step, for the message.
 */
export function checkStepLosses(
  losses: Readonly<Record<string, number | undefined>>,
  step: number,
): void {
  for (const [term, value] of Object.entries(losses)) {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new NonFiniteLossError({ term, value, step });
    }
  }
}

/**
 * Checks a batch's values with one small download: images must be finite; labels (when given)
 * must be integers in `0..numClasses−1`.
 *
 * @param what `"labeled"` or `"unlabeled"`, for the message.
 * @param images `[batch, height, width, channels]`.
 * @param labels `[batch, height, width]`, or `undefined`.
 * @param numClasses Classes of the segmentor, background included.
 * @throws {RangeError} On non-finite images or labels outside `0..numClasses−1` or not integer.
 */
export function checkBatchValues(
  what: string,
  images: AnyTensor,
  labels: AnyTensor | undefined,
  numClasses: number,
): void {
  const stats = batchStats(images, labels);
  let v: Float32Array | Int32Array | Uint8Array;
  try {
    v = stats.dataSync();
  } finally {
    stats.dispose();
  }
  judgeBatchStats(what, v, labels !== undefined, numClasses);
}

/**
 * {@linkcode checkBatchValues} with an asynchronous download, for backends that cannot read
 * synchronously (webgpu in Deno).
 *
 * @param what `"labeled"` or `"unlabeled"`, for the message.
 * @param images `[batch, height, width, channels]`.
 * @param labels `[batch, height, width]`, or `undefined`.
 * @param numClasses Classes of the segmentor, background included.
 * @throws {RangeError} On non-finite images or labels outside `0..numClasses−1` or not integer.
 */
export async function checkBatchValuesAsync(
  what: string,
  images: AnyTensor,
  labels: AnyTensor | undefined,
  numClasses: number,
): Promise<void> {
  const stats = batchStats(images, labels);
  let v: Float32Array | Int32Array | Uint8Array;
  try {
    v = await stats.data();
  } finally {
    stats.dispose();
  }
  judgeBatchStats(what, v, labels !== undefined, numClasses);
}

function batchStats(images: AnyTensor, labels: AnyTensor | undefined): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.cast(images, "float32");
    // x − x is 0 for every finite value and NaN for NaN and ±Infinity, on every backend.
    const parts = [tf.sum(tf.sub(x, x))];
    if (labels) {
      const y = tf.cast(labels, "float32");
      parts.push(
        tf.sum(tf.sub(y, y)),
        tf.min(y),
        tf.max(y),
        tf.sum(tf.abs(tf.sub(y, tf.round(y)))),
      );
    }
    return tf.stack(parts);
  });
}

function judgeBatchStats(
  what: string,
  v: Float32Array | Int32Array | Uint8Array,
  hasLabels: boolean,
  numClasses: number,
): void {
  const at = `Cannot train on the ${what} batch`;
  if (v[0] !== 0) {
    throw new RangeError(`${at}: images must be finite (got NaN or ±Infinity values)`);
  }
  if (!hasLabels) return;
  const [, finite, min, max, fraction] = v;
  const range = `0..${numClasses - 1}`;
  if (finite !== 0) {
    throw new RangeError(`${at}: labels must be integers in ${range} (got NaN or ±Infinity)`);
  }
  if (min! < 0 || max! > numClasses - 1) {
    throw new RangeError(
      `${at}: labels must be integers in ${range} (got values in [${min}, ${max}])`,
    );
  }
  if (fraction !== 0) {
    throw new RangeError(
      `${at}: labels must be integers in ${range} (got non-integer values in [${min}, ${max}])`,
    );
  }
}

/**
 * Adds the epoch, the iteration within it and the fate of the checkpoints to a
 * {@linkcode NonFiniteLossError} (used by `fit`); any other error is returned unchanged.
 *
 * @param error What `GRN.step` threw.
 * @param epoch 1-based epoch.
 * @param iteration 1-based iteration within the epoch.
 * @param lastPath The run's `last.ckpt`, or `null` without a checkpoint folder.
 * @returns The error to throw.
 */
export async function withTrainingPosition(
  error: unknown,
  epoch: number,
  iteration: number,
  lastPath: string | null,
): Promise<unknown> {
  if (!(error instanceof NonFiniteLossError)) return error;
  const exists = lastPath !== null && await Deno.stat(lastPath).then(() => true, () => false);
  const kept = lastPath === null
    ? "nothing was saved"
    : exists
    ? `the last good checkpoint ${lastPath} is kept`
    : `no checkpoint had been written yet (${lastPath})`;
  return new NonFiniteLossError({ ...error.info, epoch, iteration, kept });
}
