import * as tf from "@tensorflow/tfjs";
import type { AnyTensor, Scalar } from "../engine/tensor_types.ts";
import { assertSameShape } from "./_checks.ts";

/**
 * Mean absolute error `mean |a - b|` (the L1 reconstruction term of GRN, eq. 2, 5, 7).
 *
 * @param a Any tensor, e.g. generated images `[batch, height, width, channels]`.
 * @param b A tensor of the same shape.
 * @returns A scalar.
 * @throws {TypeError} When shapes differ.
 */
export function l1Loss(a: AnyTensor, b: AnyTensor): Scalar {
  assertSameShape("L1 loss", a, b);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}
