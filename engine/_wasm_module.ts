/**
 * Private access to the Emscripten module inside the tfjs wasm backend. Everything here relies
 * on internals of `@tensorflow/tfjs-backend-wasm` 4.22.0; callers check
 * {@linkcode wasmBackendVersionProblem} before relying on it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { version_wasm as installedWasmVersion } from "@tensorflow/tfjs-backend-wasm";

/** The tfjs-backend-wasm version whose internals this project reaches into. */
export const PINNED_WASM_VERSION = "4.22.0";

/** The part of a Node-style worker that the Emscripten pthread pool exposes. */
export interface PThreadWorker {
  /** Lets the process exit while this worker is alive (Node `Worker.unref`). */
  unref?: () => void;
}

/** The fields of the Emscripten module this project uses. */
export interface WasmModuleInternals {
  /** `malloc` as tfjs calls it for every tensor (`BackendWasm.move`). */
  _malloc: (bytes: number) => number;
  /** Raw wasm exports. */
  asm?: { malloc?: (bytes: number) => number; memory?: WebAssembly.Memory };
  /** The (shared) memory of the threaded build. */
  wasmMemory?: WebAssembly.Memory;
  /** Byte view of the heap (re-created by Emscripten when the heap grows). */
  HEAPU8?: Uint8Array;
  /** Worker pool of the threaded build. */
  PThread?: { runningWorkers: PThreadWorker[]; unusedWorkers: PThreadWorker[] };
}

/**
 * Why a tfjs-backend-wasm version cannot be used with these internals, or `null` if it can.
 * @param version Version to check; defaults to the installed one.
 */
export function wasmBackendVersionProblem(version: string = installedWasmVersion): string | null {
  return version === PINNED_WASM_VERSION ? null : (
    `they rely on internals of @tensorflow/tfjs-backend-wasm ${PINNED_WASM_VERSION} ` +
    `(got ${version})`
  );
}

/** Whether the wasm backend instance exists (started), without starting it. */
export function wasmBackendStarted(): boolean {
  // `tf.findBackend` would start a registered backend; the registry does not.
  return tf.engine().registry["wasm"] !== undefined;
}

/** The Emscripten module of the started wasm backend, or `null` before it starts. */
export function wasmModule(): WasmModuleInternals | null {
  const backend = tf.engine().registry["wasm"] as unknown as
    | { wasm?: WasmModuleInternals }
    | undefined;
  return backend?.wasm ?? null;
}

/** Current size of the module's wasm heap in bytes. */
export function heapBytesOf(module: WasmModuleInternals): number {
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (memory !== undefined) return memory.buffer.byteLength;
  return module.HEAPU8?.buffer.byteLength ?? 0;
}
