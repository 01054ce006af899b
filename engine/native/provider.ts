/**
 * The native kernel provider: loads oneDNN once and registers (or removes) its kernels on the
 * tfjs wasm backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { adamKernelConfig } from "./adam.ts";
import { binaryKernelConfigs } from "./binary.ts";
import { concatSplitKernelConfigs } from "./concat_split.ts";
import type { KernelArgs, NativeContext } from "./context.ts";
import { convKernelConfigs } from "./conv2d.ts";
import { eltwiseGradConfigs, eltwiseKernelConfigs } from "./eltwise.ts";
import { maxPoolGradKernelConfig } from "./max_pool_grad.ts";
import { normalizeKernelConfigs } from "./normalize.ts";
import { reduceKernelConfigs } from "./reduce.ts";
import { NativeUnavailableError, OneDnn } from "./onednn.ts";
import { PlanCache } from "./plan_cache.ts";

let loaded: OneDnn | null = null;
let loadFailure: NativeUnavailableError | null = null;
let context: NativeContext | null = null;

/** Kernel records this provider displaced, by kernel name (`undefined`: there was none). */
const displaced = new Map<string, tf.KernelConfig | undefined>();
/** Kernel functions registered by this provider. */
const ours = new WeakSet<tf.KernelFunc>();
/** Gradient records this provider displaced, by kernel name. */
const displacedGrads = new Map<string, tf.GradConfig>();
/** Gradient functions registered by this provider. */
const ourGrads = new WeakSet<tf.GradFunc>();

/**
 * Loads oneDNN once per process (later calls return the same instance or rethrow the same
 * failure).
 * @returns The loaded library.
 * @throws {NativeUnavailableError} When it cannot be used; see {@linkcode OneDnn.load}.
 */
export function loadOneDnn(): OneDnn {
  if (loaded !== null) return loaded;
  if (loadFailure !== null) throw loadFailure;
  try {
    loaded = OneDnn.load();
    return loaded;
  } catch (error) {
    loadFailure = error instanceof NativeUnavailableError ? error : new NativeUnavailableError(
      "abi",
      "oneDNN failed to start",
      `Cannot load oneDNN: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
    throw loadFailure;
  }
}

function fallback(name: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const previous = displaced.get(name);
  if (previous === undefined) {
    throw new Error(
      `Cannot run ${name} on wasm: the native kernel does not handle these inputs and no ` +
        `other ${name} kernel was registered (got shapes ${
          Object.values(args.inputs).map((t) => `[${t?.shape}]`).join(", ")
        })`,
    );
  }
  return previous.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
}

/** The shared native context (created on first use). */
export function nativeContext(dnn: OneDnn): NativeContext {
  if (context === null || context.dnn !== dnn) {
    context = { dnn, plans: new PlanCache(dnn), fallback };
  }
  return context;
}

/**
 * Registers the oneDNN-backed kernels on the wasm backend in place of the current ones, which
 * are kept to fall back on (and to restore with {@linkcode uninstallNativeKernels}), and the
 * activation gradients that use the native gradient kernel. Idempotent: records already
 * registered by this provider stay.
 *
 * @param dnn The loaded library.
 * @returns The names of the kernels now served natively.
 */
export function installNativeKernels(dnn: OneDnn): string[] {
  const ctx = nativeContext(dnn);
  const configs = [
    ...convKernelConfigs(ctx),
    ...normalizeKernelConfigs(ctx),
    ...eltwiseKernelConfigs(ctx),
    maxPoolGradKernelConfig(ctx),
    ...reduceKernelConfigs(ctx),
    ...concatSplitKernelConfigs(ctx),
    ...binaryKernelConfigs(ctx),
    adamKernelConfig,
  ];
  const names: string[] = [];
  for (const config of configs) {
    const name = config.kernelName;
    const existing = tf.getKernel(name, "wasm");
    if (existing === undefined || !ours.has(existing.kernelFunc)) {
      displaced.set(name, existing);
      if (existing !== undefined) tf.unregisterKernel(name, "wasm");
      const record: tf.KernelConfig = existing?.setupFunc
        ? { ...config, setupFunc: existing.setupFunc }
        : config;
      tf.registerKernel(record);
      ours.add(record.kernelFunc);
    }
    names.push(name);
  }
  const grads = eltwiseGradConfigs((name) => {
    const current = tf.getGradient(name);
    return current !== undefined && ourGrads.has(current.gradFunc)
      ? displacedGrads.get(name)
      : current;
  });
  for (const grad of grads) {
    const current = tf.getGradient(grad.kernelName);
    if (current === undefined || !ourGrads.has(current.gradFunc)) {
      if (current !== undefined) displacedGrads.set(grad.kernelName, current);
      tf.registerGradient(grad);
      ourGrads.add(grad.gradFunc);
    }
    names.push(`${grad.kernelName} (gradient)`);
  }
  return names;
}

/**
 * Puts back the kernels and gradients {@linkcode installNativeKernels} displaced. Records that
 * something else has replaced since are left alone.
 */
export function uninstallNativeKernels(): void {
  for (const [name, previous] of displaced) {
    const existing = tf.getKernel(name, "wasm");
    if (existing === undefined || !ours.has(existing.kernelFunc)) continue;
    tf.unregisterKernel(name, "wasm");
    if (previous !== undefined) tf.registerKernel(previous);
  }
  displaced.clear();
  for (const [name, previous] of displacedGrads) {
    const current = tf.getGradient(name);
    if (current !== undefined && ourGrads.has(current.gradFunc)) tf.registerGradient(previous);
  }
  displacedGrads.clear();
}

/** Names of the kernels currently served by this provider on the wasm backend. */
export function nativeKernelNames(): string[] {
  return [...displaced.keys()].filter((name) => {
    const existing = tf.getKernel(name, "wasm");
    return existing !== undefined && ours.has(existing.kernelFunc);
  });
}

/** Values of the `native` option of `initEngine`. */
export type NativeChoice = "auto" | "onednn" | "off";

/** The native provider in use, as reported by `initEngine`. */
export interface NativeInfo {
  /** Which library serves the native kernels. */
  library: "onednn";
  /** Its version, e.g. `"2.6.3"`. */
  version: string;
  /** OpenMP threads it runs with. */
  threads: number;
  /** Kernels it serves on the wasm backend. */
  kernels: string[];
}

/** What {@linkcode chooseNative} decided. */
export interface NativeDecision {
  /** The library to use, or `null` for the wasm kernels only. */
  dnn: OneDnn | null;
  /** Why the native provider is not used (for the engine notice), when it was wanted. */
  skipped?: string;
}

/**
 * Decides whether the native provider can run, before the wasm backend starts.
 *
 * @param mode `auto` uses oneDNN when it loads and otherwise says why not; `onednn` requires
 *   it; `off` never loads it.
 * @param wasmThreaded Whether the wasm backend already runs with worker threads (its shared
 *   heap cannot be handed to native code, and both thread pools would compete for the cores).
 * @returns The library to use, or why not.
 * @throws {Error} When `mode` is `onednn` and oneDNN cannot be used.
 */
export function chooseNative(mode: NativeChoice, wasmThreaded: boolean): NativeDecision {
  if (mode === "off") return { dnn: null };
  let summary: string;
  let message: string;
  if (wasmThreaded) {
    summary = "the wasm backend already runs with worker threads (restart the process)";
    message = "Cannot use oneDNN: the wasm backend already runs with worker threads in this " +
      "process, and native kernels need its single-threaded heap (got wasm threads active); " +
      "restart the process and start the engine with native enabled first";
  } else {
    try {
      return { dnn: loadOneDnn() };
    } catch (error) {
      if (!(error instanceof NativeUnavailableError)) throw error;
      summary = error.summary;
      message = error.message;
    }
  }
  if (mode === "onednn") throw new Error(message);
  return { dnn: null, skipped: `native: ${summary}` };
}

/**
 * Installs the native kernels and sets oneDNN's OpenMP threads (when `dnn` is given), or
 * removes them (when it is `null`).
 *
 * @param dnn The library chosen by {@linkcode chooseNative}, or `null`.
 * @param threads OpenMP threads for oneDNN; the wasm backend must run single-threaded.
 * @returns What is in use, or `null` when the native provider is off.
 */
export function applyNative(dnn: OneDnn | null, threads: number): NativeInfo | null {
  if (dnn === null) {
    uninstallNativeKernels();
    return null;
  }
  const kernels = installNativeKernels(dnn);
  const { major, minor, patch } = dnn.version;
  const before = dnn.threads();
  const now = dnn.setThreads(threads);
  // Parallel plans split their work for the thread count they were built with.
  if (now !== before) nativeContext(dnn).plans.clear();
  return { library: "onednn", version: `${major}.${minor}.${patch}`, threads: now, kernels };
}
