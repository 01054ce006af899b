/**
 * `SplitV` for the wasm backend, fast for channel-axis splits (the gradient of `Concat`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { copyBlock } from "./copy_block.ts";

/**
 * Makes a `SplitV` kernel record for the wasm backend. Numeric data is split in one pass,
 * copying short runs element by element; the stock kernel slices each output separately with
 * one `subarray` + `set` per run, ~3x slower for the 16-channel halves of a UNet skip
 * connection's gradient. Strings go to `stock`.
 *
 * @param stock The kernel record registered on wasm before this one (tfjs's own).
 * @returns The record to register in place of `stock`.
 */
export function splitVConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function splitV(
    args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  ): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x!;
    const { numOrSizeSplits, axis: axisAttr } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    if (x.dtype === "string" || x.dtype === "complex64") {
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    const axis = tf.util.parseAxisParam(axisAttr, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, axis);
    const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const after = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const total = x.shape[axis]! * after;
    const outs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[axis] = s;
      return backend.makeOutput(shape, x.dtype);
    });
    // Views are taken after the allocations, which may have grown the heap.
    const src = backend.typedArrayFromHeap(x);
    const dsts = outs.map((t) => backend.typedArrayFromHeap(t));
    for (let b = 0; b < outer; b++) {
      let s = b * total;
      for (let i = 0; i < outs.length; i++) {
        const n = sizes[i]! * after;
        copyBlock(dsts[i]!, b * n, src, s, n);
        s += n;
      }
    }
    return outs;
  }
  return {
    kernelName: "SplitV",
    backendName: "wasm",
    ...(stock.setupFunc ? { setupFunc: stock.setupFunc } : {}),
    kernelFunc: splitV as unknown as tf.KernelFunc,
  };
}
