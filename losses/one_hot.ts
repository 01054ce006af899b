import * as tf from "@tensorflow/tfjs";
import type { AnyTensor, LogitBatch } from "../engine/tensor_types.ts";

/**
 * One-hot encodes integer labels, or passes one-hot / soft labels through.
 *
 * @param labels `[batch, height, width]` int32 class indices, or `[batch, height, width, classes]`.
 * @param numClasses Number of classes `C`.
 * @returns Float32 `[batch, height, width, classes]`.
 */
export function oneHotLabels(labels: AnyTensor, numClasses: number): LogitBatch {
  return tf.tidy(() => {
    if (labels.rank === 4) return tf.cast(labels, "float32") as tf.Tensor4D;
    return tf.oneHot(tf.cast(labels, "int32") as tf.Tensor3D, numClasses).toFloat() as tf.Tensor4D;
  });
}
