/**
 * A cheaper gradient for `LeakyRelu`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Gradient record for `LeakyRelu`: `dx = dy * step(x, alpha)` (`step` is 1 where `x > 0`, else
 * `alpha`), two kernels instead of tfjs's three (`Greater`, `Multiply`, `Select`, with a
 * boolean mask in between). Same values, including at `x = 0` (slope `alpha`). Backend
 * independent; registered with `tf.registerGradient`.
 */
export const leakyReluGradConfig: tf.GradConfig = {
  kernelName: "LeakyRelu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { alpha } = attrs as unknown as { alpha: number };
    return { x: () => tf.mul(dy as tf.Tensor, tf.step(x, alpha)) };
  },
};
