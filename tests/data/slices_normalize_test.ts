import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { applyWindow, robustWindow } from "../../data/slices_normalize.ts";

Deno.test("robustWindow takes interpolated percentiles of the finite values", () => {
  const ramp = Float32Array.from({ length: 1001 }, (_, i) => i);
  assert.deepEqual(robustWindow(ramp), [5, 995]);
  const small = Float32Array.from({ length: 11 }, (_, i) => i);
  assert.deepEqual(robustWindow(small, [25, 75]), [2.5, 7.5]);
  assert.deepEqual(robustWindow(small, [0, 100]), [0, 10]);
  const withNaN = Float32Array.from([NaN, 0, Infinity, 10, -Infinity]);
  assert.deepEqual(robustWindow(withNaN, [0, 100]), [0, 10]);
});

Deno.test("robustWindow does not depend on voxel order", () => {
  const rng = new Rng(3);
  const data = rng.normalArray(5000, 2, 3);
  const shuffled = Float32Array.from(rng.permutation(data.length).map((i) => data[i]!));
  assert.deepEqual(robustWindow(shuffled), robustWindow(data));
});

Deno.test("robustWindow falls back to min/max for a nearly constant volume", () => {
  const data = new Float32Array(1000);
  data[10] = 5;
  data[20] = -2;
  assert.deepEqual(robustWindow(data), [-2, 5]);
  assert.deepEqual(robustWindow(new Float32Array(10).fill(4)), [4, 4]);
});

Deno.test("robustWindow rejects bad percentiles and all-NaN data", () => {
  assert.throws(() => robustWindow([1, 2], [50, 50]), /percentiles must satisfy/);
  assert.throws(() => robustWindow([1, 2], [-1, 50]), /got \[-1,50\]/);
  assert.throws(() => robustWindow([NaN]), /holds no finite value/);
});

Deno.test("applyWindow maps the window to [-1, 1] and clips", () => {
  const out = applyWindow([0, 5, 10, -3, 20, NaN], [0, 10]);
  assert.deepEqual(Array.from(out), [-1, 0, 1, -1, 1, -1]);
  assert.deepEqual(Array.from(applyWindow([4, 4], [4, 4])), [0, 0]);
  assert.throws(() => applyWindow([1, 2], [0, 1], new Float32Array(3)), /output length must be 2/);
});
