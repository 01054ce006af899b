import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { dropout, dropoutMask } from "../../../engine/ops/dropout.ts";
import { assertNoTensorLeak } from "../../_helpers.ts";

Deno.test("dropoutMask() keeps 1 - rate of the elements, scaled, and depends only on the seed", () => {
  for (const rate of [0.05, 0.3, 0.5, 0.9]) {
    const mask = dropoutMask(200_000, rate, 11);
    const scale = Math.fround(1 / (1 - rate));
    let kept = 0;
    for (const v of mask) {
      assert.ok(v === 0 || v === scale, `value ${v} is neither 0 nor ${scale}`);
      if (v !== 0) kept++;
    }
    const fraction = kept / mask.length;
    // 5 standard deviations of a binomial proportion.
    const sd = Math.sqrt(rate * (1 - rate) / mask.length);
    assert.ok(Math.abs(fraction - (1 - rate)) < 5 * sd, `rate ${rate}: kept ${fraction}`);
    assert.deepEqual(dropoutMask(1000, rate, 11), mask.subarray(0, 1000));
  }
  const a = dropoutMask(1000, 0.5, 1), b = dropoutMask(1000, 0.5, 2);
  assert.ok(a.some((v, i) => v !== b[i]), "different seeds gave the same mask");
  // Neighbouring elements are not correlated (a weak generator would show runs).
  const m = dropoutMask(100_000, 0.5, 3);
  let same = 0;
  for (let i = 1; i < m.length; i++) if ((m[i] === 0) === (m[i - 1] === 0)) same++;
  assert.ok(Math.abs(same / (m.length - 1) - 0.5) < 0.01, `neighbour agreement ${same}`);
  assert.throws(() => dropoutMask(10, 1, 0), /rate must be in \[0, 1\) \(got 1\)/);
  assert.throws(() => dropoutMask(-1, 0.5, 0), /size must be a non-negative integer \(got -1\)/);
});

function run(): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const x = tf.add(tf.range(0, 2 * 5 * 5 * 3).reshape([2, 5, 5, 3]), 1);
    const dy = tf.sin(tf.range(0, x.size).reshape(x.shape));
    const y = dropout(x, 0.4, 123);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(dropout(a, 0.4, 123), dy)))([x]);
    return { y: y.dataSync() as Float32Array, dx: dx!.dataSync() as Float32Array };
  });
}

Deno.test("dropout() gives the same mask and gradient on wasm and cpu, and leaks nothing", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const wasm = run();
  await assertNoTensorLeak(() => run(), 2, "dropout on wasm");
  await initEngine({ backend: "cpu", log: () => {} });
  const cpu = run();
  await assertNoTensorLeak(() => run(), 2, "dropout on cpu");
  await initEngine({ backend: "wasm", log: () => {} });
  assert.deepEqual(wasm.y, cpu.y);
  // dy = sin(i) differs by an ulp between the backends; the mask itself must not differ.
  wasm.dx.forEach((v, i) => assert.ok(Math.abs(v - cpu.dx[i]!) < 1e-6, `dx[${i}]`));
  wasm.dx.forEach((v, i) => assert.equal(v === 0, cpu.dx[i] === 0, `mask at ${i}`));
  const mask = dropoutMask(150, 0.4, 123);
  const dy = Array.from({ length: 150 }, (_, i) => Math.fround(Math.sin(i)));
  wasm.y.forEach((v, i) => assert.equal(v, Math.fround((i + 1) * mask[i]!)));
  wasm.dx.forEach((v, i) => assert.ok(Math.abs(v - dy[i]! * mask[i]!) < 1e-6));
  const x = tf.ones([3]);
  assert.equal(dropout(x, 0, 1), x);
  x.dispose();
});
