import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { leakyReluGradConfig } from "../../../engine/kernels/leaky_relu_grad.ts";
import { Rng } from "../../../engine/rng.ts";
import { assertClose } from "../../_helpers.ts";

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("LeakyRelu gradient is registered and equals dy or alpha * dy, with alpha at 0", async () => {
  assert.equal(tf.getGradient("LeakyRelu")?.gradFunc, leakyReluGradConfig.gradFunc);
  const rng = new Rng(3);
  const xs = rng.uniformArray(200, -1, 1);
  xs[0] = 0;
  xs[1] = 0;
  const dys = rng.normalArray(200);
  const alpha = 0.2;
  const want = Array.from(xs, (x, i) => (x > 0 ? dys[i]! : alpha * dys[i]!));
  for (const backend of ["wasm", "cpu"] as const) {
    await initEngine({ backend, native: "off", log: () => {} });
    const got = tf.tidy(() => {
      const dy = tf.tensor1d(dys);
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(a, alpha), dy)))([
        tf.tensor1d(xs),
      ]);
      return dx!.dataSync() as Float32Array;
    });
    assertClose(got, want, 1e-6, `${backend} dx`);
  }
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
});
