/**
 * Calls another kernel registered on the wasm backend from inside a kernel.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Runs the kernel `name` currently registered on the wasm backend with the given inputs and
 * attributes, directly on `backend` (no engine bookkeeping, no tape). The caller owns the
 * returned `TensorInfo` and must either return it from its own kernel or free it with
 * `backend.disposeData(info.dataId)`.
 *
 * @param backend The wasm backend instance handed to the calling kernel.
 * @param name Kernel name, e.g. `"Conv2D"` or `"Transpose"`.
 * @param inputs Named kernel inputs.
 * @param attrs Kernel attributes.
 * @returns The kernel's single output.
 * @throws {Error} When no such kernel is registered on wasm, or it returns several outputs.
 */
export function runWasmKernel(
  backend: BackendWasm,
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel === undefined) {
    throw new Error(`Cannot run wasm kernel: no kernel named ${name} is registered (got none)`);
  }
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) {
    throw new Error(
      `Cannot run wasm kernel ${name}: expected one output (got ${out.length})`,
    );
  }
  return out;
}
