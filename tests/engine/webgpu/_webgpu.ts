/**
 * Shared set-up of the WebGPU tests: whether an adapter exists here, and a `Deno.test` wrapper
 * that reports (not silently skips) the tests when none does.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { describeAdapter, probeWebGPU } from "../../../engine/webgpu/adapter.ts";
import { webgpuBackend } from "../../../engine/webgpu/backend.ts";

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

/**
 * Runs `fn` on `backend` and returns the values of its outputs (read asynchronously). On
 * webgpu, an error the device reports meanwhile (an invalid shader, which tfjs does not check
 * and which drops the work around it) fails the call.
 */
export async function valuesOn(
  backend: "cpu" | "wasm" | "webgpu",
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await initEngine({ backend, native: "off", log: () => {} });
  const device = webgpuBackend()?.device ?? null;
  device?.pushErrorScope("validation");
  device?.pushErrorScope("out-of-memory");
  let values: Float32Array[] = [];
  let failure: { error: unknown } | null = null;
  try {
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    try {
      values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
    } finally {
      tf.dispose(list);
    }
  } catch (error) {
    failure = { error };
  }
  // The device's report comes first: a dropped command buffer makes everything meaningless.
  const errors = device ? [await device.popErrorScope(), await device.popErrorScope()] : [];
  const error = errors.find((e) => e !== null);
  if (error) throw new Error(`the webgpu device reported: ${error.message}`);
  if (failure !== null) throw failure.error;
  return values;
}
