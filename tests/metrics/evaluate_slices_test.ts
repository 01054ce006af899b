import assert from "node:assert/strict";
import { affineFromSpacing, type Volume } from "../../data/volume.ts";
import { dicePerClass } from "../../metrics/dice.ts";
import { evaluateSlices } from "../../metrics/evaluate_slices.ts";

const SHAPE: [number, number, number] = [3, 2, 4]; // x, y, z (depth)
const SPACING: [number, number, number] = [0.2, 0.3, 0.5];

function volume(fill: (x: number, y: number, z: number) => number): Volume<Uint8Array> {
  const [nx, ny, nz] = SHAPE;
  const data = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) data[x + nx * (y + ny * z)] = fill(x, y, z);
    }
  }
  return { data, shape: [...SHAPE], spacing: [...SPACING], affine: affineFromSpacing(SPACING) };
}

// Truth: class 1 in the top two depth rows, class 2 below; class 3 nowhere.
const truth = volume((_x, _y, z) => (z < 2 ? 1 : 2));

Deno.test("evaluateSlices() scores each coronal slice on its own, NaN for a class absent from both", () => {
  // Prediction: slice y = 1 gets class 2 one row too high at x = 0.
  const pred = volume((x, y, z) => (y === 1 && x === 0 && z === 1 ? 2 : z < 2 ? 1 : 2));
  const r = evaluateSlices(pred, truth, "coronal", { numClasses: 4, hd95: false });
  assert.equal(r.length, 2); // ny coronal slices
  assert.deepEqual(r.map((s) => [s.direction, s.index]), [["coronal", 0], ["coronal", 1]]);
  assert.deepEqual(r[0]!.dice, [1, 1, NaN]);
  assert.equal(r[0]!.mean, 1);
  // Slice y = 1: class 1 has 5 of 6 pixels predicted, class 2 has 7 predicted for 6 true.
  assert.equal(r[1]!.dice[0], (2 * 5) / (5 + 6));
  assert.equal(r[1]!.dice[1], (2 * 6) / (7 + 6));
  assert.ok(Number.isNaN(r[1]!.dice[2]!));
  assert.equal(r[1]!.mean, (r[1]!.dice[0]! + r[1]!.dice[1]!) / 2);
  assert.ok(r.every((s) => s.hd95.every(Number.isNaN)), "HD95 skipped");
});

Deno.test("evaluateSlices() reads sagittal slices across x and matches dicePerClass on each", () => {
  const pred = volume((x, y, z) => ((x + y + z) % 3 === 0 ? 2 : z < 2 ? 1 : 2));
  const r = evaluateSlices(pred, truth, "sagittal", { numClasses: 3, hd95: false });
  assert.equal(r.length, 3); // nx sagittal slices
  for (const s of r) {
    const p: number[] = [];
    const t: number[] = [];
    for (let z = 0; z < SHAPE[2]; z++) {
      for (let y = 0; y < SHAPE[1]; y++) {
        const i = s.index + SHAPE[0] * (y + SHAPE[1] * z);
        p.push(pred.data[i]!);
        t.push(truth.data[i]!);
      }
    }
    assert.deepEqual(s.dice, dicePerClass(p, t, { numClasses: 3 }).dice);
  }
});

Deno.test("evaluateSlices() measures 2-D HD95 with the depth spacing along rows", () => {
  // Class 1 predicted one depth row too deep everywhere: boundary shift 0.5 mm along rows.
  const pred = volume((_x, _y, z) => (z >= 1 && z < 3 ? 1 : z === 0 ? 0 : 2));
  const r = evaluateSlices(pred, truth, "coronal", { numClasses: 3 });
  for (const s of r) assert.equal(s.hd95[0], 0.5);
});

Deno.test("evaluateSlices() rejects volumes of different shapes", () => {
  const other: Volume = { ...truth, shape: [2, 3, 4] };
  assert.throws(
    () => evaluateSlices(other, truth, "coronal"),
    /Cannot evaluate the slices: prediction and truth shapes differ \(got \[2, 3, 4\] and \[3, 2, 4\]\)/,
  );
});
