/**
 * `LeakyRelu` for the wasm backend through XNNPACK's PReLU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { runWasmKernel } from "./run_wasm_kernel.ts";

/** Widest channel axis given a per-channel slope; wider (or 1-D) data uses a 1-element slope. */
const MAX_SLOPE_CHANNELS = 4096;

/**
 * Slope tensors by backend and `alpha/channels`. They are kept for the backend's lifetime: the
 * wasm Prelu kernel caches its XNNPACK operator by slope tensor, and creating one per call
 * costs ~30x the PReLU itself.
 */
const slopes = new WeakMap<object, Map<string, tf.TensorInfo>>();

function slopeFor(backend: BackendWasm, alpha: number, channels: number): tf.TensorInfo {
  let cache = slopes.get(backend);
  if (cache === undefined) {
    cache = new Map();
    slopes.set(backend, cache);
  }
  const key = `${alpha}/${channels}`;
  let slope = cache.get(key);
  if (slope === undefined || !backend.dataIdMap.has(slope.dataId)) {
    slope = backend.makeOutput([channels], "float32");
    (backend.typedArrayFromHeap(slope) as Float32Array).fill(alpha);
    cache.set(key, slope);
  }
  return slope;
}

/**
 * Makes a `LeakyRelu` kernel record for the wasm backend that runs float32 data through the
 * backend's `Prelu` kernel (XNNPACK, vectorised) with a per-channel slope tensor filled with
 * `alpha`: ~10x the stock kernel, whose scalar branch mispredicts on mixed-sign activations.
 * Same values (`x` where `x > 0`, else `alpha * x`). The slope tensors (one per distinct
 * `alpha` and channel count, a few floats each) stay allocated on the backend so that its
 * XNNPACK operators are reused. Other dtypes go to `stock`.
 *
 * @param stock The kernel record registered on wasm before this one (tfjs's own).
 * @returns The record to register in place of `stock`.
 */
export function leakyReluConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function leakyRelu(
    args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  ): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x!;
    const { alpha } = args.attrs as unknown as { alpha: number };
    if (x.dtype !== "float32" || tf.util.sizeFromShape(x.shape) === 0) {
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    const last = x.shape.length >= 2 ? x.shape[x.shape.length - 1]! : 1;
    const channels = last <= MAX_SLOPE_CHANNELS ? last : 1;
    return runWasmKernel(backend, "Prelu", { x, alpha: slopeFor(backend, alpha, channels) });
  }
  return {
    kernelName: "LeakyRelu",
    backendName: "wasm",
    ...(stock.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: leakyRelu as unknown as tf.KernelFunc,
  };
}
