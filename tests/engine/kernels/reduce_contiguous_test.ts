import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { Rng } from "../../../engine/rng.ts";
import { relativeError } from "../../_helpers.ts";

interface ReduceCase {
  shape: number[];
  axis: number | number[];
  keepDims: boolean;
  x: Float32Array;
}

function reduceCases(): ReduceCase[] {
  const rng = new Rng(11);
  const axesList: (number | number[])[] = [
    [0, 1, 2],
    [1, 2],
    [0],
    1,
    [0, 1],
    [2, 1],
    [-3, -2],
    [0, 2], // not contiguous: stock kernel
    [3], // innermost: stock kernel
    [2, 3], // innermost block: stock kernel
    [0, 1, 2, 3],
  ];
  const cases: ReduceCase[] = [];
  axesList.forEach((axis, i) => {
    for (const keepDims of [false, true]) {
      const shape = [1 + rng.int(4), 1 + rng.int(6), 2 + rng.int(6), 1 + rng.int(5) + i % 2];
      const n = shape.reduce((a, b) => a * b, 1);
      cases.push({ shape, axis, keepDims, x: rng.uniformArray(n, -2, 3) });
    }
  });
  return cases;
}

function reduceAll(cases: ReduceCase[]): { data: Float32Array; shape: number[] }[] {
  return cases.flatMap((c) =>
    tf.tidy(() => {
      const x = tf.tensor(c.x, c.shape);
      return [tf.sum(x, c.axis, c.keepDims), tf.mean(x, c.axis, c.keepDims)].map((t) => ({
        data: t.dataSync() as Float32Array,
        shape: t.shape,
      }));
    })
  );
}

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("wasm Sum and Mean match the cpu backend for outer, middle and fallback axes", async () => {
  const cases = reduceCases();
  const wasm = reduceAll(cases);
  await initEngine({ backend: "cpu", log: () => {} });
  const cpu = reduceAll(cases);
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  wasm.forEach((got, i) => {
    const c = cases[Math.floor(i / 2)]!;
    const label = `${i % 2 === 0 ? "sum" : "mean"} x=[${c.shape}] axis=${
      JSON.stringify(c.axis)
    } keepDims=${c.keepDims}`;
    assert.deepEqual(got.shape, cpu[i]!.shape, label);
    const err = relativeError(got.data, cpu[i]!.data);
    assert.ok(err <= 1e-5, `${label}: relative error ${err.toExponential(2)}`);
  });
});

Deno.test("wasm Sum keeps int32 results and accumulates 2^20 terms in double precision", () => {
  tf.tidy(() => {
    const ints = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], "int32");
    const s = tf.sum(ints, [0, 1]);
    assert.equal(s.dtype, "int32");
    assert.deepEqual(Array.from(s.dataSync()), [16, 20]);
    // 2^20 terms of 0.1 per channel: a float32 running sum (the stock kernel) ends ~1 % off.
    const big = tf.fill([1 << 16, 16, 2], 0.1);
    const t = tf.sum(big, [0, 1]).dataSync();
    const want = (1 << 20) * Math.fround(0.1);
    for (const v of t) assert.ok(Math.abs(v - want) <= want * 1e-6, `sum ${v} != ${want}`);
  });
});
