/**
 * `Concat` and `SplitV` as oneDNN reorders between dense tensors and strided views
 * (sub-memories) of the joined tensor: UNet skip connections concatenate channels in the
 * forward pass and split their gradient in the backward pass.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { dims, type OneDnn, Plan } from "./onednn.ts";
import { SIZE, TAG } from "./onednn_ffi.ts";
import { heapAddresses } from "./wasm_heap.ts";
import { ARG } from "./onednn_ffi.ts";

/** Shape of a part or of the whole as oneDNN sees it: `[outer, n]` or `[outer, n, inner]`. */
function viewShape(outer: number, n: number, inner: number): number[] {
  return inner === 1 ? [outer, n] : [outer, n, inner];
}

/**
 * A plan copying between the whole `[outer, total, inner]` and its parts `[outer, sizes[i],
 * inner]` along the middle axis. External memories: the whole, then the parts; `toParts`
 * chooses the direction (split) or the reverse (concat).
 */
function partsPlan(
  dnn: OneDnn,
  outer: number,
  sizes: readonly number[],
  inner: number,
  toParts: boolean,
): Plan {
  const total = sizes.reduce((a, b) => a + b, 0);
  const tag = inner === 1 ? TAG.ab : TAG.abc;
  const whole = dnn.memoryDesc(viewShape(outer, total, inner), tag);
  const plan = new Plan(dnn);
  const wholeMem = plan.external(whole);
  let offset = 0;
  for (const size of sizes) {
    const part = dnn.memoryDesc(viewShape(outer, size, inner), tag);
    const view = new Uint8Array(SIZE.memoryDesc);
    dnn.check(
      dnn.lib.dnnl_memory_desc_init_submemory(
        view,
        whole,
        dims(viewShape(outer, size, inner)),
        dims(inner === 1 ? [0, offset] : [0, offset, 0]),
      ),
      "describe a oneDNN sub-memory",
      `part ${size} at ${offset} of [${viewShape(outer, total, inner)}]`,
    );
    const partMem = plan.external(part);
    // The view shares the whole's buffer: its own memory object gets the same address.
    const viewMem = plan.aliasOf(wholeMem, view);
    if (toParts) plan.reorder(view, part, [[ARG.src, viewMem], [ARG.dst, partMem]]);
    else plan.reorder(part, view, [[ARG.src, partMem], [ARG.dst, viewMem]]);
    offset += size;
  }
  return plan;
}

function split3(shape: readonly number[], axis: number): [number, number] {
  return [
    tf.util.sizeFromShape(shape.slice(0, axis)),
    tf.util.sizeFromShape(shape.slice(axis + 1)),
  ];
}

/**
 * Kernel records for `Concat` and `SplitV` on the wasm backend (float32, non-empty parts;
 * other cases go to the displaced kernels).
 * @param ctx The native context.
 */
export function concatSplitKernelConfigs(ctx: NativeContext): tf.KernelConfig[] {
  const { dnn, plans } = ctx;

  function concat(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const parts = Object.values(args.inputs) as tf.TensorInfo[];
    const { axis: rawAxis } = args.attrs as unknown as { axis: number };
    const first = parts[0];
    if (
      first === undefined || parts.length < 2 ||
      parts.some((t) =>
        t.dtype !== "float32" || t.shape.length !== first.shape.length ||
        tf.util.sizeFromShape(t.shape) === 0
      )
    ) {
      return ctx.fallback("Concat", args);
    }
    const axis = tf.util.parseAxisParam(rawAxis, first.shape)[0]!;
    const sizes = parts.map((t) => t.shape[axis]!);
    const outShape = first.shape.slice();
    outShape[axis] = sizes.reduce((a, b) => a + b, 0);
    const [outer, inner] = split3(first.shape, axis);
    if (
      parts.some((t) => split3(t.shape, axis).join() !== `${outer},${inner}`)
    ) {
      return ctx.fallback("Concat", args);
    }
    const plan = plans.get(
      `concat:${outer},${inner}:${sizes}`,
      () => partsPlan(dnn, outer, sizes, inner, false),
      "serial",
    );
    const out = backend.makeOutput(outShape, "float32");
    plan.run(heapAddresses(backend, [out, ...parts]));
    return out;
  }

  function splitV(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x!;
    const { numOrSizeSplits, axis: rawAxis } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    if (x.dtype !== "float32" || tf.util.sizeFromShape(x.shape) === 0) {
      return ctx.fallback("SplitV", args);
    }
    const axis = tf.util.parseAxisParam(rawAxis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(
      x as unknown as tf.Tensor,
      numOrSizeSplits,
      axis,
    );
    if (sizes.some((s) => s === 0) || sizes.length < 2) return ctx.fallback("SplitV", args);
    const [outer, inner] = split3(x.shape, axis);
    const plan = plans.get(
      `split:${outer},${inner}:${sizes}`,
      () => partsPlan(dnn, outer, sizes, inner, true),
      "serial",
    );
    const outs = sizes.map((size) => {
      const shape = x.shape.slice();
      shape[axis] = size;
      return backend.makeOutput(shape, "float32");
    });
    plan.run(heapAddresses(backend, [x, ...outs]));
    return outs;
  }

  return [
    { kernelName: "Concat", backendName: "wasm", kernelFunc: concat as unknown as tf.KernelFunc },
    { kernelName: "SplitV", backendName: "wasm", kernelFunc: splitV as unknown as tf.KernelFunc },
  ];
}
