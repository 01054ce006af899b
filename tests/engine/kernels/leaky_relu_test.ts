import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { Rng } from "../../../engine/rng.ts";
import { assertClose } from "../../_helpers.ts";

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("wasm LeakyRelu equals x or alpha * x for several shapes and slopes", () => {
  const rng = new Rng(21);
  const shapes = [[7], [3, 5], [2, 4, 4, 16], [1, 3, 3, 5], [2, 5000]];
  for (const shape of shapes) {
    for (const alpha of [0.01, 0.2, 1.5]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const xs = rng.uniformArray(n, -2, 2);
      xs[0] = 0;
      const got = tf.tidy(() => tf.leakyRelu(tf.tensor(xs, shape), alpha).dataSync());
      const want = Array.from(xs, (v) => (v > 0 ? v : alpha * v));
      assertClose(got, want, 1e-7, `leakyRelu shape=[${shape}] alpha=${alpha}`);
    }
  }
});

Deno.test("wasm LeakyRelu takes int32 input through the stock kernel and leaks nothing", () => {
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const run = () =>
    tf.tidy(() => Array.from(tf.leakyRelu(tf.tensor1d([-4, 0, 3], "int32"), 0.5).dataSync()));
  assert.deepEqual(run(), [-2, 0, 3]);
  const ids = backend.numDataIds();
  tf.tidy(() => tf.leakyRelu(tf.ones([2, 8, 8, 16]), 0.01).dataSync());
  run();
  assert.equal(backend.numDataIds(), ids);
});
