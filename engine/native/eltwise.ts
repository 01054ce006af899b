/**
 * Activations as oneDNN eltwise primitives: `LeakyRelu`, `Relu` and `Tanh` forward kernels on
 * the wasm backend, and one custom gradient kernel used by replacement gradients of the three.
 * Element-wise ops do not depend on the layout, so every tensor is treated as one flat vector.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { type OneDnn, Plan } from "./onednn.ts";
import { ALG, ARG, PROP, SIZE, TAG } from "./onednn_ffi.ts";
import { heapAddresses } from "./wasm_heap.ts";

/**
 * Custom kernel: inputs `dy` and `data` (`x` for `relu`, the forward output `y` for `tanh`);
 * attributes `alg` (`"relu"` or `"tanh"`) and `alpha` (negative slope of `relu`); output `dx`.
 */
export const ELTWISE_GRAD_KERNEL = "GrnEltwiseGrad";

/** The activations served natively. */
export type EltwiseAlg = "relu" | "tanh";

function algOf(alg: EltwiseAlg, backward: boolean): number {
  if (alg === "relu") return ALG.eltwiseRelu;
  return backward ? ALG.eltwiseTanhUseDst : ALG.eltwiseTanh;
}

function forwardDesc(dnn: OneDnn, alg: number, md: Uint8Array, alpha: number): Uint8Array {
  const op = new Uint8Array(SIZE.eltwiseDesc);
  dnn.check(
    dnn.lib.dnnl_eltwise_forward_desc_init(op, PROP.forwardTraining, alg, md, alpha, 0),
    "describe a oneDNN eltwise operation",
    `alg ${alg}, alpha ${alpha}`,
  );
  return op;
}

/** Forward plan on `size` elements. External memories: `x, y`. */
function forwardPlan(dnn: OneDnn, alg: EltwiseAlg, alpha: number, size: number): Plan {
  const md = dnn.memoryDesc([size], TAG.a);
  const what = `eltwise ${alg} forward (${size})`;
  const pd = dnn.primitiveDesc(forwardDesc(dnn, algOf(alg, false), md, alpha), null, what);
  try {
    const plan = new Plan(dnn);
    const x = plan.external(md);
    const y = plan.external(md);
    plan.step(pd, what, [[ARG.src, x], [ARG.dst, y]]);
    return plan;
  } finally {
    dnn.lib.dnnl_primitive_desc_destroy(pd);
  }
}

/** Backward plan on `size` elements. External memories: `data, dy, dx`. */
function backwardPlan(dnn: OneDnn, alg: EltwiseAlg, alpha: number, size: number): Plan {
  const md = dnn.memoryDesc([size], TAG.a);
  const kind = algOf(alg, true);
  const what = `eltwise ${alg} backward (${size})`;
  const hint = dnn.primitiveDesc(forwardDesc(dnn, kind, md, alpha), null, what);
  let pd: Deno.PointerObject | null = null;
  try {
    const op = new Uint8Array(SIZE.eltwiseDesc);
    dnn.check(
      dnn.lib.dnnl_eltwise_backward_desc_init(op, kind, md, md, alpha, 0),
      "describe a oneDNN eltwise operation",
      what,
    );
    pd = dnn.primitiveDesc(op, hint, what);
    const plan = new Plan(dnn);
    const data = plan.external(md);
    const dy = plan.external(md);
    const dx = plan.external(md);
    plan.step(pd, what, [
      [alg === "tanh" ? ARG.dst : ARG.src, data],
      [ARG.diffDst, dy],
      [ARG.diffSrc, dx],
    ]);
    return plan;
  } finally {
    if (pd !== null) dnn.lib.dnnl_primitive_desc_destroy(pd);
    dnn.lib.dnnl_primitive_desc_destroy(hint);
  }
}

function runUnary(
  backend: BackendWasm,
  plan: Plan,
  inputs: tf.TensorInfo[],
  shape: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(shape.slice(), "float32");
  plan.run(heapAddresses(backend, [...inputs, out]));
  return out;
}

/**
 * Kernel records on the wasm backend: `LeakyRelu`, `Relu`, `Tanh` (float32; other dtypes go
 * to the displaced kernels) and {@linkcode ELTWISE_GRAD_KERNEL}.
 * @param ctx The native context.
 */
export function eltwiseKernelConfigs(ctx: NativeContext): tf.KernelConfig[] {
  const { dnn, plans } = ctx;
  const forward =
    (name: string, alg: EltwiseAlg, alphaOf: (args: KernelArgs) => number) =>
    (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
      const x = args.inputs.x!;
      const size = tf.util.sizeFromShape(x.shape);
      if (x.dtype !== "float32" || size === 0) return ctx.fallback(name, args);
      const alpha = alphaOf(args);
      const plan = plans.get(
        `elt-fwd:${alg}:${alpha}:${size}`,
        () => forwardPlan(dnn, alg, alpha, size),
        "serial",
      );
      return runUnary(args.backend as BackendWasm, plan, [x], x.shape);
    };

  function gradient(args: KernelArgs): tf.TensorInfo {
    const { dy, data } = args.inputs as { dy: tf.TensorInfo; data: tf.TensorInfo };
    const { alg, alpha } = args.attrs as unknown as { alg: EltwiseAlg; alpha: number };
    const size = tf.util.sizeFromShape(data.shape);
    if (
      dy.dtype !== "float32" || data.dtype !== "float32" ||
      !tf.util.arraysEqual(dy.shape, data.shape) || (alg !== "relu" && alg !== "tanh")
    ) {
      throw new Error(
        `Cannot compute an activation gradient with oneDNN: dy and data must be float32 of ` +
          `one shape and alg relu or tanh (got ${dy.dtype} [${dy.shape}], ${data.dtype} ` +
          `[${data.shape}], alg ${JSON.stringify(alg)})`,
      );
    }
    if (size === 0) return (args.backend as BackendWasm).makeOutput(data.shape.slice(), "float32");
    const plan = plans.get(
      `elt-bwd:${alg}:${alpha}:${size}`,
      () => backwardPlan(dnn, alg, alpha, size),
      "serial",
    );
    return runUnary(args.backend as BackendWasm, plan, [data, dy], data.shape);
  }

  const alphaAttr = (args: KernelArgs) => (args.attrs as unknown as { alpha: number }).alpha;
  return [
    {
      kernelName: "LeakyRelu",
      backendName: "wasm",
      kernelFunc: forward("LeakyRelu", "relu", alphaAttr) as unknown as tf.KernelFunc,
    },
    {
      kernelName: "Relu",
      backendName: "wasm",
      kernelFunc: forward("Relu", "relu", () => 0) as unknown as tf.KernelFunc,
    },
    {
      kernelName: "Tanh",
      backendName: "wasm",
      kernelFunc: forward("Tanh", "tanh", () => 0) as unknown as tf.KernelFunc,
    },
    {
      kernelName: ELTWISE_GRAD_KERNEL,
      backendName: "wasm",
      kernelFunc: gradient as unknown as tf.KernelFunc,
    },
  ];
}

/**
 * Gradient records for `LeakyRelu`, `Relu` and `Tanh` that run {@linkcode ELTWISE_GRAD_KERNEL}
 * (one pass) when it is registered on the active backend and the data is float32, and
 * otherwise the gradient they replace (same saved tensors, same values).
 *
 * @param previous The gradient record registered before, by kernel name.
 * @returns The replacement records.
 */
export function eltwiseGradConfigs(
  previous: (name: string) => tf.GradConfig | undefined,
): tf.GradConfig[] {
  const make = (
    kernelName: string,
    alg: EltwiseAlg,
    save: Pick<tf.GradConfig, "inputsToSave" | "outputsToSave">,
  ): tf.GradConfig => {
    const before = previous(kernelName);
    if (before === undefined) {
      throw new Error(
        `Cannot register the native ${kernelName} gradient: tfjs registered none to fall back ` +
          `on (got none)`,
      );
    }
    return {
      kernelName,
      ...save,
      gradFunc: (dy, saved, attrs) => {
        const [data] = saved as [tf.Tensor];
        const native = tf.getKernel(ELTWISE_GRAD_KERNEL, tf.getBackend()) !== undefined &&
          data.dtype === "float32" && !Array.isArray(dy) && dy.dtype === "float32";
        if (!native) return before.gradFunc(dy, saved, attrs);
        const alpha = alg === "relu" ? ((attrs as { alpha?: number } | undefined)?.alpha ?? 0) : 0;
        return {
          x: () =>
            tf.engine().runKernel(ELTWISE_GRAD_KERNEL, { dy: dy as tf.Tensor, data }, {
              alg,
              alpha,
            }) as tf.Tensor,
        };
      },
    };
  };
  return [
    make("LeakyRelu", "relu", { inputsToSave: ["x"] }),
    make("Relu", "relu", { inputsToSave: ["x"] }),
    make("Tanh", "tanh", { outputsToSave: [true] }),
  ];
}
