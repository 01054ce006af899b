import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { stopGradient } from "../../engine/stop_gradient.ts";

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`stopGradient() blocks the gradient and owns its data (${backend})`, async () => {
    await initEngine({ backend, log: () => {} });
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const { value, grads } = tf.variableGrads(() => {
      const y = tf.mul(w, w);
      return tf.sum(tf.mul(y, stopGradient(y))) as tf.Scalar; // d/dw = 2w * w^2
    }, [w]);
    assert.deepEqual([...grads[w.name]!.dataSync()], [2, 16, 54]);
    assert.equal(value.dataSync()[0], 1 + 16 + 81);
    // The detached handle survives disposal of the original and vice versa.
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([4, 5]);
    const d = stopGradient(x);
    x.dispose();
    assert.deepEqual([...d.dataSync()], [4, 5]);
    d.dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([w, value, grads[w.name]!]);
  });
}
