/**
 * URPC's feature perturbations (SSL4MIS `FeatureDropout`, `FeatureNoise`) on NHWC features.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../engine/rng.ts";

/**
 * Zeroes the locations whose channel-mean activation reaches `factor · (per-sample maximum)`,
 * i.e. drops the most strongly activated regions (URPC's FeatureDropout).
 */
export function featureDropout(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  const attention = tf.mean(x, 3, true);
  const threshold = tf.mul(tf.max(attention, [1, 2], true), factor);
  // keep = attention < threshold, written with ops that have (zero) gradients.
  const keep = tf.sub(1, tf.cast(tf.greaterEqual(attention, threshold), "float32"));
  return tf.mul(x, keep);
}

/** `x + x·n` with `n ~ U(-amplitude, amplitude)` of shape `[1, h, w, c]` (URPC's FeatureNoise). */
export function featureNoise(x: tf.Tensor4D, amplitude: number, rng: Rng): tf.Tensor4D {
  if (amplitude === 0) return x;
  const [, h, w, c] = x.shape;
  const noise = tf.tensor4d(rng.uniformArray(h * w * c, -amplitude, amplitude), [1, h, w, c]);
  return tf.add(x, tf.mul(x, noise));
}
