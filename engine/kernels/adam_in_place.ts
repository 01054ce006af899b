/**
 * One Adam update of every variable of an optimizer in a single kernel call on the wasm
 * backend: the moments are rewritten in place in the wasm heap and each new parameter is
 * written to one new buffer, instead of one dispatch (or about ten tensor ops, each with its
 * own allocation) and three `assign`s per variable.
 *
 * The parameters get new buffers rather than being overwritten because the wasm backend
 * caches XNNPACK operators with their weights packed, keyed by the weight tensor's buffer
 * (convolution filters and biases): an overwritten filter would leave its convolutions on
 * the old weights. The moments are only ever read by the optimizer.
 *
 * It reproduces, bit for bit, the update the wasm backend computed before it existed:
 *
 * - `"float32"`: the composite update of tensor ops (`Adam`'s generic path), op for op, each
 *   rounded to float32 as the wasm kernels round it;
 * - `"float64"`: the native provider's per-variable `GrnAdam` kernel, which evaluates the same
 *   rule in float64 and rounds once when it stores.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { WasmModuleInternals } from "../_wasm_module.ts";
import { adamSimd } from "./adam_simd.ts";

/**
 * Custom kernel: inputs `p0`, `m0`, `v0`, `g0`, `p1`, … (parameter, first moment, second
 * moment and gradient of each of `count` variables; float32, one shape per variable);
 * attributes {@linkcode AdamInPlaceAttrs}. It writes the new moments into the buffers of
 * `m*` and `v*` and returns the `count` new parameters.
 */
export const ADAM_IN_PLACE_KERNEL = "GrnAdamInPlace";

/**
 * How the update is rounded: `"float32"` rounds every operation to float32 (the composite
 * update of tensor ops), `"float64"` evaluates in float64 and rounds when it stores (the
 * native provider's `GrnAdam`).
 */
export type AdamRounding = "float32" | "float64";

/** Hyper-parameters of one update, as {@linkcode ADAM_IN_PLACE_KERNEL} takes them. */
export interface AdamInPlaceAttrs {
  /** Number of variables (inputs `p0` … `g{count-1}`). */
  count: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** `learningRate / (1 - beta1^step)`. */
  stepSize: number;
  /** `sqrt(1 - beta2^step)`. */
  sqrtBc2: number;
  /** See {@linkcode AdamRounding}. */
  rounding: AdamRounding;
}

const f = Math.fround;

/**
 * The composite update, op for op in float32, as `Adam` computes it with tensor ops:
 * `m' = m·β1 + g·(1-β1)`, `v' = v·β2 + g²·(1-β2)`,
 * `p' = p - (m' / (sqrt(v') / sqrtBc2 + ε)) · stepSize`, every scalar a float32 tensor.
 */
function updateFloat32(
  p: Float32Array,
  out: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  a: AdamInPlaceAttrs,
  from: number,
): void {
  const b1 = f(a.beta1), c1 = f(1 - a.beta1), b2 = f(a.beta2), c2 = f(1 - a.beta2);
  const s = f(a.sqrtBc2), eps = f(a.epsilon), lr = f(a.stepSize);
  for (let i = from; i < p.length; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * b1) + f(gi * c1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * c2));
    const denom = f(f(f(Math.sqrt(vi)) / s) + eps);
    m[i] = mi;
    v[i] = vi;
    out[i] = p[i]! - f(f(mi / denom) * lr);
  }
}

/** `GrnAdam`'s update (engine/native/adam.ts), expression for expression. */
function updateFloat64(
  p: Float32Array,
  out: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  a: AdamInPlaceAttrs,
  from: number,
): void {
  const { beta1, beta2, epsilon, stepSize } = a;
  const a1 = 1 - beta1, a2 = 1 - beta2, inv = 1 / a.sqrtBc2;
  for (let i = from; i < p.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + a1 * gi;
    const vi = beta2 * v[i]! + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    out[i] = p[i]! - stepSize * (mi / (Math.sqrt(vi) * inv + epsilon));
  }
}

/**
 * Whether {@linkcode ADAM_IN_PLACE_KERNEL} may overwrite `tensor`'s buffer: it is a float32
 * tensor of the wasm backend and no other tensor shares its data (tfjs shares buffers between
 * a variable and the tensor it was created from or assigned, reshapes, and copies kept for a
 * gradient tape; writing such a buffer would change those tensors too).
 *
 * @param tensor A moment variable.
 */
export function ownsWasmBuffer(tensor: tf.Tensor): boolean {
  if (tensor.dtype !== "float32" || tf.getBackend() !== "wasm") return false;
  const backend = tf.backend() as BackendWasm;
  return backend.dataIdMap.has(tensor.dataId) && backend.refCount(tensor.dataId) === 1;
}

function adamInPlaceKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const attrs = args.attrs as unknown as AdamInPlaceAttrs;
  const { count, rounding } = attrs;
  if (rounding !== "float32" && rounding !== "float64") {
    throw new Error(
      `Cannot apply the in-place Adam update: rounding must be float32 or float64 (got ${rounding})`,
    );
  }
  const groups: tf.TensorInfo[][] = [];
  for (let k = 0; k < count; k++) {
    const group = ["p", "m", "v", "g"].map((n) => args.inputs[`${n}${k}`]);
    const [p, m, v, g] = group;
    if (
      !p || !m || !v || !g ||
      !group.every((t) => t!.dtype === "float32" && tf.util.arraysEqual(t!.shape, p.shape))
    ) {
      throw new Error(
        `Cannot apply the in-place Adam update: variable ${k} needs float32 p, m, v and g of ` +
          `one shape (got ${group.map((t) => t ? `${t.dtype} [${t.shape}]` : "none").join(", ")})`,
      );
    }
    // Each overwritten buffer must belong to its tensor alone (and so differ from the others).
    for (const [name, t] of [["m", m], ["v", v]] as const) {
      if (backend.refCount(t.dataId) !== 1 || [p, g].some((u) => u.dataId === t.dataId)) {
        throw new Error(
          `Cannot apply the in-place Adam update: the buffer of ${name}${k} is shared with ` +
            `another tensor (got reference count ${backend.refCount(t.dataId)})`,
        );
      }
    }
    groups.push(group as tf.TensorInfo[]);
  }
  const outs = groups.map(([p]) => backend.makeOutput(p!.shape.slice(), "float32"));
  const update = rounding === "float32" ? updateFloat32 : updateFloat64;
  const wasm = backend.wasm as unknown as WasmModuleInternals;
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  const simd = memory ? adamSimd(memory) : null;
  const { beta1, beta2, epsilon, stepSize, sqrtBc2 } = attrs;
  // Views are taken after the allocations (which may have grown the heap); none follows.
  groups.forEach((group, k) => {
    const [p, m, v, g, out] = [...group, outs[k]!].map((t) =>
      backend.typedArrayFromHeap(t) as Float32Array
    ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    // SIMD over whole vectors (4 float32 or 2 float64 lanes), JavaScript for the rest: the
    // two round identically.
    let from = 0;
    if (simd !== null) {
      const a = [p, out, m, v, g].map((x) => x.byteOffset) as [
        number,
        number,
        number,
        number,
        number,
      ];
      if (rounding === "float32") {
        from = p.length & ~3;
        simd.f32(...a, from, beta1, 1 - beta1, beta2, 1 - beta2, sqrtBc2, epsilon, stepSize);
      } else {
        from = p.length & ~1;
        simd.f64(...a, from, beta1, 1 - beta1, beta2, 1 - beta2, 1 / sqrtBc2, epsilon, stepSize);
      }
    }
    update(p, out, m, v, g, attrs, from);
  });
  return outs;
}

/** Kernel record of {@linkcode ADAM_IN_PLACE_KERNEL} on the wasm backend. */
export const adamInPlaceKernelConfig: tf.KernelConfig = {
  kernelName: ADAM_IN_PLACE_KERNEL,
  backendName: "wasm",
  kernelFunc: adamInPlaceKernel as unknown as tf.KernelFunc,
};

/**
 * Updates every listed variable in one call of {@linkcode ADAM_IN_PLACE_KERNEL} (registered
 * on the wasm backend on first use). The caller checks {@linkcode ownsWasmBuffer} for every
 * `ms` and `vs` entry first.
 *
 * @param params Parameters (read only).
 * @param ms First moments, index-aligned, overwritten.
 * @param vs Second moments, index-aligned, overwritten.
 * @param grads Gradients, index-aligned (read only).
 * @param attrs Hyper-parameters of this step (`count` is filled in).
 * @returns The new parameters, index-aligned (the caller assigns and frees them).
 * @throws {Error} When the active backend is not wasm, the lists differ in length, or a buffer
 *   to overwrite is shared.
 */
export function adamUpdateInPlace(
  params: readonly tf.Tensor[],
  ms: readonly tf.Tensor[],
  vs: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  attrs: Omit<AdamInPlaceAttrs, "count">,
): tf.Tensor[] {
  if (tf.getBackend() !== "wasm") {
    throw new Error(
      `Cannot apply the in-place Adam update: it runs on the wasm backend (got ${tf.getBackend()})`,
    );
  }
  const n = params.length;
  if (ms.length !== n || vs.length !== n || grads.length !== n) {
    throw new Error(
      `Cannot apply the in-place Adam update: params, m, v and grads must be index-aligned ` +
        `(got ${n}, ${ms.length}, ${vs.length}, ${grads.length})`,
    );
  }
  if (n === 0) return [];
  if (tf.getKernel(ADAM_IN_PLACE_KERNEL, "wasm") === undefined) {
    tf.registerKernel(adamInPlaceKernelConfig);
  }
  const inputs: tf.NamedTensorMap = {};
  for (let k = 0; k < n; k++) {
    inputs[`p${k}`] = params[k]!;
    inputs[`m${k}`] = ms[k]!;
    inputs[`v${k}`] = vs[k]!;
    inputs[`g${k}`] = grads[k]!;
  }
  return tf.engine().runKernel(
    ADAM_IN_PLACE_KERNEL,
    inputs,
    { ...attrs, count: n } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
}
