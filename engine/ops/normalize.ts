/**
 * Batch and instance normalisation with a hand-written gradient.
 *
 * The autograd of `tf.batchNorm` materialises a `Tile` of the statistics to the full activation
 * shape, which is slow on the wasm backend. {@linkcode normalizeTrain} computes the statistics
 * once and back-propagates through the closed form instead; it runs on every backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fusedNormalizeTrain } from "../native/normalize.ts";
import type { AnyTensor } from "../tensor_types.ts";

/** Options of {@linkcode normalizeTrain}. */
export interface NormalizeOptions {
  /**
   * Axes the statistics are taken over; they must exclude the last (channel) axis. `[0, 1, 2]`
   * is batch normalisation of NHWC data, `[1, 2]` instance normalisation.
   * @default {[0, 1, 2]}
   */
  axes?: number[];
  /**
   * Added to the variance before the square root.
   * @default {1e-5}
   */
  epsilon?: number;
}

/** What {@linkcode normalizeTrain} returns. */
export interface NormalizeResult<T extends AnyTensor> {
  /** `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, the shape of `x`. */
  y: T;
  /**
   * Mean over the normalisation axes, with those axes removed: `[channels]` for batch
   * normalisation, `[batch, channels]` for instance normalisation of NHWC data.
   */
  mean: AnyTensor;
  /** Biased (population) variance over the normalisation axes, shaped like `mean`. */
  variance: AnyTensor;
  /**
   * Number of elements behind each statistic (e.g. `batch * height * width` for batch
   * normalisation), for an unbiased running variance: `variance * count / (count - 1)`.
   */
  count: number;
}

function checkChannelVector(what: string, t: tf.Tensor, channels: number, fn: string): void {
  if (t.rank !== 1 || t.shape[0] !== channels) {
    throw new Error(
      `Cannot ${fn}: ${what} must have shape [${channels}] (one value per channel of x) ` +
        `(got [${t.shape}])`,
    );
  }
}

/**
 * Normalises `x` over `axes` with the statistics of `x` itself (batch norm in training, or
 * instance norm), scales by `gamma` and shifts by `beta`, channel-wise.
 *
 * The gradient is analytic (`tf.customGrad`): with `xh = (x - mean) * rstd`, `g = dy * gamma`
 * and means over the normalisation axes, `dx = rstd * (g - mean(g) - xh * mean(g * xh))`,
 * `dgamma = sum(dy * xh)`, `dbeta = sum(dy)`. The forward pass runs off the gradient tape:
 * only the `xh` activation and per-channel vectors are kept for the backward pass. The
 * returned `mean` and `variance` carry no gradient (they are for running-statistics updates
 * by the caller).
 *
 * @param x Activations, channels last, e.g. NHWC `[batch, height, width, channels]`.
 * @param gamma Scale `[channels]`.
 * @param beta Shift `[channels]`.
 * @param options Normalisation axes and epsilon; see {@linkcode NormalizeOptions}.
 * @returns The normalised output and the batch statistics.
 * @throws {Error} When the axes, epsilon or parameter shapes are invalid.
 *
 * @example Batch norm of NHWC activations
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, normalizeTrain } from "../mod.ts";
 *
 * await initEngine();
 * const x = tf.randomNormal([4, 8, 8, 3], 5, 2, "float32", 1); // NHWC, mean 5, sd 2
 * const gamma = tf.ones([3]), beta = tf.zeros([3]);
 * const { y, mean, variance } = normalizeTrain(x, gamma, beta, { axes: [0, 1, 2] });
 * assert.ok(Array.from(mean.dataSync()).every((m) => Math.abs(m - 5) < 0.5));
 * assert.ok(Array.from(variance.dataSync()).every((v) => Math.abs(v - 4) < 1));
 * const yMean = tf.mean(y, [0, 1, 2]).dataSync(); // per channel, after normalisation
 * assert.ok(Array.from(yMean).every((m) => Math.abs(m) < 1e-4));
 * ```
 */
export function normalizeTrain<T extends AnyTensor>(
  x: T,
  gamma: AnyTensor,
  beta: AnyTensor,
  options: NormalizeOptions = {},
): NormalizeResult<T> {
  const { axes = [0, 1, 2], epsilon = 1e-5 } = options;
  const fn = "normalise";
  if (x.rank < 2) {
    throw new Error(`Cannot ${fn}: x must have rank 2 or more (got shape [${x.shape}])`);
  }
  const channels = x.shape[x.rank - 1]!;
  const sorted = axes.every((a, i) => i === 0 || a > axes[i - 1]!);
  if (
    axes.length === 0 || !sorted ||
    !axes.every((a) => Number.isInteger(a) && a >= 0 && a < x.rank - 1)
  ) {
    throw new Error(
      `Cannot ${fn}: axes must be distinct increasing integers from 0 to ${
        x.rank - 2
      } (the channel axis ${x.rank - 1} is excluded) (got [${axes}])`,
    );
  }
  if (!(epsilon > 0)) {
    throw new Error(`Cannot ${fn}: epsilon must be positive (got ${epsilon})`);
  }
  checkChannelVector("gamma", gamma, channels, fn);
  checkChannelVector("beta", beta, channels, fn);
  // oneDNN's fused batch normalisation, when the native provider registered it.
  const fused = fusedNormalizeTrain(x, gamma, beta, axes, epsilon);
  if (fused !== null) return fused;
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const statShape = x.shape.filter((_, i) => !axes.includes(i));
  const otherAxes = Array.from({ length: x.rank - 1 }, (_, i) => i);

  let stats: [tf.Tensor, tf.Tensor] | null = null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    // args = [x, gamma, beta, save]. Runs untaped, so none of the intermediates (x - mean,
    // its square) is held by the gradient tape; only xh, rstd and gamma are saved.
    const [xIn, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const mean = tf.mean(xIn, axes, true);
    const centred = tf.sub(xIn, mean);
    const variance = tf.mean(tf.square(centred), axes, true);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xh = tf.mul(centred, rstd);
    save([xh, rstd, g]);
    // The statistics leave this scope as extra outputs; released below.
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: tf.add(tf.mul(xh, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sxh, srstd, sgamma] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
          const sumDy = tf.sum(dy, axes, true);
          const sumDyXh = tf.sum(tf.mul(dy, sxh), axes, true);
          const k = tf.mul(srstd, sgamma);
          const kn = tf.div(k, -count);
          // dx = k * dy - k/count * (sum(dy) + xh * sum(dy * xh))
          const dx = tf.add(
            tf.add(tf.mul(dy, k), tf.mul(sxh, tf.mul(kn, sumDyXh))),
            tf.mul(kn, sumDy),
          );
          const dGamma = tf.reshape(tf.sum(sumDyXh, otherAxes), [channels]);
          const dBeta = tf.reshape(tf.sum(sumDy, otherAxes), [channels]);
          return [dx, dGamma, dBeta];
        }),
    };
  });
  const y = op(x, gamma, beta) as T;
  const [mean, variance] = stats as unknown as [tf.Tensor, tf.Tensor];
  // Reshape shares the buffers; the kept originals are then released.
  const result = {
    y,
    mean: tf.reshape(mean, statShape),
    variance: tf.reshape(variance, statShape),
    count,
  };
  mean.dispose();
  variance.dispose();
  return result;
}

/**
 * Normalises `x` with given statistics (batch norm at inference, from running averages):
 * `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, channel-wise, computed as one scale
 * and one shift per channel. Differentiable through ordinary autograd.
 *
 * @param x Activations, channels last, e.g. NHWC `[batch, height, width, channels]`.
 * @param gamma Scale `[channels]`.
 * @param beta Shift `[channels]`.
 * @param mean Per-channel mean `[channels]`.
 * @param variance Per-channel variance `[channels]`.
 * @param epsilon Added to the variance before the square root. @default {1e-5}
 * @returns The normalised tensor, the shape of `x`.
 * @throws {Error} When a parameter is not `[channels]` or epsilon is not positive.
 */
export function normalizeInference<T extends AnyTensor>(
  x: T,
  gamma: AnyTensor,
  beta: AnyTensor,
  mean: AnyTensor,
  variance: AnyTensor,
  epsilon = 1e-5,
): T {
  const fn = "normalise with given statistics";
  if (x.rank < 1) {
    throw new Error(`Cannot ${fn}: x must have rank 1 or more (got shape [${x.shape}])`);
  }
  if (!(epsilon > 0)) {
    throw new Error(`Cannot ${fn}: epsilon must be positive (got ${epsilon})`);
  }
  const channels = x.shape[x.rank - 1]!;
  checkChannelVector("gamma", gamma, channels, fn);
  checkChannelVector("beta", beta, channels, fn);
  checkChannelVector("mean", mean, channels, fn);
  checkChannelVector("variance", variance, channels, fn);
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    const shift = tf.sub(beta, tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), shift) as T;
  });
}
