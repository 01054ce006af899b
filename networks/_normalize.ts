/**
 * Temporary normalisation op used by the networks until `engine/ops/normalize.ts` lands.
 * Same contract as the engine op: statistics over `axes`, biased variance.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of {@linkcode normalizeTrain}. */
export interface NormalizeOptions {
  /** Axes the statistics run over: `[0, 1, 2]` batch norm, `[1, 2]` instance norm. */
  axes: number[];
  /** Added to the variance before the square root. @default {1e-5} */
  epsilon?: number;
}

/** Output of {@linkcode normalizeTrain}. */
export interface NormalizeResult {
  /** Normalised, scaled and shifted input, same shape as `x`. */
  output: tf.Tensor;
  /** Mean over the axes (kept dims). */
  mean: tf.Tensor;
  /** Biased variance over the axes (kept dims). */
  variance: tf.Tensor;
}

/** `gamma * (x - mean) / sqrt(variance + epsilon) + beta` with statistics of `x` itself. */
export function normalizeTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  options: NormalizeOptions,
): NormalizeResult {
  const { axes, epsilon = 1e-5 } = options;
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, axes, true);
    const output = tf.add(
      tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma),
      beta,
    );
    return { output, mean, variance };
  });
}

/** `gamma * (x - mean) / sqrt(variance + epsilon) + beta` with given statistics. */
export function normalizeInference(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  epsilon = 1e-5,
): tf.Tensor {
  return tf.tidy(() =>
    tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta)
  );
}
