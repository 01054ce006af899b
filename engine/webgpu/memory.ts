/**
 * Device memory on the webgpu backend: a clear error instead of silently invalid buffers, and
 * a way to give pooled buffers back.
 *
 * What tfjs-backend-webgpu 4.22.0 does by itself: a buffer larger than the device can bind, or
 * one the device has no memory for, comes back from `createBuffer` as an invalid buffer and
 * the error goes to the device's error handler, unchecked; the kernels then read and write
 * nothing and the step goes on with zeros or garbage. Freed buffers are kept in a pool for
 * reuse and never destroyed, so device memory only grows. {@linkcode guardWebGPUAllocations}
 * checks every buffer request against the device's limits before it is made;
 * `withMemoryGuardAsync` (engine/memory.ts) also catches out-of-memory errors the device
 * reports; {@linkcode releaseWebGPUBuffers} destroys the pooled buffers.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MemoryLimitError } from "../memory_limit_error.ts";
import { webgpuBackend } from "./backend.ts";

const GUARDED = Symbol.for("grn.webgpuAllocationGuard");

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** The largest buffer the running device takes for a tensor, in bytes, or `null` off webgpu. */
export function webgpuTensorLimitBytes(): number | null {
  const backend = webgpuBackend();
  if (backend === null) return null;
  const l = backend.device.limits;
  return Math.min(l.maxBufferSize, l.maxStorageBufferBindingSize);
}

/**
 * Makes every buffer request of the webgpu backend check its size against the device's limits
 * (`maxBufferSize`, `maxStorageBufferBindingSize`): a tensor that cannot fit throws a
 * {@linkcode MemoryLimitError} before the request, instead of becoming an invalid buffer.
 * Idempotent.
 *
 * @returns Whether the guard is in place (`false` when the backend is not webgpu).
 */
export function guardWebGPUAllocations(): boolean {
  const backend = webgpuBackend();
  if (backend === null) return false;
  const pool = backend.bufferManager as typeof backend.bufferManager & { [GUARDED]?: true };
  if (pool[GUARDED]) return true;
  const acquire = pool.acquireBuffer.bind(pool);
  const limit = webgpuTensorLimitBytes()!;
  pool.acquireBuffer = (size, usage, mappedAtCreation, reuse) => {
    if (size > limit) {
      throw new MemoryLimitError(
        `Cannot allocate ${megabytes(size)} for a tensor: one buffer on this WebGPU device ` +
          `may hold at most ${megabytes(limit)} (got a request for ${megabytes(size)} with ` +
          `${megabytes(pool.numBytesUsed)} in use). Use a smaller batch size or image size; ` +
          "the backend is still usable",
        {
          requestedBytes: size,
          heapBytes: null,
          tensorBytes: tf.memory().numBytes,
          limitBytes: limit,
          backendUsable: true,
        },
      );
    }
    return acquire(size, usage, mappedAtCreation, reuse);
  };
  pool[GUARDED] = true;
  return true;
}

/** Device memory of the webgpu backend, in bytes. */
export interface WebGPUMemory {
  /** Bytes in buffers that hold live tensors. */
  usedBytes: number;
  /** Bytes in all buffers the backend has created and not destroyed (used + pooled). */
  allocatedBytes: number;
  /** Number of freed buffers kept for reuse. */
  pooledBuffers: number;
}

/**
 * Device memory of the running webgpu backend.
 * @returns The byte counts, or `null` when the backend is not webgpu.
 */
export function webgpuMemory(): WebGPUMemory | null {
  const backend = webgpuBackend();
  if (backend === null) return null;
  const pool = backend.bufferManager;
  return {
    usedBytes: pool.numBytesUsed,
    allocatedBytes: pool.numBytesAllocated,
    pooledBuffers: pool.numFreeBuffers,
  };
}

/**
 * Destroys the buffers tfjs keeps for reuse after their tensors were disposed, so that device
 * memory falls back to what live tensors hold (WebGPU memory does not shrink by itself). The
 * next steps allocate again, so call it between phases (after training, after a validation
 * pass with other batch sizes), not between steps.
 *
 * @returns Bytes released (0 off webgpu).
 *
 * @example Give back what a computation left in the pool
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { releaseWebGPUBuffers } from "./memory.ts";
 *
 * tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
 * const freed = releaseWebGPUBuffers(); // > 0 on webgpu, 0 on other backends
 * console.log(`released ${freed} bytes`);
 * ```
 */
export function releaseWebGPUBuffers(): number {
  const backend = webgpuBackend();
  if (backend === null) return 0;
  // Recorded commands may still use buffers of disposed tensors: submit them first, which also
  // moves those buffers into the pool.
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  const pool = backend.bufferManager;
  let freed = 0;
  for (const buffers of pool.freeBuffers.values()) {
    for (const buffer of buffers.splice(0)) {
      freed += buffer.size;
      buffer.destroy();
    }
  }
  pool.numFreeBuffers = 0;
  pool.numBytesAllocated -= freed;
  return freed;
}
