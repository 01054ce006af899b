/**
 * Shared set-up of the WebGPU tests: whether an adapter exists here, and a `Deno.test` wrapper
 * that reports (not silently skips) the tests when none does.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { describeAdapter, probeWebGPU } from "../../../engine/webgpu/adapter.ts";

/** What the probe found here. */
export const ADAPTER = await probeWebGPU();

/** Why the WebGPU tests cannot run here, or `null` when they can. */
export const WEBGPU_MISSING: string | null = ADAPTER.found ? null : ADAPTER.missing;

let warned = false;

/**
 * `Deno.test` for a test that needs a WebGPU adapter (a software one will do): it runs when one
 * exists, and is reported as ignored with a message on stderr (once per module) when none does.
 */
export function webgpuTest(name: string, fn: () => void | Promise<void>): void {
  if (!warned) {
    warned = true;
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        WEBGPU_MISSING === null
          ? `WebGPU tests run on: ${describeAdapter(ADAPTER)}\n`
          : `SKIPPING WebGPU tests (no adapter): ${WEBGPU_MISSING}\n`,
      ),
    );
  }
  // The backend keeps a device and pipelines for the whole process: not a leak of the test.
  Deno.test({
    name,
    ignore: WEBGPU_MISSING !== null,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

/** Starts the webgpu engine (quietly). */
export async function useWebGPU(): Promise<void> {
  await initEngine({ backend: "webgpu", log: () => {} });
}

/** Runs `fn` on `backend` and returns the values of its outputs (read asynchronously). */
export async function valuesOn(
  backend: "cpu" | "wasm" | "webgpu",
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await initEngine({ backend, native: "off", log: () => {} });
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  try {
    return await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
  } finally {
    tf.dispose(list);
  }
}
