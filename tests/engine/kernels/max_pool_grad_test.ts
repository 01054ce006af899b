import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { Rng } from "../../../engine/rng.ts";
import { relativeError } from "../../_helpers.ts";

type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;

interface PoolCase {
  shape: [number, number, number, number];
  filter: [number, number];
  strides: [number, number];
  pad: Pad;
  x: Float32Array;
}

function poolCases(): PoolCase[] {
  const rng = new Rng(77);
  const cases: PoolCase[] = [];
  for (let i = 0; i < 24; i++) {
    const fh = 1 + rng.int(4), fw = 1 + (i % 4);
    const sh = 1 + rng.int(3), sw = 1 + rng.int(3);
    const h = fh + rng.int(7), w = fw + rng.int(7);
    const n = 1 + rng.int(2), c = 1 + rng.int(5);
    const pad: Pad = i % 3 === 0 ? "same" : i % 3 === 1 ? "valid" : [
      [0, 0],
      [rng.int(fh), rng.int(fh)],
      [rng.int(fw), rng.int(fw)],
      [0, 0],
    ];
    // Every fourth case has heavy ties (values from {0, 1}) to pin down the tie rule.
    const x = i % 4 === 3
      ? rng.uniformArray(n * h * w * c).map((v) => (v < 0.7 ? 0 : 1))
      : rng.uniformArray(n * h * w * c, -1, 1);
    cases.push({ shape: [n, h, w, c], filter: [fh, fw], strides: [sh, sw], pad, x });
  }
  return cases;
}

function poolGrad(c: PoolCase): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.shape);
    const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.filter, c.strides, c.pad);
    const y = f(x);
    const dy = tf.add(tf.sin(tf.range(0, y.size).reshape(y.shape)), 2);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(f(a), dy)))([x]);
    return dx!.dataSync() as Float32Array;
  });
}

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("wasm MaxPoolGrad matches the cpu backend on 24 random pools, ties included", async () => {
  const cases = poolCases();
  const wasm = cases.map(poolGrad);
  await initEngine({ backend: "cpu", log: () => {} });
  const cpu = cases.map(poolGrad);
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  cases.forEach((c, i) => {
    const err = relativeError(wasm[i]!, cpu[i]!);
    assert.ok(
      err <= 1e-6,
      `case ${i} x=[${c.shape}] filter=[${c.filter}] strides=[${c.strides}] pad=${
        JSON.stringify(c.pad)
      }: relative error ${err.toExponential(2)}`,
    );
  });
});

Deno.test("wasm MaxPoolGrad routes to the first maximum and sums overlapping windows", () => {
  tf.tidy(() => {
    // 1x3x3x1 input, 2x2 windows with stride 1: the centre is the max of all four windows.
    const x = tf.tensor4d([0, 0, 0, 0, 5, 0, 0, 0, 0], [1, 3, 3, 1]);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 1, "valid")))([
      x,
    ]);
    assert.deepEqual(Array.from(dx!.dataSync()), [0, 0, 0, 0, 4, 0, 0, 0, 0]);
    // All equal: each window's gradient goes to its top-left element.
    const ones = tf.ones([1, 2, 4, 1]);
    const [dOnes] = tf.grads((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid")))(
      [ones],
    );
    assert.deepEqual(Array.from(dOnes!.dataSync()), [1, 0, 1, 0, 0, 0, 0, 0]);
  });
});

Deno.test("wasm MaxPoolGrad rejects dy of the wrong shape", () => {
  tf.tidy(() => {
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 3, 3, 2]);
    assert.throws(
      () =>
        tf.engine().runKernel("MaxPoolGrad", { dy, input: x, output: dy }, {
          filterSize: 2,
          strides: 2,
          pad: "valid",
        }),
      /Cannot compute MaxPoolGrad on wasm: dy must have shape \[1,2,2,2\] for input \[1,4,4,2\] \(got \[1,3,3,2\]\)/,
    );
  });
});
