/**
 * The oneDNN runtime behind the native kernels: loads `libdnnl.so.2` through Deno FFI, checks
 * its version and ABI, owns the CPU engine and stream, and builds and runs primitives.
 *
 * Memory descriptors and operation descriptors are plain byte buffers laid out as in
 * `dnnl_types.h` of oneDNN 2.x; {@linkcode OneDnn.load} verifies those layouts against the
 * loaded library (field offsets written by the library, sentinels after each struct, round
 * trips through primitive-descriptor queries, one tiny execution) before anything else runs.
 *
 * The parts, by concern: `_onednn_load.ts` (loading and the version check), `_onednn_abi.ts` (the
 * ABI self-check), `_onednn_runtime.ts` (engine, stream, scratchpad, threads, descriptors) and
 * `_onednn_plan.ts` (plans run in place in the WebAssembly memory).
 * @module
 */
export { dims, OneDnnRuntime } from "./_onednn_runtime.ts";
export { Plan } from "./_onednn_plan.ts";
export {
  NativeUnavailableError,
  type NativeUnavailableReason,
  OneDnn,
  ONEDNN_LIBRARY_ENV,
  type OneDnnLoadOptions,
} from "./_onednn_load.ts";
