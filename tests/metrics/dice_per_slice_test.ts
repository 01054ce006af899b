import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { dicePerClass } from "../../metrics/dice.ts";
import { dicePerSlice } from "../../metrics/dice_per_slice.ts";

Deno.test("dicePerSlice() equals dicePerClass() on each extracted slice, for every axis and order", () => {
  const rng = new Rng(11);
  const shape = [3, 4, 5];
  const size = 60;
  const truth = new Uint8Array(size);
  const pred = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    truth[i] = rng.int(4);
    pred[i] = rng.float() < 0.6 ? truth[i]! : rng.int(4);
  }
  for (const order of ["C", "F"] as const) {
    // Strides of the flat array for `shape` in this order.
    const strides = order === "C" ? [20, 5, 1] : [1, 3, 12];
    for (let axis = 0; axis < 3; axis++) {
      const got = dicePerSlice(pred, truth, shape, { axis, order, numClasses: 4 });
      assert.equal(got.length, shape[axis]);
      for (let k = 0; k < shape[axis]!; k++) {
        const ps: number[] = [];
        const ts: number[] = [];
        for (let i0 = 0; i0 < shape[0]!; i0++) {
          for (let i1 = 0; i1 < shape[1]!; i1++) {
            for (let i2 = 0; i2 < shape[2]!; i2++) {
              const c = [i0, i1, i2];
              if (c[axis] !== k) continue;
              const i = i0 * strides[0]! + i1 * strides[1]! + i2 * strides[2]!;
              ps.push(pred[i]!);
              ts.push(truth[i]!);
            }
          }
        }
        assert.deepEqual(got[k], dicePerClass(ps, ts, { numClasses: 4 }), `${order} ${axis} ${k}`);
      }
    }
  }
});

Deno.test("dicePerSlice() gives NaN for a layer absent from a slice and honours emptyScore", () => {
  // Two 2x2 slices; class 2 only appears in slice 1.
  const truth = new Uint8Array([1, 1, 1, 1, 1, 1, 2, 2]);
  const pred = new Uint8Array([1, 1, 1, 1, 1, 2, 2, 2]);
  const r = dicePerSlice(pred, truth, [2, 2, 2], { numClasses: 3 });
  assert.deepEqual(r[0]!.dice.slice(0, 1), [1]);
  assert.ok(Number.isNaN(r[0]!.dice[1]));
  assert.equal(r[0]!.mean, 1);
  assert.deepEqual(r[1]!.dice, [(2 * 1) / 3, (2 * 2) / 5]);
  const one = dicePerSlice(pred, truth, [2, 2, 2], { numClasses: 3, emptyScore: 1 });
  assert.deepEqual(one[0]!.dice, [1, 1]);
});

Deno.test("dicePerSlice() rejects a shape that does not fit and a bad axis", () => {
  const a = new Uint8Array(8);
  assert.throws(() => dicePerSlice(a, a, [2, 2, 3]), TypeError);
  assert.throws(() => dicePerSlice(a, a, [2, 2, 2], { axis: 3 }), RangeError);
  assert.throws(() => dicePerSlice(a, new Uint8Array(7), [2, 2, 2]), TypeError);
});
