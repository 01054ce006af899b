import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Adam } from "../../engine/adam.ts";
import { initEngine } from "../../engine/init_engine.ts";

await initEngine({ backend: "wasm", log: () => {} });

Deno.test("Adam: the learning rate is settable between steps without rebuilding the optimizer", () => {
  const p = tf.variable(tf.tensor1d([1, -2, 3]));
  const adam = new Adam([p], ["p"], { learningRate: 0.1, beta1: 0.5, beta2: 0.999 });
  assert.equal(adam.initialLearningRate, 0.1);
  const g = tf.tensor1d([0.5, -1, 2]);
  // Step 1: m = 0.5 g, v = 0.001 g², update = lr/(1-0.5) · m / (sqrt(v)/sqrt(0.001) + ε)
  //       = lr · sign(g) (up to ε).
  adam.apply([g]);
  const after1 = [1 - 0.1, -2 + 0.1, 3 - 0.1];
  const got1 = p.dataSync();
  after1.forEach((v, i) => assert.ok(Math.abs(got1[i]! - v) < 1e-6, `${got1[i]} != ${v}`));
  // Step 2 at a tenth of the rate; the moments carry over (same gradient: m, v converge to
  // g, g² after bias correction, so the update is again lr · sign(g)).
  adam.learningRate = 0.01;
  assert.equal(adam.learningRate, 0.01);
  assert.equal(adam.initialLearningRate, 0.1);
  adam.apply([g]);
  const got2 = p.dataSync();
  after1.forEach((v, i) => {
    const want = v - 0.01 * Math.sign([0.5, -1, 2][i]!);
    assert.ok(Math.abs(got2[i]! - want) < 1e-6, `${got2[i]} != ${want}`);
  });
  assert.equal(adam.step, 2);
  assert.throws(
    () => (adam.learningRate = -1),
    /learning rate: it must be a finite number >= 0 \(got -1\)/,
  );
  assert.throws(() => (adam.learningRate = NaN), /\(got NaN\)/);
  adam.learningRate = 0; // allowed: a poly schedule ends at 0
  adam.apply([g]);
  assert.deepEqual(p.dataSync(), got2, "rate 0 leaves the weights alone");
  tf.dispose([g, p]);
  adam.dispose();
});

Deno.test("Adam: construction and dispose leave no tensor behind; steps are leak-free", () => {
  const vars = tf.tidy(() => [tf.variable(tf.zeros([3, 2])), tf.variable(tf.zeros([4]))]);
  const g = vars.map((v) => tf.onesLike(v));
  const before = tf.memory().numTensors;
  const adam = new Adam(vars, ["a", "b"]);
  // Two moments per variable, nothing else (no zerosLike temporaries).
  assert.equal(tf.memory().numTensors, before + 4);
  adam.apply(g);
  const mid = tf.memory().numTensors;
  adam.apply(g);
  assert.equal(tf.memory().numTensors, mid);
  adam.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...g, ...vars]);
});
