/**
 * WebAssembly threads for the tfjs wasm backend under Deno.
 * @module
 */

let active = 1;

/**
 * Configures the wasm backend's worker threads before it starts.
 * @param threads Requested worker threads.
 * @returns The thread count that will be used.
 */
export function configureWasmThreads(threads: number): Promise<number> {
  if (threads !== 1) {
    return Promise.reject(
      new Error(`Cannot start wasm threads: not yet supported (got ${threads})`),
    );
  }
  active = 1;
  return Promise.resolve(active);
}

/** Whether wasm threads are running. */
export function wasmThreadsActive(): boolean {
  return active > 1;
}
