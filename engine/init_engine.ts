import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { guardWasmAllocations } from "./memory.ts";
import {
  applyNative,
  chooseNative,
  type NativeChoice,
  type NativeInfo,
} from "./native/provider.ts";
import { registerWasmTrainingKernels } from "./_wasm_kernels.ts";
import { configureWasmThreads, wasmThreadsActive } from "./wasm_threads.ts";
import { describeAdapter, probeWebGPU, type WebGPUAdapterReport } from "./webgpu/adapter.ts";
import { startWebGPUBackend } from "./webgpu/backend.ts";
import { guardWebGPUAllocations } from "./webgpu/memory.ts";
import { registerWebGPUTrainingKernels } from "./webgpu/register.ts";
import { leakyReluGradConfig } from "./kernels/leaky_relu_grad.ts";

export type { NativeChoice, NativeInfo } from "./native/provider.ts";
export type { WebGPUAdapterReport, WebGPUKeyLimits } from "./webgpu/adapter.ts";

/** Backend names accepted by {@linkcode initEngine}. */
export type BackendChoice = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

/** The backend actually running after {@linkcode initEngine}. */
export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

/** Options of {@linkcode initEngine}. */
export interface EngineOptions {
  /**
   * Which tensor backend to use. `auto` prefers `tensorflow` with tfjs-node-gpu, then `webgpu`
   * on a hardware GPU (never on a software adapter such as Mesa's lavapipe), then `tensorflow`
   * with tfjs-node (tfjs-node packages are loaded only when the user's project maps them), then
   * `wasm`, then `cpu`. `webgpu` starts tfjs-backend-webgpu on whatever adapter there is, a
   * software one included (slow, for tests); training on it reads values asynchronously
   * (`GRN.stepAsync`, which `fit` uses), since Deno has no synchronous GPU read-back.
   * @default {"auto"}
   */
  backend?: BackendChoice;
  /**
   * Number of threads (wasm backend only). Without the native provider: WebAssembly worker
   * threads (`1` runs single-threaded; fixed once the wasm backend has started, a later call
   * with another count is an error). With it: oneDNN's OpenMP threads, while wasm stays
   * single-threaded so that the two pools never compete for the cores.
   * @default {1}
   */
  threads?: number;
  /**
   * Native kernels on the wasm backend: `auto` uses oneDNN (`libdnnl.so.2`, oneDNN 2.x) when it
   * loads, which needs `--allow-ffi`, and otherwise keeps the wasm kernels and says why;
   * `onednn` requires it (an error when it cannot load); `off` never loads it.
   * @default {"auto"}
   */
  native?: NativeChoice;
  /**
   * Where the one-line notice about the chosen backend goes. Pass `() => {}` to silence it.
   * @default {writes to stderr}
   */
  log?: (message: string) => void;
}

/** What {@linkcode initEngine} resolved to. */
export interface EngineInfo {
  /** Backend in use. */
  backend: BackendName;
  /** Worker threads in use by the backend (1 = single-threaded). */
  threads: number;
  /** The npm package that provides the `tensorflow` backend, when it is in use. */
  tensorflowPackage?: string;
  /** Why the preferred backends were not chosen (empty when the first choice was taken). */
  skipped: string[];
  /** Training kernels this project registered on the backend. */
  kernels: string[];
  /** The native kernel provider in use (wasm backend only), or `null`. */
  native: NativeInfo | null;
  /**
   * The WebGPU adapter, when it was looked for (`backend: "auto"` or `"webgpu"`), else `null`:
   * identity, key limits and whether it is software.
   */
  webgpu: WebGPUAdapterReport | null;
}

/** Install advice shown when `backend: "tensorflow"` is asked for but cannot load. */
export const TENSORFLOW_INSTALL_HINT: string =
  "add it to your deno.json imports (`deno add npm:@tensorflow/tfjs-node@4.22.0`, or " +
  "`npm:@tensorflow/tfjs-node-gpu@4.22.0` with CUDA 11.2 + cuDNN 8.1), let its install script " +
  "fetch libtensorflow 2.9.1 (`deno install --allow-scripts=npm:@tensorflow/tfjs-node`), and " +
  "run with --allow-ffi; see README section 'Native TensorFlow (tfjs-node)'";

const TENSORFLOW_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

let current: EngineInfo | null = null;
let announced = "";

function stderrLog(message: string): void {
  const bytes = new TextEncoder().encode(message + "\n");
  Deno.stderr.writeSync(bytes);
}

async function tryTensorflow(): Promise<{ pkg: string } | { error: string }> {
  const errors: string[] = [];
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      // A non-literal specifier keeps the package out of the module graph: it is loaded only
      // when the user's own import map provides it.
      const specifier: string = pkg;
      await import(specifier);
      if (tf.findBackend("tensorflow") !== null) return { pkg };
      errors.push(`${pkg} loaded but registered no 'tensorflow' backend`);
    } catch (error) {
      const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      errors.push(`${pkg}: ${message}`);
    }
  }
  return { error: errors.join("; ") };
}

async function activate(name: BackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`Cannot start the ${name} backend: tf.setBackend returned false`);
  await tf.ready();
  // tfjs-backend-cpu greets Node users on its first write; the engine notice replaces it.
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (name === "cpu" && backend.firstUse === true) backend.firstUse = false;
}

/**
 * Chooses and starts the tensor backend, registers the project's training kernels on it, and
 * says once on stderr what it chose and why.
 *
 * Call it once at the start of a program (the CLI, benchmarks and tests do). Calling it again
 * with compatible options returns the current engine.
 *
 * @param options Backend and threads; see {@linkcode EngineOptions}.
 * @returns The backend and thread count in use.
 * @throws {Error} When `backend: "tensorflow"` is requested but tfjs-node cannot load (the
 *   message says how to install it), or when `threads` conflicts with a running wasm backend.
 *
 * @example Start the default engine
 * ```ts
 * import assert from "node:assert/strict";
 * import { initEngine } from "./mod.ts";
 *
 * const engine = await initEngine({ backend: "auto" });
 * assert.ok(["tensorflow", "webgpu", "wasm", "cpu"].includes(engine.backend)); // "wasm" here
 * assert.equal((await initEngine()).backend, engine.backend); // again: the running engine
 * ```
 */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const { backend = "auto", threads = 1, log = stderrLog, native = "auto" } = options;
  if (!BACKEND_CHOICES.includes(backend)) {
    throw new RangeError(
      `Cannot start engine: backend must be one of ${BACKEND_CHOICES.join(", ")} (got ${
        JSON.stringify(backend)
      })`,
    );
  }
  if (!["auto", "onednn", "off"].includes(native)) {
    throw new RangeError(
      `Cannot start engine: native must be one of auto, onednn, off (got ${
        JSON.stringify(native)
      })`,
    );
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new RangeError(
      `Cannot start engine: threads must be an integer from 1 to 64 (got ${threads})`,
    );
  }

  const skipped: string[] = [];
  let chosen: BackendName;
  let tensorflowPackage: string | undefined;
  let webgpu: WebGPUAdapterReport | null = null;

  if (backend === "tensorflow" || backend === "auto") {
    const result = await tryTensorflow();
    if ("pkg" in result) {
      chosen = "tensorflow";
      tensorflowPackage = result.pkg;
    } else if (backend === "tensorflow") {
      throw new Error(
        `Cannot start the tensorflow backend: tfjs-node is not available (${result.error}). ` +
          `To use it, ${TENSORFLOW_INSTALL_HINT}`,
      );
    } else {
      skipped.push(`tensorflow: not installed (${TENSORFLOW_PACKAGES.join(", ")} not mapped)`);
      chosen = "wasm";
    }
    if (backend === "auto" && tensorflowPackage !== "@tensorflow/tfjs-node-gpu") {
      // A hardware GPU beats tfjs-node on the CPU; a software adapter beats nothing.
      webgpu = await probeWebGPU();
      if (webgpu.found && !webgpu.software) {
        if (tensorflowPackage) skipped.push(`tensorflow (${tensorflowPackage}): a GPU was found`);
        chosen = "webgpu";
        tensorflowPackage = undefined;
      } else {
        skipped.push(
          `webgpu: ${
            webgpu.found ? `${describeAdapter(webgpu)}, not used by auto` : describeAdapter(webgpu)
          }`,
        );
      }
    }
  } else {
    chosen = backend;
  }

  let kernels: string[] = [];
  let activeThreads = 1;
  let nativeInfo: NativeInfo | null = null;
  if (chosen === "webgpu") {
    try {
      webgpu = await startWebGPUBackend();
    } catch (error) {
      if (backend === "webgpu") throw error;
      // auto on a GPU that would not start: the wasm engine instead.
      skipped.push(`webgpu: ${error instanceof Error ? error.message : String(error)}`);
      chosen = "wasm";
    }
  }
  if (chosen === "webgpu") {
    // The cheaper LeakyRelu gradient the wasm engine uses (backend independent, same values),
    // so that both engines run the same graph.
    if (tf.getGradient("LeakyRelu")?.gradFunc !== leakyReluGradConfig.gradFunc) {
      tf.registerGradient(leakyReluGradConfig);
    }
    kernels = [...registerWebGPUTrainingKernels(), "LeakyRelu (gradient)"];
    guardWebGPUAllocations();
    if (threads > 1) skipped.push("webgpu: threads apply to wasm only, ignored");
  }

  if (chosen === "wasm") {
    const decision = chooseNative(native, wasmThreadsActive());
    if (decision.skipped) skipped.push(decision.skipped);
    try {
      activeThreads = await configureWasmThreads(decision.dnn ? 1 : threads);
      kernels = registerWasmTrainingKernels();
      nativeInfo = applyNative(decision.dnn, threads);
      if (nativeInfo) kernels.push(...nativeInfo.kernels.map((k) => `${k} (oneDNN)`));
      await activate("wasm");
      guardWasmAllocations();
    } catch (error) {
      nativeInfo = applyNative(null, 1);
      if (backend === "wasm") throw error;
      const message = error instanceof Error ? error.message : String(error);
      skipped.push(`wasm: ${message}`);
      chosen = "cpu";
    }
  }
  if (chosen === "cpu") {
    await activate("cpu");
    if (threads > 1) skipped.push("cpu: runs single-threaded, threads ignored");
  }
  if (chosen === "tensorflow") {
    await activate("tensorflow");
    activeThreads = threads;
  }
  current = {
    backend: chosen,
    threads: nativeInfo
      ? nativeInfo.threads
      : chosen === "wasm"
      ? (wasmThreadsActive() ? activeThreads : 1)
      : activeThreads,
    ...(tensorflowPackage ? { tensorflowPackage } : {}),
    skipped,
    kernels,
    native: nativeInfo,
    webgpu,
  };
  const notice = `grn engine: ${chosen}` +
    (tensorflowPackage ? ` (${tensorflowPackage})` : "") +
    (chosen === "webgpu" && webgpu ? ` (${describeAdapter(webgpu)})` : "") +
    (nativeInfo ? ` + oneDNN ${nativeInfo.version}` : "") +
    `, ${current.threads} thread${current.threads === 1 ? "" : "s"}` +
    (skipped.length > 0 ? `; skipped ${skipped.join("; ")}` : "");
  if (notice !== announced) {
    announced = notice;
    log(notice);
  }
  return { ...current, skipped: [...skipped], kernels: [...kernels] };
}

/** The engine started by {@linkcode initEngine}, or `null` before the first call. */
export function currentEngine(): EngineInfo | null {
  return current
    ? { ...current, skipped: [...current.skipped], kernels: [...current.kernels] }
    : null;
}
