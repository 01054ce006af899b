import * as tf from "@tensorflow/tfjs";
import type { AnyTensor, Scalar } from "../engine/tensor_types.ts";
import { assertSameShape } from "./_checks.ts";

/**
 * Mean squared error `mean (a - b)²`, averaged over every element.
 *
 * @param a Any tensor.
 * @param b A tensor of the same shape.
 * @returns A scalar.
 * @throws {TypeError} When shapes differ.
 */
export function mseLoss(a: AnyTensor, b: AnyTensor): Scalar {
  assertSameShape("MSE loss", a, b);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}
