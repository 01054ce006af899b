import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { affineFromSpacing, type Volume } from "../../data/volume.ts";
import { dicePerClass } from "../../metrics/dice.ts";
import { dicePerSlice } from "../../metrics/dice_per_slice.ts";
import { evaluateScan } from "../../metrics/evaluate_scan.ts";
import { hd95PerClass } from "../../metrics/hd95_per_class.ts";

function volume(data: Uint8Array, shape: [number, number, number]): Volume {
  const spacing: [number, number, number] = [0.3, 0.5, 0.1];
  return { data, shape, spacing, affine: affineFromSpacing(spacing) };
}

Deno.test("evaluateScan() combines Dice, anisotropic HD95 and per-slice Dice of a volume", () => {
  const shape: [number, number, number] = [6, 4, 20];
  const truth = new Uint8Array(6 * 4 * 20);
  const pred = new Uint8Array(truth.length);
  // Layers along z; the prediction puts every boundary one slice deeper.
  for (let z = 0; z < 20; z++) {
    for (let i = 0; i < 24; i++) {
      truth[i + 24 * z] = Math.min(6, 1 + Math.floor(z / 3));
      pred[i + 24 * z] = Math.min(6, 1 + Math.floor(Math.max(0, z - 1) / 3));
    }
  }
  const r = evaluateScan(volume(pred, shape), volume(truth, shape), { sliceAxis: 1 });
  assert.deepEqual(r.dice, dicePerClass(pred, truth));
  assert.deepEqual(r.hd95, hd95PerClass(pred, truth, shape, [0.3, 0.5, 0.1], { order: "F" }));
  // A one-slice shift of a 3-slice layer: Dice 2 · 2 / 6, HD95 = 0.1 mm.
  assert.equal(r.dice.dice[1], 4 / 6);
  assert.ok(Math.abs(r.hd95!.hd95[1]! - 0.1) < 1e-12);
  assert.equal(r.sliceDice!.length, 4);
  assert.deepEqual(r.sliceDice, dicePerSlice(pred, truth, shape, { axis: 1, order: "F" }));
  const noHd = evaluateScan(volume(pred, shape), volume(truth, shape), { hd95: false });
  assert.equal(noHd.hd95, null);
  assert.equal(noHd.sliceDice, null);
});

Deno.test("evaluateScan() passes class and empty-mask options through", () => {
  const rng = new Rng(2);
  const shape: [number, number, number] = [3, 3, 3];
  const truth = Uint8Array.from({ length: 27 }, () => rng.int(3));
  const pred = new Uint8Array(27); // all background: classes 1 and 2 missed
  const r = evaluateScan(volume(pred, shape), volume(truth, shape), {
    numClasses: 4,
    classes: [1, 2, 3],
    emptyScore: 1,
    hd95: { emptyOne: 99, emptyBoth: -1 },
  });
  assert.deepEqual(r.dice.dice, [0, 0, 1]);
  assert.deepEqual(r.hd95!.hd95, [99, 99, -1]);
});

Deno.test("evaluateScan() rejects volumes of different shapes", () => {
  assert.throws(
    () => evaluateScan(volume(new Uint8Array(8), [2, 2, 2]), volume(new Uint8Array(8), [2, 4, 1])),
    /prediction and truth shapes differ/,
  );
});
