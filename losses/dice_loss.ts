import * as tf from "@tensorflow/tfjs";
import type { AnyTensor, LogitBatch, Scalar } from "../engine/tensor_types.ts";
import { assertLabelsMatch } from "./_checks.ts";
import { oneHotLabels } from "./one_hot.ts";

/** Options of {@linkcode diceLoss}. */
export interface DiceLossOptions {
  /**
   * Whether the background class (index 0) takes part. GRN's reference code (MONAI DiceLoss)
   * includes it.
   * @default {true}
   */
  includeBackground?: boolean;
  /** Smoothing added to numerator and denominator. @default {1e-5} */
  smooth?: number;
  /**
   * Square the terms of the denominator (`Σp² + Σg²`, as SSL4MIS) instead of `Σp + Σg`
   * (MONAI's default).
   * @default {false}
   */
  squared?: boolean;
  /**
   * `"sample"`: Dice per sample and class, then the mean (MONAI's default, used by GRN's
   * reference code). `"batch"`: sums run over the whole batch per class (SSL4MIS).
   * @default {"sample"}
   */
  reduce?: "sample" | "batch";
  /** Apply softmax to the input first (`false` when passing probabilities). @default {true} */
  fromLogits?: boolean;
}

/**
 * Soft Dice loss `1 - mean_c (2 Σ p g + s) / (Σ p + Σ g + s)` for multi-class segmentation.
 *
 * @param logits `[batch, height, width, classes]` logits (or probabilities with
 *   `fromLogits: false`).
 * @param labels `[batch, height, width]` class indices, or one-hot `[batch, height, width, classes]`.
 * @returns A scalar in `[0, 1]`.
 * @throws {TypeError} When shapes do not match.
 *
 * @example Perfect prediction gives ~0
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { diceLoss, initEngine } from "../mod.ts";
 *
 * await initEngine();
 * const labels = tf.tensor3d([[[0, 1], [1, 0]]], [1, 2, 2], "int32");
 * const logits = tf.oneHot(labels, 2).mul(100).toFloat() as tf.Tensor4D;
 * assert.ok(diceLoss(logits, labels).dataSync()[0]! < 1e-6); // ~0
 * const swapped = tf.tensor3d([[[1, 0], [0, 1]]], [1, 2, 2], "int32");
 * const wrong = tf.oneHot(swapped, 2).mul(100).toFloat() as tf.Tensor4D;
 * assert.ok(diceLoss(wrong, labels).dataSync()[0]! > 0.999); // ~1
 * ```
 */
export function diceLoss(
  logits: LogitBatch,
  labels: AnyTensor,
  options: DiceLossOptions = {},
): Scalar {
  const {
    includeBackground = true,
    smooth = 1e-5,
    squared = false,
    reduce = "sample",
    fromLogits = true,
  } = options;
  assertLabelsMatch("Dice loss", logits, labels);
  const numClasses = logits.shape[3];
  if (!includeBackground && numClasses < 2) {
    throw new RangeError(
      `Cannot compute Dice loss without background: need at least 2 classes (got ${numClasses})`,
    );
  }
  return tf.tidy(() => {
    let p: tf.Tensor = fromLogits ? tf.softmax(logits) : logits;
    let g: tf.Tensor = oneHotLabels(labels, numClasses);
    if (!includeBackground) {
      p = tf.slice(p, [0, 0, 0, 1], [-1, -1, -1, -1]);
      g = tf.slice(g, [0, 0, 0, 1], [-1, -1, -1, -1]);
    }
    const axes = reduce === "sample" ? [1, 2] : [0, 1, 2];
    const intersection = tf.sum(tf.mul(p, g), axes);
    const denominator = squared
      ? tf.add(tf.sum(tf.square(p), axes), tf.sum(tf.square(g), axes))
      : tf.add(tf.sum(p, axes), tf.sum(g, axes));
    const dice = tf.div(tf.add(tf.mul(intersection, 2), smooth), tf.add(denominator, smooth));
    return tf.sub(1, tf.mean(dice)) as tf.Scalar;
  });
}
