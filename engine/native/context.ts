/**
 * What every native kernel gets: the oneDNN runtime, the plan cache, and the kernels it
 * displaced (to fall back on for cases it does not handle).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { OneDnn } from "./onednn.ts";
import type { PlanCache } from "./plan_cache.ts";

/** Arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** Shared state of the native kernels. */
export interface NativeContext {
  /** The loaded library. */
  readonly dnn: OneDnn;
  /** Plans by geometry. */
  readonly plans: PlanCache;
  /**
   * Runs the kernel this provider displaced for `name` (the wasm one), for inputs the native
   * kernel does not handle.
   * @throws {Error} When there was none.
   */
  fallback(name: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[];
}
