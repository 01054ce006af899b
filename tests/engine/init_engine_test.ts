import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";

Deno.test("initEngine() auto picks wasm here and says why tensorflow and webgpu were skipped", async () => {
  const lines: string[] = [];
  const info = await initEngine({ backend: "auto", log: (m) => lines.push(m) });
  assert.equal(info.backend, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(info.skipped.some((s) => s.startsWith("tensorflow")), info.skipped.join("; "));
  // No hardware GPU here: no adapter at all, or a software one (lavapipe) that auto passes over.
  assert.ok(info.webgpu !== null && !(info.webgpu.found && !info.webgpu.software));
  const why = info.skipped.find((s) => s.startsWith("webgpu: "));
  assert.match(why ?? "", info.webgpu.found ? /software \(.+\), not used by auto$/ : /no adapter/);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /grn engine: wasm/);
});

Deno.test("initEngine() tensorflow without tfjs-node is an error that says how to install it", async () => {
  await assert.rejects(
    () => initEngine({ backend: "tensorflow", log: () => {} }),
    /Cannot start the tensorflow backend: tfjs-node is not available.*deno add npm:@tensorflow\/tfjs-node@4\.22\.0/,
  );
});

Deno.test("initEngine() rejects unknown backends and bad thread counts", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => initEngine({ backend: "gpu" as any, log: () => {} }),
    /backend must be one of auto, tensorflow, webgpu, wasm, cpu \(got "gpu"\)/,
  );
  await assert.rejects(
    () => initEngine({ threads: 0, log: () => {} }),
    /threads must be an integer/,
  );
});

Deno.test("initEngine() can switch to cpu and back to wasm", async () => {
  const cpu = await initEngine({ backend: "cpu", log: () => {} });
  assert.equal(cpu.backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  const wasm = await initEngine({ backend: "wasm", log: () => {} });
  assert.equal(wasm.backend, "wasm");
});
