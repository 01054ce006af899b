/**
 * A fused Adam update for the wasm backend: one pass over parameter, moments and gradient in
 * the wasm heap instead of about ten tensor ops (each a full pass with its own allocation).
 * oneDNN has no optimizer primitive; this kernel is plain JavaScript, registered by the native
 * provider because it measured faster than the composite update.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs } from "./context.ts";

/**
 * Custom kernel: inputs `param`, `m`, `v`, `grad` (float32, one shape); attributes `beta1`,
 * `beta2`, `epsilon`, `stepSize` (`lr / (1 - beta1^t)`) and `sqrtBc2` (`sqrt(1 - beta2^t)`);
 * outputs the new `param`, `m`, `v`.
 */
export const ADAM_KERNEL = "GrnAdam";

/** Hyper-parameters of one update, as {@linkcode ADAM_KERNEL} takes them. */
export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** `learningRate / (1 - beta1^step)`. */
  stepSize: number;
  /** `sqrt(1 - beta2^step)`. */
  sqrtBc2: number;
}

function adam(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { param, m, v, grad } = args.inputs as Record<string, tf.TensorInfo>;
  const { beta1, beta2, epsilon, stepSize, sqrtBc2 } = args.attrs as unknown as AdamStepAttrs;
  const all = [param!, m!, v!, grad!];
  if (
    !all.every((t) => t.dtype === "float32" && tf.util.arraysEqual(t.shape, param!.shape))
  ) {
    throw new Error(
      `Cannot apply the fused Adam update: param, m, v and grad must be float32 of one shape ` +
        `(got ${all.map((t) => `${t.dtype} [${t.shape}]`).join(", ")})`,
    );
  }
  const shape = param!.shape.slice();
  const pOut = backend.makeOutput(shape, "float32");
  const mOut = backend.makeOutput(shape, "float32");
  const vOut = backend.makeOutput(shape, "float32");
  // Views are taken after the allocations, which may have grown the heap.
  const [p, m0, v0, g, p1, m1, v1] = [...all, pOut, mOut, vOut].map((t) =>
    backend.typedArrayFromHeap(t) as Float32Array
  ) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const a1 = 1 - beta1, a2 = 1 - beta2, inv = 1 / sqrtBc2;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m0[i]! + a1 * gi;
    const vi = beta2 * v0[i]! + a2 * gi * gi;
    m1[i] = mi;
    v1[i] = vi;
    p1[i] = p[i]! - stepSize * (mi / (Math.sqrt(vi) * inv + epsilon));
  }
  return [pOut, mOut, vOut];
}

/** Kernel record of {@linkcode ADAM_KERNEL} on the wasm backend. */
export const adamKernelConfig: tf.KernelConfig = {
  kernelName: ADAM_KERNEL,
  backendName: "wasm",
  kernelFunc: adam as unknown as tf.KernelFunc,
};

/**
 * One Adam update through {@linkcode ADAM_KERNEL} when it is registered on the active backend
 * and the tensors are float32; otherwise `null` (the caller takes the composite path).
 *
 * @param param Parameter.
 * @param m First moment.
 * @param v Second moment.
 * @param grad Gradient.
 * @param attrs Hyper-parameters of this step.
 * @returns New parameter, first and second moments, or `null`.
 */
export function fusedAdamStep(
  param: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  grad: tf.Tensor,
  attrs: AdamStepAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (
    tf.getKernel(ADAM_KERNEL, tf.getBackend()) === undefined ||
    [param, m, v, grad].some((t) => t.dtype !== "float32")
  ) {
    return null;
  }
  return tf.engine().runKernel(
    ADAM_KERNEL,
    { param, m, v, grad },
    attrs as unknown as tf.NamedAttrMap,
  ) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
