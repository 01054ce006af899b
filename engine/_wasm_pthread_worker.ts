/**
 * Source of the worker that hosts one Emscripten pthread of the tfjs threaded-SIMD wasm build
 * under Deno. tfjs ships its own worker script, but only as a `blob:` URL, and it loads the
 * main script with `importScripts` from a file; Deno's `node:worker_threads` accepts neither.
 * This worker speaks the same message protocol (`load`, `run`, `cancel`,
 * `processProxyingQueue`) and receives the main script as the `Blob` tfjs posts to it.
 *
 * The main script is the body of the threaded factory cut out of the tfjs bundle; it refers
 * to a few names from the bundle's module scope (`require$$0` = fs, `require$$1` = path,
 * `require$$3` = perf_hooks, `require$$4` = os, `commonjsGlobal`, and the tslib helpers
 * `__values`, `__read`, `__spreadArray`), which are supplied here. Pinned to
 * tfjs-backend-wasm 4.22.0.
 * @module
 */

/** ES module source of the pthread worker (loaded from a `data:` URL). */
export const PTHREAD_WORKER_SOURCE = String.raw`
import * as workerThreads from "node:worker_threads";
import * as fs from "node:fs";
import * as path from "node:path";
import * as perfHooks from "node:perf_hooks";
import * as os from "node:os";

const port = workerThreads.parentPort;
const builtins = { fs, path, perf_hooks: perfHooks, os, worker_threads: workerThreads };
let Module = {};
let runtimeReady = false;
const earlyQueues = [];

function send(message, transfer) {
  port.postMessage(message, transfer);
}

function report(stage, error) {
  const text = error && error.stack ? error.stack : String(error);
  send({ cmd: "printErr", text: "grn wasm pthread worker could not " + stage + ": " + text });
}

function requireBuiltin(name) {
  const key = String(name).replace(/^node:/, "");
  if (!(key in builtins)) throw new Error("grn wasm pthread worker cannot require " + name);
  return builtins[key];
}

function iterate(iterable) {
  return iterable[Symbol.iterator]();
}

function readAll(iterable, count) {
  const out = [];
  for (const value of iterable) {
    if (count !== undefined && out.length >= count) break;
    out.push(value);
  }
  return out;
}

function spread(target, source) {
  return target.concat(Array.from(source));
}

function noImportScripts(file) {
  throw new Error("grn wasm pthread worker cannot importScripts " + file);
}

function startWorker(instance) {
  Module = instance;
  send({ cmd: "loaded" });
}

async function load(data) {
  const source = typeof data.urlOrBlob === "string"
    ? fs.readFileSync(data.urlOrBlob, "utf8")
    : await data.urlOrBlob.text();
  Module.wasmModule = data.wasmModule;
  Module.wasmMemory = data.wasmMemory;
  Module.buffer = data.wasmMemory.buffer;
  Module.ENVIRONMENT_IS_PTHREAD = true;
  for (const handler of data.handlers) {
    Module[handler] = (...args) => send({ cmd: "callHandler", handler, args });
  }
  Module.instantiateWasm = (imports, receiveInstance) => {
    const instance = new WebAssembly.Instance(Module.wasmModule, imports);
    receiveInstance(instance);
    Module.wasmModule = null;
    return instance.exports;
  };
  const scope = {
    require: requireBuiltin,
    require$$0: fs,
    require$$1: path,
    require$$3: perfHooks,
    require$$4: os,
    commonjsGlobal: globalThis,
    __values: iterate,
    __read: readAll,
    __spreadArray: spread,
    postMessage: send,
    importScripts: noImportScripts,
    startWorker,
  };
  const names = Object.keys(scope);
  const build = new Function(...names, source + "\nreturn WasmBackendModuleThreadedSimd;");
  const factory = build(...names.map((name) => scope[name]));
  factory(Module);
}

function run(data) {
  Module.__emscripten_thread_init(data.pthread_ptr, 0, 0, 1);
  Module.establishStackSpace();
  Module.PThread.receiveObjectTransfer(data);
  Module.PThread.threadInitTLS();
  if (!runtimeReady) {
    runtimeReady = true;
    for (const queue of earlyQueues.splice(0)) Module.executeNotifiedProxyingQueue(queue);
  }
  try {
    Module.invokeEntryPoint(data.start_routine, data.arg);
  } catch (error) {
    if (error === "unwind") return;
    if (error instanceof Module.ExitStatus) {
      if (!Module.keepRuntimeAlive()) Module.__emscripten_thread_exit(error.status);
      return;
    }
    throw error;
  }
}

port.on("message", (data) => {
  try {
    switch (data.cmd) {
      case "load":
        load(data).catch((error) => report("load the wasm module", error));
        break;
      case "run":
        run(data);
        break;
      case "cancel":
        if (Module._pthread_self()) Module.__emscripten_thread_exit(-1);
        break;
      case "processProxyingQueue":
        if (runtimeReady) Module.executeNotifiedProxyingQueue(data.queue);
        else earlyQueues.push(data.queue);
        break;
      default:
        if (data.target !== "setimmediate" && data.cmd) {
          report("handle a message", "unknown command " + data.cmd);
        }
    }
  } catch (error) {
    if (Module.__emscripten_thread_crashed) Module.__emscripten_thread_crashed();
    throw error;
  }
});
`;
