import * as tf from "@tensorflow/tfjs";
import { assertSameShape } from "./_checks.ts";

/**
 * Mean squared error `mean (a - b)²`, averaged over every element.
 *
 * @param a Any tensor.
 * @param b A tensor of the same shape.
 * @returns A scalar.
 * @throws {TypeError} When shapes differ.
 */
export function mseLoss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  assertSameShape("MSE loss", a, b);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}
