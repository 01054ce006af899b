/**
 * Starting tfjs-backend-webgpu on the adapter {@linkcode probeWebGPU} found, and what the engine
 * needs from the running backend: its device, its buffer pool, its device-memory errors.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { probeWebGPU, webgpuAdapter, type WebGPUAdapterReport } from "./adapter.ts";

/** The parts of tfjs-backend-webgpu 4.22.0's buffer pool the engine uses. */
export interface WebGPUBufferPool {
  /** Buffers freed by disposed tensors, kept for reuse, by size and usage. */
  freeBuffers: Map<string, GPUBuffer[]>;
  /** Number of pooled free buffers. */
  numFreeBuffers: number;
  /** Bytes of all buffers the pool has created and not destroyed. */
  numBytesAllocated: number;
  /** Bytes of buffers in use by tensors. */
  numBytesUsed: number;
  /** Hands out a buffer (pooled or new). */
  acquireBuffer(
    size: number,
    usage: number,
    mappedAtCreation?: boolean,
    reuse?: boolean,
  ): GPUBuffer;
}

/** The parts of tfjs-backend-webgpu 4.22.0's backend object the engine uses. */
export interface WebGPUBackendInternals {
  /** The device the backend runs on. */
  device: GPUDevice;
  /** Its buffer pool. */
  bufferManager: WebGPUBufferPool;
  /** Creates the command encoder when there is none. */
  ensureCommandEncoderReady(): void;
  /** Ends the open compute pass, if any. */
  endComputePassEncoder(): void;
  /** Submits the recorded commands and returns the buffers of disposed tensors to the pool. */
  submitQueue(): void;
}

/** Uniform values of a WebGPU program: a type and the numbers. */
export type ProgramUniforms = { type: "int32" | "float32" | "uint32"; data: number[] }[];

/**
 * How the engine's own code should classify a GPU error the device reported: tfjs never checks
 * them, so an out-of-memory on the device would otherwise leave invalid buffers behind and the
 * computation would go on with garbage.
 */
export interface DeviceErrorRecord {
  /** `"out-of-memory"`, `"validation"`, `"internal"` or `"device-lost"`. */
  kind: "out-of-memory" | "validation" | "internal" | "device-lost";
  /** The driver's message. */
  message: string;
}

let started: WebGPUAdapterReport | null = null;

let pendingError: DeviceErrorRecord | null = null;

function errorKind(error: GPUError): DeviceErrorRecord["kind"] {
  if (typeof GPUOutOfMemoryError === "function" && error instanceof GPUOutOfMemoryError) {
    return "out-of-memory";
  }
  if (typeof GPUValidationError === "function" && error instanceof GPUValidationError) {
    return "validation";
  }
  return "internal";
}

/** Classifies a `GPUError` (from an error scope or an `uncapturederror` event). */
export function deviceErrorRecord(error: GPUError): DeviceErrorRecord {
  return { kind: errorKind(error), message: error.message };
}

async function createBackend(): Promise<WebGPUBackend> {
  const adapter = await webgpuAdapter();
  if (adapter === null) {
    throw new Error("Cannot start the webgpu backend: no WebGPU adapter (got none)");
  }
  // The same device requirements as tfjs-backend-webgpu's own factory.
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  device.addEventListener("uncapturederror", (event) => {
    const record = deviceErrorRecord((event as GPUUncapturedErrorEvent).error);
    // An out-of-memory is kept over later errors: it is what the user must act on.
    if (pendingError === null || record.kind === "out-of-memory") pendingError = record;
  });
  device.lost.then((info) => {
    pendingError = { kind: "device-lost", message: info.message || String(info.reason) };
  });
  return new WebGPUBackend(device, adapter.info);
}

// tfjs-backend-webgpu registers a factory of its own with priority 3 (above wasm and cpu), so
// that merely importing it would make `tf.ready()` start the GPU. The engine's factory replaces
// it with the lowest priority: the webgpu backend starts only when asked for by name, on the
// adapter the engine probed.
if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu");
tf.registerBackend("webgpu", createBackend, 0);

/**
 * The running webgpu backend's internals.
 * @returns The backend, or `null` when the current backend is not webgpu.
 */
export function webgpuBackend(): WebGPUBackendInternals | null {
  if (tf.getBackend() !== "webgpu") return null;
  return tf.backend() as unknown as WebGPUBackendInternals;
}

/**
 * Takes the device error reported since the last call (an out-of-memory wins over others).
 * @returns The error, or `null`.
 */
export function takeDeviceError(): DeviceErrorRecord | null {
  const e = pendingError;
  if (e?.kind !== "device-lost") pendingError = null;
  return e;
}

/**
 * Starts the webgpu backend on the process's adapter (it must exist; software adapters are
 * accepted here, the `auto` policy is the caller's).
 *
 * @returns The adapter report.
 * @throws {Error} When there is no adapter or the backend does not start.
 */
export async function startWebGPUBackend(): Promise<WebGPUAdapterReport> {
  const report = started ?? await probeWebGPU();
  if (!report.found) {
    throw new Error(`Cannot start the webgpu backend: ${report.missing} (got no adapter)`);
  }
  if (tf.getBackend() !== "webgpu") {
    const ok = await tf.setBackend("webgpu");
    if (!ok) {
      throw new Error(
        `Cannot start the webgpu backend: tf.setBackend returned false (got adapter ${report.description})`,
      );
    }
    await tf.ready();
  }
  started = report;
  return report;
}
