/**
 * `Concat` for the wasm backend, fast for channel-axis concatenation.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { copyBlock } from "./copy_block.ts";

/**
 * Makes a `Concat` kernel record for the wasm backend. Numeric data is interleaved in one pass,
 * copying short runs (e.g. the channel blocks of a UNet skip connection, concatenated on the
 * last axis) element by element; the stock kernel issues one `subarray` + `set` per run, ~3x
 * slower for 16-channel blocks. Strings, and concatenations with a single non-empty input, go
 * to `stock`.
 *
 * @param stock The kernel record registered on wasm before this one (tfjs's own).
 * @returns The record to register in place of `stock`.
 */
export function concatConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function concat(
    args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  ): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const first = inputs[0]!;
    const { axis: axisAttr } = args.attrs as unknown as { axis: number | number[] };
    const axis = tf.util.parseAxisParam(axisAttr, first.shape)[0]!;
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (first.dtype === "string" || first.dtype === "complex64" || parts.length < 2) {
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const out = backend.makeOutput(outShape, first.dtype);
    const outer = tf.util.sizeFromShape(first.shape.slice(0, axis));
    const inner = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const total = inner.reduce((a, b) => a + b, 0);
    // Views are taken after the allocation, which may have grown the heap.
    const dst = backend.typedArrayFromHeap(out);
    const srcs = parts.map((t) => backend.typedArrayFromHeap(t));
    for (let b = 0; b < outer; b++) {
      let d = b * total;
      for (let i = 0; i < parts.length; i++) {
        const n = inner[i]!;
        copyBlock(dst, d, srcs[i]!, b * n, n);
        d += n;
      }
    }
    return out;
  }
  return {
    kernelName: "Concat",
    backendName: "wasm",
    ...(stock.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: concat as unknown as tf.KernelFunc,
  };
}
