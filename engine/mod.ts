/**
 * The tensor engine: backend choice, training kernels for wasm (and oneDNN where available),
 * wasm threads, the WebGPU backend (adapter probe, kernel fixes, device memory), the memory
 * guard, seeded randomness, Adam, checkpoints.
 * @module
 */
export * from "./adam.ts";
export * from "./atomic_write.ts";
export * from "./checkpoint.ts";
export {
  type BackendChoice,
  type BackendName,
  currentEngine,
  type EngineInfo,
  type EngineOptions,
  initEngine,
  type NativeChoice,
  type NativeInfo,
} from "./init_engine.ts";
export {
  WASM_HEAP_LIMIT_BYTES,
  wasmHeapBytes,
  withMemoryGuard,
  withMemoryGuardAsync,
} from "./memory.ts";
export * from "./memory_limit_error.ts";
export * from "./ops/mod.ts";
export * from "./rng.ts";
export * from "./stop_gradient.ts";
export * from "./tensor_types.ts";
export * from "./wasm_threads.ts";
export * from "./webgpu/adapter.ts";
export {
  releaseWebGPUBuffers,
  type WebGPUMemory,
  webgpuMemory,
  webgpuTensorLimitBytes,
} from "./webgpu/memory.ts";
