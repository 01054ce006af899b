/**
 * WebAssembly threads for the tfjs wasm backend under Deno.
 *
 * tfjs-backend-wasm turns threads off whenever it believes it runs in Node, and Deno looks like
 * Node to it. Three things make the threaded-SIMD build work here: the pthread workers load
 * this project's worker script (`./_wasm_pthread_worker.ts`) instead of tfjs's `blob:` URL,
 * the `WASM_HAS_MULTITHREAD_SUPPORT` flag is forced on, and while the backend starts,
 * `os.cpus()` reports two logical cores per requested thread (the C++ side caps its pool at
 * half the logical cores). This reaches into tfjs-backend-wasm internals, so it is pinned to
 * version 4.22.0 and opt-in: one thread keeps the plain single-threaded SIMD build.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import { wasmBackendStarted, wasmBackendVersionProblem, wasmModule } from "./_wasm_module.ts";
import { PTHREAD_WORKER_SOURCE } from "./_wasm_pthread_worker.ts";

/**
 * Most threads the wasm backend can use: the threaded build pre-creates 8 workers and its
 * thread pool never grows beyond them.
 */
export const MAX_WASM_THREADS = 8;

/** Options of {@linkcode configureWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * How long to wait for the worker threads to load before giving up, in milliseconds.
   * @default {60000}
   */
  timeoutMs?: number;
}

/** Thread count the wasm backend started with, once it started through this module. */
let started: number | null = null;
/** A start in progress (a second caller waits for it). */
let starting: Promise<number> | null = null;

function logicalCores(): number {
  const count = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(count) && count > 0 ? count : 1;
}

function runningThreads(): number {
  if (started !== null) return started;
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}

function sharedMemoryProblem(): string | null {
  if (typeof SharedArrayBuffer !== "function") {
    return "this runtime has no SharedArrayBuffer (got typeof SharedArrayBuffer === " +
      `${JSON.stringify(typeof SharedArrayBuffer)})`;
  }
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      return "shared WebAssembly memory is not backed by a SharedArrayBuffer " +
        `(got ${Object.prototype.toString.call(memory.buffer)})`;
    }
  } catch (error) {
    return `this runtime cannot create shared WebAssembly memory (got ${
      error instanceof Error ? error.message : String(error)
    })`;
  }
  return null;
}

function fakeCpus(count: number): os.CpuInfo[] {
  const times = { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
  return Array.from({ length: count }, () => ({ model: "grn", speed: 0, times: { ...times } }));
}

async function startThreaded(threads: number, timeoutMs: number): Promise<number> {
  const factory = tf.engine().findBackendFactory("wasm");
  if (factory === null) {
    throw new Error(
      "Cannot start wasm threads: no 'wasm' backend is registered (got none); import " +
        "@tensorflow/tfjs-backend-wasm first",
    );
  }
  const workerUrl = new URL(`data:text/javascript;base64,${btoa(PTHREAD_WORKER_SOURCE)}`);
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  // tfjs hands Emscripten a blob: URL for the pthread worker script; hand it ours instead.
  URL.createObjectURL = (object: Parameters<typeof createObjectURL>[0]): string =>
    object instanceof Blob && object.type === "application/javascript"
      ? workerUrl as unknown as string
      : createObjectURL.call(URL, object);
  // The C++ side sizes its pool as min(requested, logical cores / 2), read once at start-up.
  os.cpus = () => fakeCpus(2 * threads);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `the ${threads - 1} worker thread(s) did not start within ${timeoutMs} ms ` +
              "(see stderr for messages from the workers); restart the process with threads: 1",
          ),
        );
      }, timeoutMs);
    });
    const backend = await Promise.race([Promise.resolve(factory()), timeout]);
    tf.engine().registry["wasm"] = backend;
  } catch (error) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    // tfjs rejects with a plain `{ message }` object when the module aborts while loading.
    const message = (error as { message?: unknown } | null)?.message ?? String(error);
    throw new Error(`Cannot start wasm threads: ${message} (got threads ${threads})`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }

  // Idle pool workers must not keep the process alive (Node semantics; Emscripten refs the
  // workers that run pthreads).
  const pool = wasmModule()?.PThread;
  for (const worker of [...(pool?.runningWorkers ?? []), ...(pool?.unusedWorkers ?? [])]) {
    worker.unref?.();
  }
  const actual = getThreadsCount();
  if (actual !== threads) {
    throw new Error(
      `Cannot start wasm threads: the backend started with ${actual} thread(s) instead of ` +
        `${threads} (got threads ${threads}); restart the process with threads: 1`,
    );
  }
  return actual;
}

/**
 * Sets up the wasm backend's worker threads. Call it before the wasm backend starts
 * ({@linkcode initEngine} does). With more than one thread it also starts the wasm backend
 * (threaded-SIMD build), because the setup only holds while the backend loads; `tf.setBackend`
 * then just selects it. With one thread it only makes sure the plain SIMD build will load.
 *
 * Thread counts are fixed once the wasm backend has started: asking again for the count in use
 * returns it, asking for another is an error.
 *
 * Only XNNPACK operators (convolutions, matrix products, some pooling) run in parallel; other
 * ops stay single-threaded. Measured on 2 idle cores: forward conv2d 1.8-1.9x, whole training
 * steps 1.1-1.4x. The workers wait for each other, so on a machine whose cores are busy with
 * other processes more threads can be slower than one.
 *
 * @param threads Requested threads, including the calling thread. Capped at
 *   {@linkcode MAX_WASM_THREADS} and at the machine's logical cores.
 * @param options See {@linkcode WasmThreadsOptions}.
 * @returns The thread count that will be used.
 * @throws {RangeError} When `threads` is not a positive integer.
 * @throws {Error} When threads are impossible (no SharedArrayBuffer or shared wasm memory, a
 *   tfjs-backend-wasm version other than 4.22.0, workers that do not start), or when the wasm
 *   backend already runs with another thread count.
 *
 * @example Start the wasm backend with two threads
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { configureWasmThreads } from "./mod.ts";
 *
 * const threads = await configureWasmThreads(2);
 * await tf.setBackend("wasm");
 * assert.equal(threads, Math.min(2, navigator.hardwareConcurrency)); // 2 with 2 logical cores
 * assert.equal(tf.getBackend(), "wasm");
 * ```
 */
export async function configureWasmThreads(
  threads: number,
  options: WasmThreadsOptions = {},
): Promise<number> {
  const { timeoutMs = 60_000 } = options;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(
      `Cannot configure wasm threads: threads must be a positive integer (got ${threads})`,
    );
  }
  if (!(timeoutMs > 0)) {
    throw new RangeError(
      `Cannot configure wasm threads: timeoutMs must be positive (got ${timeoutMs})`,
    );
  }
  const wanted = Math.min(threads, MAX_WASM_THREADS, logicalCores());
  if (starting !== null) await starting.catch(() => {});
  if (wasmBackendStarted()) {
    const running = runningThreads();
    if (running !== wanted) {
      throw new Error(
        `Cannot change wasm threads: the wasm backend already runs with ${running} ` +
          `thread(s) and threads are fixed once it has started; restart the process to use ` +
          `another count (got ${threads})`,
      );
    }
    return running;
  }
  if (wanted === 1) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    return 1;
  }
  const problem = wasmBackendVersionProblem() ?? sharedMemoryProblem();
  if (problem !== null) throw new Error(`Cannot start wasm threads: ${problem}`);
  starting = startThreaded(wanted, timeoutMs);
  try {
    started = await starting;
  } finally {
    starting = null;
  }
  return started;
}

/**
 * Whether the wasm backend runs with more than one thread.
 * @returns `true` once the wasm backend has started with worker threads.
 */
export function wasmThreadsActive(): boolean {
  return wasmBackendStarted() && runningThreads() > 1;
}
