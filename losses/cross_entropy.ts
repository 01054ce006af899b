import * as tf from "@tensorflow/tfjs";
import type { AnyTensor, LogitBatch, Scalar } from "../engine/tensor_types.ts";
import { assertLabelsMatch } from "./_checks.ts";
import { oneHotLabels } from "./one_hot.ts";

/**
 * Mean multi-class cross-entropy of logits against labels, averaged over pixels.
 *
 * @param logits `[batch, height, width, classes]`.
 * @param labels `[batch, height, width]` class indices, or (soft) one-hot
 *   `[batch, height, width, classes]`.
 * @returns A scalar.
 * @throws {TypeError} When shapes do not match.
 */
export function crossEntropyLoss(logits: LogitBatch, labels: AnyTensor): Scalar {
  assertLabelsMatch("cross-entropy", logits, labels);
  return tf.tidy(() => {
    const g = oneHotLabels(labels, logits.shape[3]);
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(g, logp), -1))) as tf.Scalar;
  });
}
