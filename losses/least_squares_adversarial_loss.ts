import * as tf from "@tensorflow/tfjs";
import type { AnyTensor, Scalar } from "../engine/tensor_types.ts";

/**
 * Least-squares adversarial loss `mean (D(x) - target)²` (LSGAN), GRN eq. 2, 4, 7, 9:
 * target 1 means "real", 0 means "fake".
 *
 * @param scores Discriminator output, e.g. patch scores `[batch, h, w, 1]`.
 * @param target `1` (real) or `0` (fake).
 * @returns A scalar.
 */
export function leastSquaresAdversarialLoss(scores: AnyTensor, target: 0 | 1): Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(scores, target))) as tf.Scalar);
}
