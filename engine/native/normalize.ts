/**
 * Batch and instance normalisation as oneDNN batch-normalization primitives (forward training
 * and backward), registered as two custom kernels on the wasm backend, and the op that uses
 * them from `normalizeTrain` when they are registered.
 *
 * Instance normalisation of NHWC data is batch normalisation of each sample on its own (batch
 * 1): the same primitive runs once per sample at the sample's offset, and the per-sample scale
 * and shift gradients are summed.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { type OneDnn, Plan } from "./onednn.ts";
import { ARG, NORM_FLAG, PROP, SIZE, TAG } from "./onednn_ffi.ts";
import { heapBase, heapOffset } from "./wasm_heap.ts";

/**
 * Custom kernel: inputs `x` (NHWC float32), `gamma`, `beta` (`[C]`); attributes `epsilon`,
 * `instance`; outputs `y` (shape of `x`), `mean` and biased `variance` (`[C]`, or `[N, C]` for
 * instance normalisation).
 */
export const NORMALIZE_KERNEL = "GrnNormalize";
/**
 * Custom kernel: inputs `dy`, `x`, `mean`, `variance`, `gamma`, `beta` (as saved by
 * {@linkcode NORMALIZE_KERNEL}); attributes `epsilon`, `instance`; outputs `dx`, `dgamma`,
 * `dbeta`.
 */
export const NORMALIZE_GRAD_KERNEL = "GrnNormalizeGrad";

const FLAGS = NORM_FLAG.useScale | NORM_FLAG.useShift;

interface NormAttrs {
  epsilon: number;
  instance: boolean;
}

function forwardOpDesc(dnn: OneDnn, data: Uint8Array, epsilon: number): Uint8Array {
  const op = new Uint8Array(SIZE.batchNormDesc);
  dnn.check(
    dnn.lib.dnnl_batch_normalization_forward_desc_init(
      op,
      PROP.forwardTraining,
      data,
      epsilon,
      FLAGS,
    ),
    "describe a oneDNN batch normalization",
    `epsilon ${epsilon}`,
  );
  return op;
}

/**
 * Forward plan on `[n, c, h, w]` (NHWC). External memories: `x, gamma, beta, y, mean,
 * variance`.
 */
function forwardPlan(dnn: OneDnn, shape: number[], epsilon: number): Plan {
  const data = dnn.memoryDesc(shape, TAG.nhwc);
  const vec = dnn.memoryDesc([shape[1]!], TAG.a);
  const what = `batch normalization forward [${shape}]`;
  const pd = dnn.primitiveDesc(forwardOpDesc(dnn, data, epsilon), null, what);
  try {
    const plan = new Plan(dnn);
    const x = plan.external(data);
    const gamma = plan.external(vec);
    const beta = plan.external(vec);
    const y = plan.external(data);
    const mean = plan.external(vec);
    const variance = plan.external(vec);
    plan.step(pd, what, [
      [ARG.src, x],
      [ARG.scale, gamma],
      [ARG.shift, beta],
      [ARG.dst, y],
      [ARG.mean, mean],
      [ARG.variance, variance],
    ]);
    return plan;
  } finally {
    dnn.lib.dnnl_primitive_desc_destroy(pd);
  }
}

/**
 * Backward plan on `[n, c, h, w]` (NHWC). External memories: `x, mean, variance, dy, gamma,
 * beta, dx, dgamma, dbeta` (oneDNN 2.x requires the shift as an argument of the backward pass
 * when the forward used one, although the gradient does not depend on it).
 */
function backwardPlan(dnn: OneDnn, shape: number[], epsilon: number): Plan {
  const data = dnn.memoryDesc(shape, TAG.nhwc);
  const vec = dnn.memoryDesc([shape[1]!], TAG.a);
  const what = `batch normalization backward [${shape}]`;
  const hint = dnn.primitiveDesc(forwardOpDesc(dnn, data, epsilon), null, what);
  let pd: Deno.PointerObject | null = null;
  try {
    const op = new Uint8Array(SIZE.batchNormDesc);
    dnn.check(
      dnn.lib.dnnl_batch_normalization_backward_desc_init(
        op,
        PROP.backward,
        data,
        data,
        epsilon,
        FLAGS,
      ),
      "describe a oneDNN batch normalization",
      what,
    );
    pd = dnn.primitiveDesc(op, hint, what);
    const plan = new Plan(dnn);
    const x = plan.external(data);
    const mean = plan.external(vec);
    const variance = plan.external(vec);
    const dy = plan.external(data);
    const gamma = plan.external(vec);
    const beta = plan.external(vec);
    const dx = plan.external(data);
    const dgamma = plan.external(vec);
    const dbeta = plan.external(vec);
    plan.step(pd, what, [
      [ARG.src, x],
      [ARG.mean, mean],
      [ARG.variance, variance],
      [ARG.diffDst, dy],
      [ARG.scale, gamma],
      [ARG.shift, beta],
      [ARG.diffSrc, dx],
      [ARG.diffScale, dgamma],
      [ARG.diffShift, dbeta],
    ]);
    return plan;
  } finally {
    if (pd !== null) dnn.lib.dnnl_primitive_desc_destroy(pd);
    dnn.lib.dnnl_primitive_desc_destroy(hint);
  }
}

/** `[n, c, h, w]` of the primitive (batch 1 for instance normalisation). */
function primitiveShape(x: tf.TensorInfo, instance: boolean): number[] {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return [instance ? 1 : n, c, h, w];
}

function handles(x: tf.TensorInfo, ...rest: tf.TensorInfo[]): boolean {
  return x.shape.length === 4 && x.shape.every((d) => d > 0) &&
    [x, ...rest].every((t) => t.dtype === "float32");
}

/**
 * Kernel records for {@linkcode NORMALIZE_KERNEL} and {@linkcode NORMALIZE_GRAD_KERNEL} on the
 * wasm backend.
 * @param ctx The native context.
 */
export function normalizeKernelConfigs(ctx: NativeContext): tf.KernelConfig[] {
  const { dnn, plans } = ctx;

  function forward(args: KernelArgs): tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
    const { epsilon, instance } = args.attrs as unknown as NormAttrs;
    if (!handles(x!, gamma!, beta!)) {
      throw new Error(
        `Cannot normalise on wasm with oneDNN: x must be a non-empty float32 NHWC tensor (got ${
          x!.dtype
        } [${x!.shape}])`,
      );
    }
    const shape = primitiveShape(x!, instance);
    const plan = plans.get(
      `bn-fwd:${shape}:${epsilon}`,
      () => forwardPlan(dnn, shape, epsilon),
      "serial",
    );
    const [n, , , c] = x!.shape as [number, number, number, number];
    const statShape = instance ? [n, c] : [c];
    const y = backend.makeOutput(x!.shape.slice(), "float32");
    const mean = backend.makeOutput(statShape, "float32");
    const variance = backend.makeOutput(statShape, "float32");
    const base = heapBase(backend);
    const at = (t: tf.TensorInfo) => base + heapOffset(backend, t);
    const samples = instance ? n : 1;
    const step = (x!.shape[1]! * x!.shape[2]! * c) * 4;
    for (let s = 0; s < samples; s++) {
      plan.run([
        at(x!) + s * step,
        at(gamma!),
        at(beta!),
        at(y) + s * step,
        at(mean) + s * c * 4,
        at(variance) + s * c * 4,
      ]);
    }
    return [y, mean, variance];
  }

  function backward(args: KernelArgs): tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { dy, x, mean, variance, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
    const { epsilon, instance } = args.attrs as unknown as NormAttrs;
    if (!handles(x!, dy!, mean!, variance!, gamma!, beta!)) {
      throw new Error(
        `Cannot back-propagate a normalisation on wasm with oneDNN: x must be a non-empty ` +
          `float32 NHWC tensor (got ${x!.dtype} [${x!.shape}])`,
      );
    }
    const shape = primitiveShape(x!, instance);
    const plan = plans.get(
      `bn-bwd:${shape}:${epsilon}`,
      () => backwardPlan(dnn, shape, epsilon),
      "serial",
    );
    const [n, , , c] = x!.shape as [number, number, number, number];
    const dx = backend.makeOutput(x!.shape.slice(), "float32");
    const dgamma = backend.makeOutput([c], "float32");
    const dbeta = backend.makeOutput([c], "float32");
    if (!instance) {
      const base = heapBase(backend);
      const at = (t: tf.TensorInfo) => base + heapOffset(backend, t);
      const all = [x!, mean!, variance!, dy!, gamma!, beta!, dx, dgamma, dbeta];
      plan.run(all.map(at));
      return [dx, dgamma, dbeta];
    }
    // Per-sample scale/shift gradients, summed below.
    const parts = backend.makeOutput([2, n, c], "float32");
    try {
      const base = heapBase(backend);
      const at = (t: tf.TensorInfo) => base + heapOffset(backend, t);
      const step = (x!.shape[1]! * x!.shape[2]! * c) * 4;
      for (let s = 0; s < n; s++) {
        plan.run([
          at(x!) + s * step,
          at(mean!) + s * c * 4,
          at(variance!) + s * c * 4,
          at(dy!) + s * step,
          at(gamma!),
          at(beta!),
          at(dx) + s * step,
          at(parts) + s * c * 4,
          at(parts) + (n + s) * c * 4,
        ]);
      }
      const p = backend.typedArrayFromHeap(parts) as Float32Array;
      const g = backend.typedArrayFromHeap(dgamma) as Float32Array;
      const b = backend.typedArrayFromHeap(dbeta) as Float32Array;
      for (let k = 0; k < c; k++) {
        let sg = 0, sb = 0;
        for (let s = 0; s < n; s++) {
          sg += p[s * c + k]!;
          sb += p[(n + s) * c + k]!;
        }
        g[k] = sg;
        b[k] = sb;
      }
    } finally {
      backend.disposeData(parts.dataId);
    }
    return [dx, dgamma, dbeta];
  }

  return [
    {
      kernelName: NORMALIZE_KERNEL,
      backendName: "wasm",
      kernelFunc: forward as unknown as tf.KernelFunc,
    },
    {
      kernelName: NORMALIZE_GRAD_KERNEL,
      backendName: "wasm",
      kernelFunc: backward as unknown as tf.KernelFunc,
    },
  ];
}

/** What {@linkcode fusedNormalizeTrain} returns (as `normalizeTrain`). */
export interface FusedNormalizeResult<T extends tf.Tensor> {
  y: T;
  mean: tf.Tensor;
  variance: tf.Tensor;
  count: number;
}

/**
 * `normalizeTrain` through the fused kernels, when they are registered on the active backend
 * and the case is batch (`axes [0, 1, 2]`) or instance (`axes [1, 2]`) normalisation of
 * float32 NHWC data; otherwise `null` (the caller takes the composite path). Same values and
 * gradients (x, gamma, beta) as the composite path; arguments are assumed validated.
 *
 * @param x Activations `[batch, height, width, channels]`.
 * @param gamma Scale `[channels]`.
 * @param beta Shift `[channels]`.
 * @param axes Normalisation axes.
 * @param epsilon Added to the variance.
 * @returns The result, or `null` when the fused kernels do not apply.
 */
export function fusedNormalizeTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  axes: readonly number[],
  epsilon: number,
): FusedNormalizeResult<T> | null {
  const backendName = tf.getBackend();
  if (
    tf.getKernel(NORMALIZE_KERNEL, backendName) === undefined ||
    tf.getKernel(NORMALIZE_GRAD_KERNEL, backendName) === undefined ||
    x.rank !== 4 || x.dtype !== "float32" || x.size === 0
  ) {
    return null;
  }
  const key = axes.join(",");
  if (key !== "0,1,2" && key !== "1,2") return null;
  const instance = key === "1,2";
  const attrs = { epsilon, instance } as unknown as tf.NamedAttrMap;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  let stats: [tf.Tensor, tf.Tensor] | null = null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance] = tf.engine().runKernel(
      NORMALIZE_KERNEL,
      { x: xIn, gamma: g, beta: b },
      attrs,
    ) as tf.Tensor[];
    // The statistics also leave as extra outputs (released by the caller's reshape below), so
    // the backward pass keeps clones of its own.
    save([xIn, tf.clone(mean!), tf.clone(variance!), g, b]);
    stats = [tf.keep(mean!), tf.keep(variance!)];
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, smean, svariance, sgamma, sbeta] = saved;
        return tf.engine().runKernel(
          NORMALIZE_GRAD_KERNEL,
          { dy, x: sx!, mean: smean!, variance: svariance!, gamma: sgamma!, beta: sbeta! },
          attrs,
        ) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta) as T;
  const [mean, variance] = stats as unknown as [tf.Tensor, tf.Tensor];
  const statShape = instance ? [n, c] : [c];
  const result = {
    y,
    mean: tf.reshape(mean, statShape),
    variance: tf.reshape(variance, statShape),
    count: instance ? h * w : n * h * w,
  };
  mean.dispose();
  variance.dispose();
  return result;
}
