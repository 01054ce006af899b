import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { Rng } from "../../../engine/rng.ts";

interface Case {
  shapes: number[][];
  axis: number;
  data: Float32Array[];
  weights: Float32Array;
}

function cases(): Case[] {
  const rng = new Rng(8);
  const out: Case[] = [];
  for (let i = 0; i < 20; i++) {
    const rank = 1 + (i % 4);
    const base = Array.from({ length: rank }, () => 1 + rng.int(5));
    const axis = rng.int(rank) - (i % 2 === 0 ? 0 : rank); // some negative axes
    const k = 2 + rng.int(3);
    const shapes = Array.from({ length: k }, (_, j) => {
      const s = base.slice();
      const a = axis < 0 ? axis + rank : axis;
      s[a] = i === 7 && j === 1 ? 0 : 1 + rng.int(70); // one empty input; some long runs
      return s;
    });
    const data = shapes.map((s) => rng.uniformArray(s.reduce((a, b) => a * b, 1), -1, 1));
    const total = data.reduce((n, d) => n + d.length, 0);
    out.push({ shapes, axis, data, weights: rng.uniformArray(total, -1, 1) });
  }
  return out;
}

/** Concat values, and the gradient of a weighted sum through concat (a SplitV). */
function run(c: Case): number[][] {
  return tf.tidy(() => {
    const xs = c.data.map((d, i) => tf.tensor(d, c.shapes[i]!));
    const y = tf.concat(xs, c.axis);
    const w = tf.tensor(c.weights, y.shape);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(a, c.axis), w)))(xs);
    return [y, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("wasm Concat and SplitV match the cpu backend on 20 random cases", async () => {
  const all = cases();
  const wasm = all.map(run);
  await initEngine({ backend: "cpu", log: () => {} });
  const cpu = all.map(run);
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  all.forEach((c, i) => {
    assert.deepEqual(wasm[i], cpu[i], `shapes=${JSON.stringify(c.shapes)} axis=${c.axis}`);
  });
});

Deno.test("wasm Concat and SplitV keep int32 and bool data", () => {
  tf.tidy(() => {
    const a = tf.tensor2d([[1, 2], [3, 4]], [2, 2], "int32");
    const b = tf.tensor2d([[5], [6]], [2, 1], "int32");
    const c = tf.concat([a, b], 1);
    assert.equal(c.dtype, "int32");
    assert.deepEqual(Array.from(c.dataSync()), [1, 2, 5, 3, 4, 6]);
    const [p, q] = tf.split(c, [1, -1], 1);
    assert.deepEqual(Array.from(p!.dataSync()), [1, 3]);
    assert.deepEqual(Array.from(q!.dataSync()), [2, 5, 4, 6]);
    const m = tf.concat([tf.tensor1d([true], "bool"), tf.tensor1d([false, true], "bool")]);
    assert.equal(m.dtype, "bool");
    assert.deepEqual(Array.from(m.dataSync()), [1, 0, 1]);
  });
});
