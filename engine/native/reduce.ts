/**
 * `Sum` and `Mean` over one contiguous block of axes for the wasm backend (the per-channel bias
 * gradients of every convolution are sums over `[batch, height, width]`).
 *
 * oneDNN 2.6's reduction primitive has only a reference implementation for these shapes (~50x
 * slower than a single-threaded JavaScript loop), so the reduction is a matrix product with a
 * constant row instead: viewing the input as `[outer, count, inner]`, each output row is
 * `ones[1, count] x x[o] (count x inner)` (or `1/count` for the mean), which runs on oneDNN's
 * JIT matmul kernels.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { type OneDnn, Plan } from "./onednn.ts";
import { ARG, SIZE, TAG } from "./onednn_ffi.ts";
import { heapAddresses } from "./wasm_heap.ts";

/** Plan reducing `[outer, count, inner]` over the middle axis. External: `x, y`. */
function reducePlan(
  dnn: OneDnn,
  mean: boolean,
  outer: number,
  count: number,
  inner: number,
): Plan {
  const what = `${mean ? "mean" : "sum"} over [${outer}, ${count}, ${inner}]`;
  const row = dnn.memoryDesc([1, 1, count], TAG.abc);
  const x = dnn.memoryDesc([outer, count, inner], TAG.abc);
  const y = dnn.memoryDesc([outer, 1, inner], TAG.abc);
  const op = new Uint8Array(SIZE.matmulDesc);
  dnn.check(
    dnn.lib.dnnl_matmul_desc_init(op, row, x, null, y),
    "describe a oneDNN matmul",
    what,
  );
  const pd = dnn.primitiveDesc(op, null, what);
  try {
    const plan = new Plan(dnn);
    const xMem = plan.external(x);
    const yMem = plan.external(y);
    const rowMem = plan.constant(row, mean ? 1 / count : 1);
    plan.step(pd, what, [[ARG.src, rowMem], [ARG.weights, xMem], [
      ARG.dst,
      yMem,
    ]]);
    return plan;
  } finally {
    dnn.lib.dnnl_primitive_desc_destroy(pd);
  }
}

/**
 * Kernel records for `Sum` and `Mean` on the wasm backend: float32 reductions over one
 * contiguous block of axes that is not innermost run on oneDNN; other cases (other dtypes,
 * scattered or innermost axes, empty tensors) go to the displaced kernels.
 * @param ctx The native context.
 */
export function reduceKernelConfigs(ctx: NativeContext): tf.KernelConfig[] {
  const { dnn, plans } = ctx;
  const make = (name: "Sum" | "Mean"): tf.KernelConfig => {
    const mean = name === "Mean";
    function reduce(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
      const backend = args.backend as BackendWasm;
      const x = args.inputs.x!;
      const { axis, keepDims } = args.attrs as unknown as {
        axis: number | number[];
        keepDims: boolean;
      };
      const axes = tf.util.parseAxisParam(axis, x.shape).slice().sort((a, b) => a - b);
      const first = axes[0] ?? 0;
      const last = axes[axes.length - 1] ?? -1;
      const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
      if (
        x.dtype !== "float32" || axes.length === 0 || tf.util.sizeFromShape(x.shape) === 0 ||
        inner === 1 || !axes.every((a, i) => a === first + i)
      ) {
        return ctx.fallback(name, args);
      }
      const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
      const count = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
      const outShape = keepDims
        ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
        : x.shape.filter((_, i) => i < first || i > last);
      const plan = plans.get(
        `${name}:${outer},${count},${inner}`,
        () => reducePlan(dnn, mean, outer, count, inner),
        "serial",
      );
      const out = backend.makeOutput(outShape, "float32");
      plan.run(heapAddresses(backend, [x, out]));
      return out;
    }
    return {
      kernelName: name,
      backendName: "wasm",
      kernelFunc: reduce as unknown as tf.KernelFunc,
    };
  };
  return [make("Sum"), make("Mean")];
}
