/**
 * What `grn doctor` reports: engine, backends, versions, CPUs and memory.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { version_wasm as wasmVersion } from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import { type BackendChoice, type EngineInfo, initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { MAX_WASM_THREADS } from "../engine/wasm_threads.ts";
import { GRN_VERSION } from "../run/version.ts";

/** Options of {@linkcode doctorReport}. */
export interface DoctorOptions {
  /** Backend to start, as `initEngine` takes it. @default {"auto"} */
  backend?: BackendChoice;
  /** Threads (wasm workers, or oneDNN's with the native provider). @default {1} */
  threads?: number;
  /** Native kernel provider, as `initEngine` takes it. @default {"auto"} */
  native?: NativeChoice;
  /** Where the engine's one-line notice goes. @default {discarded} */
  log?: (message: string) => void;
}

/** Presence of an optional native component. */
export interface Presence {
  /** Whether it was found. */
  found: boolean;
  /** Where, or why not. */
  detail: string;
}

/** The `grn doctor` report. */
export interface DoctorReport {
  /** Versions of grn, Deno, V8, TypeScript and TensorFlow.js. */
  versions: Record<string, string>;
  /** Operating system and CPU architecture. */
  platform: { os: string; arch: string };
  /** The engine `initEngine` started, with the reasons preferred backends were skipped. */
  engine: EngineInfo;
  /** Backends registered with TensorFlow.js. */
  registeredBackends: string[];
  /** Whether WebAssembly threads can run (shared memory), and the most threads tfjs allows. */
  wasmThreads: { available: boolean; detail: string; maxThreads: number };
  /** `@tensorflow/tfjs-node` (native TensorFlow) in the import map. */
  tfjsNode: Presence;
  /** The oneDNN shared library (`libdnnl`). */
  libdnnl: Presence;
  /** CPUs: logical cores, model, 1-minute load average. */
  cpu: { logicalCores: number; model: string; loadAverage1m: number };
  /** Memory in bytes: system total and available, this process's resident set. */
  memory: { totalBytes: number; availableBytes: number; processRssBytes: number };
}

function sharedMemory(): { available: boolean; detail: string } {
  if (typeof SharedArrayBuffer !== "function") {
    return { available: false, detail: "no SharedArrayBuffer in this runtime" };
  }
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer
      ? { available: true, detail: "shared WebAssembly memory works" }
      : { available: false, detail: "shared WebAssembly memory is not a SharedArrayBuffer" };
  } catch (error) {
    return {
      available: false,
      detail: `no shared WebAssembly memory (${(error as Error).message})`,
    };
  }
}

function resolvable(specifier: string): Presence {
  try {
    return { found: true, detail: import.meta.resolve(specifier) };
  } catch (error) {
    return { found: false, detail: (error as Error).message.split("\n")[0]! };
  }
}

const DNNL_DIRS = [
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
  "/usr/local/lib",
];

async function findDnnl(): Promise<Presence> {
  for (const dir of DNNL_DIRS) {
    for (const name of ["libdnnl.so.2", "libdnnl.so.3", "libdnnl.so"]) {
      const path = `${dir}/${name}`;
      if (await Deno.stat(path).then(() => true, () => false)) return { found: true, detail: path };
    }
  }
  try {
    const { stdout, success } = await new Deno.Command("ldconfig", { args: ["-p"], stderr: "null" })
      .output();
    if (success) {
      const line = new TextDecoder().decode(stdout).split("\n").find((l) => /libdnnl\.so/.test(l));
      if (line) return { found: true, detail: line.split("=>").pop()!.trim() };
    }
    return { found: false, detail: `not in ${DNNL_DIRS.join(", ")} nor in ldconfig -p` };
  } catch (error) {
    return {
      found: false,
      detail: `not in ${DNNL_DIRS.join(", ")} (ldconfig not run: ${
        (error as Error).message.split("\n")[0]
      })`,
    };
  }
}

function memoryInfo(): DoctorReport["memory"] {
  const rss = Deno.memoryUsage().rss;
  try {
    const m = Deno.systemMemoryInfo();
    return { totalBytes: m.total, availableBytes: m.available, processRssBytes: rss };
  } catch {
    return { totalBytes: os.totalmem(), availableBytes: os.freemem(), processRssBytes: rss };
  }
}

/**
 * Starts the engine and gathers what `grn doctor` shows.
 *
 * @param options Backend and threads to try; see {@linkcode DoctorOptions}.
 * @returns The report.
 * @throws {Error} When the requested backend cannot start (as `initEngine` does).
 */
export async function doctorReport(options: DoctorOptions = {}): Promise<DoctorReport> {
  const { backend = "auto", threads = 1, native = "auto", log = () => {} } = options;
  const engine = await initEngine({ backend, threads, native, log });
  const cpus = os.cpus();
  return {
    versions: {
      grn: GRN_VERSION,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      "tfjs-core": tf.version_core,
      "tfjs-backend-wasm": wasmVersion,
    },
    platform: { os: Deno.build.os, arch: Deno.build.arch },
    engine,
    registeredBackends: Object.keys(tf.engine().registryFactory).sort(),
    wasmThreads: { ...sharedMemory(), maxThreads: MAX_WASM_THREADS },
    tfjsNode: resolvable("@tensorflow/tfjs-node"),
    libdnnl: await findDnnl(),
    cpu: {
      logicalCores: navigator.hardwareConcurrency ?? cpus.length,
      model: cpus[0]?.model ?? "unknown",
      loadAverage1m: os.loadavg()[0] ?? NaN,
    },
    memory: memoryInfo(),
  };
}
