/**
 * Training kernels this project registers on the tfjs wasm backend.
 * (Being filled in: Conv2DBackpropFilter, fast Conv2DBackpropInput.)
 * @module
 */

/**
 * Registers the project's training kernels on the wasm backend (idempotent).
 * @returns The names of the kernels registered.
 */
export function registerWasmTrainingKernels(): string[] {
  return [];
}
