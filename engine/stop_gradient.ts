import * as tf from "@tensorflow/tfjs";
import type { AnyTensor } from "./tensor_types.ts";

/**
 * Returns a tensor with the same values as `x` through which no gradient flows (tfjs has no
 * `stopGradient` op). The result shares `x`'s data, costs no copy and is not recorded on the
 * gradient tape, so nothing upstream of it is back-propagated.
 *
 * Use it for consistency targets (teacher predictions, mixed targets) and for detached
 * generator outputs.
 *
 * @param x Any tensor.
 * @returns A new tensor handle on the same data, detached from the gradient tape.
 */
export function stopGradient<T extends AnyTensor>(x: T): T {
  const engine = tf.engine();
  const out = engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  // The new handle owns a reference to the data, so `x` may be disposed independently.
  engine.backend.incRef(x.dataId);
  return out as T;
}
