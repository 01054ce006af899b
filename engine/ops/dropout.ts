/**
 * Dropout with a fast seeded mask.
 *
 * `tf.dropout` draws its mask with `tf.randomUniform` (one seeded JavaScript generator call per
 * element, ~19 ms per million elements here) and then runs four tensor ops on it; the UNet's
 * encoder drops ~2 million activations per forward pass. {@linkcode dropout} draws the mask in
 * one tight loop (xoshiro128** on 32-bit integers, ~2 ms per million elements) and multiplies
 * once; the gradient is that multiplication's (`dy * mask`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AnyTensor } from "../tensor_types.ts";

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A dropout mask: each element is `1 / (1 - rate)` with probability `1 - rate`, else 0, drawn
 * from a xoshiro128** stream seeded by `seed` (the same seed gives the same mask).
 *
 * @param size Number of elements.
 * @param rate Probability of dropping an element, in `[0, 1)`.
 * @param seed Integer seed (reduced to 32 bits).
 * @returns The mask.
 * @throws {RangeError} When `size` or `rate` is out of range.
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(
      `Cannot draw a dropout mask: size must be a non-negative integer (got ${size})`,
    );
  }
  const mask = new Float32Array(size);
  fillDropoutMask(mask, rate, seed);
  return mask;
}

/**
 * Fills `mask` as {@linkcode dropoutMask} would (same values for the same seed).
 * @param mask Destination, e.g. a view of a tensor's memory.
 * @param rate Probability of dropping an element, in `[0, 1)`.
 * @param seed Integer seed (reduced to 32 bits).
 * @throws {RangeError} When `rate` is out of range.
 */
export function fillDropoutMask(mask: Float32Array, rate: number, seed: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`Cannot draw a dropout mask: rate must be in [0, 1) (got ${rate})`);
  }
  const mix = splitmix32(Math.floor(seed) >>> 0 ^ Math.floor(seed / 2 ** 32));
  let s0 = mix(), s1 = mix(), s2 = mix(), s3 = mix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  // Keep when the 32-bit draw is at least rate * 2^32: probability 1 - rate.
  const threshold = Math.min(Math.floor(rate * 2 ** 32), 2 ** 32 - 1);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < mask.length; i++) {
    // xoshiro128**
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    mask[i] = r >= threshold ? scale : 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Element-wise dropout of `x`: each element is kept with probability `1 - rate` and scaled by
 * `1 / (1 - rate)`, else zeroed; the mask comes from {@linkcode dropoutMask} with `seed`.
 * Differentiable (`dx = dy * mask`). Runs on every backend.
 *
 * @param x Any float32 tensor.
 * @param rate Probability of dropping an element, in `[0, 1)`; 0 returns `x` itself.
 * @param seed Integer seed of the mask.
 * @returns The tensor with dropout applied, the shape of `x`.
 * @throws {RangeError} When `rate` is out of range.
 *
 * @example Drop 10 % of the activations
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { dropout, initEngine, Rng } from "../mod.ts";
 *
 * await initEngine();
 * const rng = new Rng(1);
 * const x = tf.ones([2, 16, 16, 8]); // NHWC activations
 * const y = dropout(x, 0.1, rng.seed());
 * const kept = tf.mean(tf.cast(tf.notEqual(y, 0), "float32")).dataSync()[0]!;
 * assert.ok(Math.abs(kept - 0.9) < 0.03); // about 90 % kept ...
 * assert.ok(Math.abs(tf.max(y).dataSync()[0]! - 1 / 0.9) < 1e-6); // ... and scaled by 1 / 0.9
 * ```
 */
export function dropout<T extends AnyTensor>(x: T, rate: number, seed: number): T {
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`Cannot apply dropout: rate must be in [0, 1) (got ${rate})`);
  }
  if (rate === 0) return x;
  return tf.tidy(() => tf.mul(x, maskTensor(x.shape, rate, seed)) as T);
}

/** The wasm backend's tensor allocation, to draw the mask straight into its memory. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function maskTensor(shape: number[], rate: number, seed: number): tf.Tensor {
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  if (
    tf.getBackend() === "wasm" && typeof backend.makeOutput === "function" &&
    typeof backend.typedArrayFromHeap === "function"
  ) {
    // No JavaScript buffer and copy: the mask is drawn in place.
    const info = backend.makeOutput(shape.slice(), "float32");
    fillDropoutMask(backend.typedArrayFromHeap(info), rate, seed);
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  return tf.tensor(dropoutMask(tf.util.sizeFromShape(shape), rate, seed), shape);
}
