/**
 * `Sum` and `Mean` for the wasm backend with a fast path for reductions over outer axes.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Makes a `Sum` or `Mean` kernel record for the wasm backend. When the reduced axes form one
 * contiguous block that is not innermost (e.g. `[0, 1, 2]` or `[1, 2]` of NHWC data: the
 * per-channel statistics of batch and instance normalisation, and every bias gradient) and the
 * data is float32, it reduces in one pass over the heap with float64 accumulators. The stock
 * wasm kernels transpose the reduced axes innermost first, a full extra copy. Every other case
 * (innermost axes, non-contiguous axes, other dtypes, empty tensors) goes to `stock`, whose
 * setup function the record carries so that it still runs when the backend starts.
 *
 * @param kernelName `"Sum"` or `"Mean"`.
 * @param stock The kernel record registered on wasm before this one (tfjs's own).
 * @returns The record to register in place of `stock`.
 */
export function contiguousReduceConfig(
  kernelName: "Sum" | "Mean",
  stock: tf.KernelConfig,
): tf.KernelConfig {
  const isMean = kernelName === "Mean";
  function reduce(
    args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  ): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as unknown as {
      axis: number | number[];
      keepDims: boolean;
    };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).slice().sort((a, b) => a - b);
    const first = axes[0] ?? 0;
    const last = axes[axes.length - 1] ?? -1;
    const contiguous = axes.length > 0 && axes.every((a, i) => a === first + i);
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    const size = tf.util.sizeFromShape(x.shape);
    if (x.dtype !== "float32" || !contiguous || last === rank - 1 || inner <= 1 || size === 0) {
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
    const count = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const outShape = keepDims
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : x.shape.filter((_, i) => i < first || i > last);
    const out = backend.makeOutput(outShape, "float32");
    // Views are taken after the allocation, which may have grown the heap.
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(inner);
    const scale = isMean ? 1 / count : 1;
    let s = 0;
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      for (let r = 0; r < count; r++) {
        for (let i = 0; i < inner; i++) acc[i] = acc[i]! + src[s++]!;
      }
      const base = o * inner;
      for (let i = 0; i < inner; i++) dst[base + i] = acc[i]! * scale;
    }
    return out;
  }
  return {
    kernelName,
    backendName: "wasm",
    ...(stock.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: reduce as unknown as tf.KernelFunc,
  };
}
