/**
 * Building blocks of the networks: convolutions, normalisation, activations, dropout, pooling
 * and upsampling on NHWC tensors `[batch, height, width, channels]`.
 *
 * Layers own no tensors of their own: their variables live in the module that registered them
 * through a {@linkcode ParamScope}. Layer `apply` methods are called inside the module's
 * `tf.tidy`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../engine/rng.ts";
import { dropout as seededDropout } from "../engine/ops/dropout.ts";
import { normalizeInference, normalizeTrain } from "../engine/ops/normalize.ts";
import type { ParamScope } from "./module_base.ts";
import { NORM_KINDS, type NormKind } from "./norm_kind.ts";

export { NORM_KINDS, type NormKind };

/** Padding of a convolution: TensorFlow's `"same"`/`"valid"`, or `p` zeros on every side. */
export type Padding = "same" | "valid" | number;

/** Options of {@linkcode Conv2d}. */
export interface Conv2dOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Square kernel size. */
  kernelSize: number;
  /** Stride. @default {1} */
  stride?: number;
  /** Padding. @default {"same"} */
  padding?: Padding;
  /** Whether the layer adds a bias. @default {true} */
  bias?: boolean;
}

function checkPositiveInt(what: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create ${what}: ${name} must be a positive integer (got ${value})`,
    );
  }
}

function checkPadding(what: string, padding: Padding): void {
  if (padding === "same" || padding === "valid") return;
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError(
      `Cannot create ${what}: padding must be "same", "valid" or a non-negative integer (got ${
        JSON.stringify(padding)
      })`,
    );
  }
}

/**
 * 2-D convolution with an HWIO kernel `[k, k, in, out]` and optional bias, initialised like
 * PyTorch's default: uniform in `±1/sqrt(in·k·k)` for kernel and bias.
 */
export class Conv2d {
  /** Kernel `[k, k, inChannels, outChannels]`. */
  readonly kernel: tf.Variable;
  /** Bias `[outChannels]`, or `null`. */
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: Padding;

  constructor(scope: ParamScope, options: Conv2dOptions) {
    const { inChannels, outChannels, kernelSize, stride = 1, padding = "same", bias = true } =
      options;
    checkPositiveInt("convolution", "inChannels", inChannels);
    checkPositiveInt("convolution", "outChannels", outChannels);
    checkPositiveInt("convolution", "kernelSize", kernelSize);
    checkPositiveInt("convolution", "stride", stride);
    checkPadding("convolution", padding);
    const fanIn = inChannels * kernelSize * kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    const size = kernelSize * kernelSize * inChannels * outChannels;
    this.kernel = scope.weight(
      "kernel",
      [kernelSize, kernelSize, inChannels, outChannels],
      scope.rng.uniformArray(size, -bound, bound),
    );
    this.bias = bias
      ? scope.weight("bias", [outChannels], scope.rng.uniformArray(outChannels, -bound, bound))
      : null;
    this.stride = stride;
    this.padding = padding;
  }

  /** `x [b, h, w, in]` → `[b, h', w', out]`. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, this.padding);
    return this.bias === null ? y : tf.add(y, this.bias);
  }
}

/** Options of {@linkcode ConvTranspose2d}. */
export interface ConvTranspose2dOptions extends Conv2dOptions {
  /**
   * Extra rows/columns added at the bottom/right of the output (PyTorch's `output_padding`,
   * numeric padding only).
   * @default {0}
   */
  outputPadding?: number;
}

/**
 * 2-D transposed convolution (PyTorch's `ConvTranspose2d`) with a kernel `[k, k, out, in]` and
 * optional bias, initialised like PyTorch: uniform in `±1/sqrt(out·k·k)`.
 *
 * Output size: `(h - 1)·stride + k - 2·padding + outputPadding` for numeric padding,
 * `h·stride` for `"same"`, `(h - 1)·stride + k` for `"valid"`.
 */
export class ConvTranspose2d {
  /** Kernel `[k, k, outChannels, inChannels]`. */
  readonly kernel: tf.Variable;
  /** Bias `[outChannels]`, or `null`. */
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: Padding;
  readonly kernelSize: number;
  readonly outChannels: number;

  readonly outputPadding: number;

  constructor(scope: ParamScope, options: ConvTranspose2dOptions) {
    const {
      inChannels,
      outChannels,
      kernelSize,
      stride = 1,
      padding = "same",
      bias = true,
      outputPadding = 0,
    } = options;
    if (
      !Number.isInteger(outputPadding) || outputPadding < 0 || outputPadding >= stride ||
      (outputPadding > 0 && typeof padding !== "number")
    ) {
      throw new RangeError(
        `Cannot create transposed convolution: outputPadding must be an integer in [0, stride) ` +
          `with numeric padding (got ${outputPadding})`,
      );
    }
    checkPositiveInt("transposed convolution", "inChannels", inChannels);
    checkPositiveInt("transposed convolution", "outChannels", outChannels);
    checkPositiveInt("transposed convolution", "kernelSize", kernelSize);
    checkPositiveInt("transposed convolution", "stride", stride);
    checkPadding("transposed convolution", padding);
    const bound = 1 / Math.sqrt(outChannels * kernelSize * kernelSize);
    const size = kernelSize * kernelSize * inChannels * outChannels;
    this.kernel = scope.weight(
      "kernel",
      [kernelSize, kernelSize, outChannels, inChannels],
      scope.rng.uniformArray(size, -bound, bound),
    );
    this.bias = bias
      ? scope.weight("bias", [outChannels], scope.rng.uniformArray(outChannels, -bound, bound))
      : null;
    this.stride = stride;
    this.padding = padding;
    this.kernelSize = kernelSize;
    this.outChannels = outChannels;
    this.outputPadding = outputPadding;
  }

  /** Output size along one axis for an input of size `n`. */
  outputSize(n: number): number {
    const { stride, kernelSize, padding } = this;
    if (padding === "same") return n * stride;
    if (padding === "valid") return (n - 1) * stride + kernelSize;
    return (n - 1) * stride + kernelSize - 2 * padding + this.outputPadding;
  }

  /** `x [b, h, w, in]` → `[b, h', w', out]`. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w] = x.shape;
    const y = tf.conv2dTranspose(
      x,
      this.kernel as tf.Tensor4D,
      [b, this.outputSize(h), this.outputSize(w), this.outChannels],
      this.stride,
      this.padding,
    );
    return this.bias === null ? y : tf.add(y, this.bias);
  }
}

/** Options of {@linkcode Norm2d}. */
export interface Norm2dOptions {
  /** Kind of normalisation. */
  kind: NormKind;
  /** Running-average momentum (batch norm), PyTorch convention. @default {0.1} */
  momentum?: number;
  /** Added to the variance. @default {1e-5} */
  epsilon?: number;
}

/**
 * Batch or instance normalisation with a learned scale `gamma` and shift `beta` per channel.
 *
 * Batch norm in training mode normalises with batch statistics and updates the running mean
 * and (unbiased) running variance: `r ← (1 - momentum)·r + momentum·batch`; in inference mode
 * it uses the running averages. Instance norm always uses per-sample statistics over
 * `[height, width]` and keeps no running averages.
 */
export class Norm2d {
  readonly kind: NormKind;
  readonly gamma: tf.Variable | null = null;
  readonly beta: tf.Variable | null = null;
  readonly runningMean: tf.Variable | null = null;
  readonly runningVariance: tf.Variable | null = null;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(scope: ParamScope, channels: number, options: Norm2dOptions) {
    const { kind, momentum = 0.1, epsilon = 1e-5 } = options;
    if (!NORM_KINDS.includes(kind)) {
      throw new RangeError(
        `Cannot create normalisation: kind must be one of ${NORM_KINDS.join(", ")} (got ${
          JSON.stringify(kind)
        })`,
      );
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new RangeError(
        `Cannot create normalisation: momentum must be in [0, 1] (got ${momentum})`,
      );
    }
    if (!(epsilon > 0)) {
      throw new RangeError(`Cannot create normalisation: epsilon must be > 0 (got ${epsilon})`);
    }
    this.kind = kind;
    this.momentum = momentum;
    this.epsilon = epsilon;
    if (kind === "none") return;
    this.gamma = scope.weight("gamma", [channels], new Float32Array(channels).fill(1));
    this.beta = scope.weight("beta", [channels], new Float32Array(channels));
    if (kind === "batch") {
      this.runningMean = scope.state("runningMean", [channels], new Float32Array(channels));
      this.runningVariance = scope.state(
        "runningVariance",
        [channels],
        new Float32Array(channels).fill(1),
      );
    }
  }

  /** `x [b, h, w, c]` → same shape. Updates running averages in batch-norm training mode. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (this.kind === "none") return x;
    const gamma = this.gamma!;
    const beta = this.beta!;
    if (this.kind === "instance") {
      return normalizeTrain(x, gamma, beta, { axes: [1, 2], epsilon: this.epsilon }).y;
    }
    const runningMean = this.runningMean!;
    const runningVariance = this.runningVariance!;
    if (!training) {
      return normalizeInference(x, gamma, beta, runningMean, runningVariance, this.epsilon);
    }
    const { y, mean, variance, count } = normalizeTrain(x, gamma, beta, {
      axes: [0, 1, 2],
      epsilon: this.epsilon,
    });
    // Running averages (PyTorch convention), with the unbiased batch variance.
    const m = this.momentum;
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)));
    runningVariance.assign(tf.add(tf.mul(runningVariance, 1 - m), tf.mul(unbiased, m)));
    return y;
  }
}

/** Leaky ReLU `max(x, slope·x)`. */
export function leakyRelu(x: tf.Tensor4D, slope: number): tf.Tensor4D {
  return tf.leakyRelu(x, slope);
}

/**
 * Element-wise dropout with rate `rate` (kept values scaled by `1/(1 - rate)`), active only in
 * training mode; its mask is seeded from `rng` and identical on every backend.
 */
export function dropout(x: tf.Tensor4D, rate: number, training: boolean, rng: Rng): tf.Tensor4D {
  if (!training || rate === 0) return x;
  return seededDropout(x, rate, rng.seed());
}

/** 2x2 max pooling with stride 2 (odd trailing rows/columns dropped, as PyTorch). */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, "valid");
}

/** Upsampling modes of {@linkcode upsample}. */
export type UpsampleMode = "nearest" | "bilinear";

/**
 * Resizes `x` to `[height, width]`: `"nearest"` as PyTorch's default `F.interpolate`
 * (source index `floor(i·in/out)`), `"bilinear"` with half-pixel centres
 * (`align_corners=False`).
 */
export function upsample(
  x: tf.Tensor4D,
  size: [number, number],
  mode: UpsampleMode = "nearest",
): tf.Tensor4D {
  if (x.shape[1] === size[0] && x.shape[2] === size[1]) return x;
  return mode === "nearest"
    ? tf.image.resizeNearestNeighbor(x, size, false, false)
    : tf.image.resizeBilinear(x, size, false, true);
}
