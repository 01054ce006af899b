/**
 * Addresses of tensors in the wasm backend's heap, for native code that reads and writes them
 * in place. Relies on tfjs-backend-wasm 4.22.0 internals (`dataIdMap`, `memoryOffset`).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Absolute address of the start of the wasm heap. The heap's base address stays put when it
 * grows (the memory is reserved up front), but the `ArrayBuffer` is replaced, so take it again
 * after every allocation and before handing addresses to native code.
 *
 * @param backend The wasm backend.
 * @returns The address as a number (exact: user-space addresses are below 2^53).
 */
export function heapBase(backend: BackendWasm): number {
  const buffer = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
  if (buffer instanceof SharedArrayBuffer) {
    throw new Error(
      "Cannot address the wasm heap: it is shared memory of the threaded build (got a " +
        "SharedArrayBuffer); native kernels need the single-threaded wasm backend",
    );
  }
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(buffer))));
}

/**
 * Byte offset of a tensor's data inside the wasm heap.
 * @param backend The wasm backend.
 * @param info A tensor on that backend.
 */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) {
    throw new Error(
      `Cannot address a tensor in the wasm heap: it is not stored on the wasm backend (got shape [${info.shape}])`,
    );
  }
  return data.memoryOffset;
}

/**
 * Absolute addresses of tensors' data in the wasm heap, in order: what a native primitive
 * takes. Call it after every output is allocated (allocation can move the heap's buffer).
 *
 * @param backend The wasm backend.
 * @param tensors Tensors on that backend.
 */
export function heapAddresses(backend: BackendWasm, tensors: readonly tf.TensorInfo[]): number[] {
  const base = heapBase(backend);
  return tensors.map((t) => base + heapOffset(backend, t));
}
