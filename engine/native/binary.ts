/**
 * `Add`, `Sub` and `Multiply` of float32 tensors as oneDNN binary primitives when one operand is
 * broadcast over rows of the other (bias-like `[C]` or per-sample `[N, 1, 1, C]` onto
 * `[N, H, W, C]`), where the stock wasm kernels take a slower broadcasting path.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { type OneDnn, Plan } from "./onednn.ts";
import { ALG, ARG, PLAIN_TAGS, SIZE } from "./onednn_ffi.ts";
import { heapAddresses } from "./wasm_heap.ts";

type BinaryName = "Add" | "Sub" | "Multiply";

const ALGS: Record<BinaryName, number> = {
  Add: ALG.binaryAdd,
  Sub: ALG.binarySub,
  Multiply: ALG.binaryMul,
};

/** Plan `dst = src0 op src1` (src1 broadcast). External memories: `src0, src1, dst`. */
function binaryPlan(dnn: OneDnn, name: BinaryName, shape: number[], other: number[]): Plan {
  const tag = PLAIN_TAGS[shape.length - 1]!;
  const src0 = dnn.memoryDesc(shape, tag);
  const src1 = dnn.memoryDesc(other, tag);
  const what = `binary ${name} [${shape}] with [${other}]`;
  const op = new Uint8Array(SIZE.binaryDesc);
  dnn.check(
    dnn.lib.dnnl_binary_desc_init(op, ALGS[name], src0, src1, src0),
    "describe a oneDNN binary operation",
    what,
  );
  const pd = dnn.primitiveDesc(op, null, what);
  try {
    const plan = new Plan(dnn);
    const a = plan.external(src0);
    const b = plan.external(src1);
    const y = plan.external(src0);
    plan.step(pd, what, [[ARG.src, a], [ARG.src1, b], [ARG.dst, y]]);
    return plan;
  } finally {
    dnn.lib.dnnl_primitive_desc_destroy(pd);
  }
}

/** `shape` left-padded with ones to `rank` dimensions. */
function padTo(shape: readonly number[], rank: number): number[] {
  return [...new Array(rank - shape.length).fill(1), ...shape];
}

/**
 * Whether `other` broadcasts onto `full` (same rank after padding, each dimension equal or 1).
 */
function broadcastsOnto(full: readonly number[], other: readonly number[]): boolean {
  return other.length <= full.length &&
    padTo(other, full.length).every((d, i) => d === full[i] || d === 1);
}

/**
 * Kernel records for `Add`, `Sub` and `Multiply` on the wasm backend. Float32 operands where one
 * has the output's shape and the other broadcasts onto it over whole rows (same innermost
 * size; for `Sub` the second operand) run on oneDNN; everything else (same shapes, innermost
 * broadcasting, other dtypes, two-sided broadcasting, scalars, more than 6 dimensions, empty
 * tensors) goes to the displaced kernels.
 * @param ctx The native context.
 */
export function binaryKernelConfigs(ctx: NativeContext): tf.KernelConfig[] {
  const { dnn, plans } = ctx;
  const make = (name: BinaryName): tf.KernelConfig => {
    function binary(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
      const backend = args.backend as BackendWasm;
      let { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (
        a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length === 0 ||
        a.shape.length > 6 || b.shape.length > 6 || tf.util.sizeFromShape(a.shape) === 0 ||
        tf.util.sizeFromShape(b.shape) === 0
      ) {
        return ctx.fallback(name, args);
      }
      if (!broadcastsOnto(a.shape, b.shape)) {
        // Commutative ops may swap so that the full-shape operand comes first.
        if (name === "Sub" || !broadcastsOnto(b.shape, a.shape)) return ctx.fallback(name, args);
        [a, b] = [b, a];
      }
      const shape = a.shape.slice();
      const other = padTo(b.shape, shape.length);
      // Measured against the wasm kernels: same-shape operands run as fast there (XNNPACK),
      // and oneDNN 2.6 is ~30x slower when the innermost dimension is broadcast; it wins for
      // broadcasts of whole rows (bias-like `[1, 1, 1, C]`, per-sample `[N, 1, 1, C]`).
      if (
        other.every((d, i) => d === shape[i]) ||
        other[other.length - 1] !== shape[shape.length - 1]
      ) {
        return ctx.fallback(name, args);
      }
      const plan = plans.get(
        `${name}:${shape}:${other}`,
        () => binaryPlan(dnn, name, shape, other),
        "serial",
      );
      const out = backend.makeOutput(shape, "float32");
      plan.run(heapAddresses(backend, [a, b, out]));
      return out;
    }
    return {
      kernelName: name,
      backendName: "wasm",
      kernelFunc: binary as unknown as tf.KernelFunc,
    };
  };
  return [make("Add"), make("Sub"), make("Multiply")];
}
