/**
 * Zero-copy `Identity` for the wasm backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

function identityWasm(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown },
): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x!;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Kernel record: `Identity` on the wasm backend that shares the input's buffer (reference
 * count +1, like the wasm `Reshape` and the cpu backend's `Identity`) instead of copying it.
 *
 * tfjs clones, through `Identity`, every tensor it keeps for the backward pass; the stock wasm
 * kernel copies each one, which doubles the activation memory of a training step and costs
 * a full pass over every saved activation. Tensor data is immutable, so sharing is safe.
 */
export const identityConfig: tf.KernelConfig = {
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: identityWasm as unknown as tf.KernelFunc,
};
