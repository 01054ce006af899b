/**
 * Shared set-up of the native-kernel tests: whether oneDNN can load here, and a `Deno.test`
 * wrapper that reports (not silently skips) the tests when it cannot.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { NativeUnavailableError } from "../../../engine/native/onednn.ts";
import { loadOneDnn } from "../../../engine/native/provider.ts";
import { Rng } from "../../../engine/rng.ts";

function probe(): string | null {
  try {
    loadOneDnn();
    return null;
  } catch (error) {
    if (error instanceof NativeUnavailableError) return error.message;
    throw error;
  }
}

/** Why oneDNN cannot load in this test run, or `null` when it can. */
export const NATIVE_MISSING: string | null = probe();

let warned = false;

/**
 * `Deno.test` for a test that needs oneDNN: it runs when the library loads, and is reported as
 * ignored with a message on stderr (once per module) when it does not.
 */
export function nativeTest(name: string, fn: () => void | Promise<void>): void {
  if (NATIVE_MISSING !== null && !warned) {
    warned = true;
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `SKIPPING native-kernel tests (oneDNN unavailable): ${NATIVE_MISSING}\n`,
      ),
    );
  }
  Deno.test({ name, ignore: NATIVE_MISSING !== null, fn });
}

/** Starts the wasm backend with the native kernels (`onednn`) or without them (`off`). */
export async function useNative(on: boolean): Promise<void> {
  await initEngine({ backend: "wasm", native: on ? "onednn" : "off", log: () => {} });
}

/** Runs `fn` on the cpu backend, then switches back to wasm with the native kernels. */
export async function onCpu<T>(fn: () => T): Promise<T> {
  await initEngine({ backend: "cpu", log: () => {} });
  try {
    return fn();
  } finally {
    await useNative(true);
  }
}

/** Uniform random float32 data of a shape, from a seeded generator. */
export function randomData(rng: Rng, shape: readonly number[], lo = -1, hi = 1): Float32Array {
  return rng.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi);
}

/** Reads tensors' values (float32) and disposes nothing. */
export function values(...ts: tf.Tensor[]): Float32Array[] {
  return ts.map((t) => t.dataSync() as Float32Array);
}

export { Rng };
