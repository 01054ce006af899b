import assert from "node:assert/strict";
import { dicePerClass } from "../../metrics/dice.ts";

/** An 8x8 image with a 4x4 square of `label` whose top-left corner is at (x0, y0). */
function square(
  x0: number,
  y0: number,
  label = 1,
  into: Uint8Array = new Uint8Array(64),
): Uint8Array {
  for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) into[y * 8 + x] = label;
  return into;
}

Deno.test("dicePerClass() scores two 4x4 squares overlapping by half as 0.5", () => {
  // |P| = |T| = 16, |P ∩ T| = 8 -> 2 * 8 / 32.
  const r = dicePerClass(square(2, 0), square(0, 0), { numClasses: 2 });
  assert.deepEqual(r, { classes: [1], dice: [0.5], mean: 0.5 });
});

Deno.test("dicePerClass() scores each class and averages the present ones", () => {
  const truth = square(0, 0, 1);
  square(4, 4, 2, truth);
  const pred = square(0, 1, 1); // overlap 12 of 16
  square(4, 4, 2, pred);
  const r = dicePerClass(pred, truth, { numClasses: 4 });
  assert.deepEqual(r.classes, [1, 2, 3]);
  assert.equal(r.dice[0], (2 * 12) / 32);
  assert.equal(r.dice[1], 1);
  assert.ok(Number.isNaN(r.dice[2])); // class 3 absent from both
  assert.equal(r.mean, (0.75 + 1) / 2);
});

Deno.test("dicePerClass() applies emptyScore only when a class is absent from both", () => {
  const truth = square(0, 0, 1);
  const pred = square(0, 0, 1);
  pred[63] = 2; // class 2 only in the prediction -> 0, not emptyScore
  const withOne = dicePerClass(pred, truth, { numClasses: 4, emptyScore: 1 });
  assert.deepEqual(withOne.dice, [(2 * 16) / 32, 0, 1]);
  assert.equal(withOne.mean, 2 / 3);
  const r = dicePerClass(pred, truth, { numClasses: 4 });
  assert.deepEqual(r.dice.slice(0, 2), [1, 0]);
  assert.equal(r.mean, 0.5);
  const none = dicePerClass(new Uint8Array(4), new Uint8Array(4), { numClasses: 3 });
  assert.ok(Number.isNaN(none.mean));
});

Deno.test("dicePerClass() defaults to the six tissue layers and honours classes", () => {
  const truth = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 6]);
  const pred = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 0]);
  const r = dicePerClass(pred, truth);
  assert.deepEqual(r.classes, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(r.dice, [1, 1, 1, 1, 1, (2 * 1) / 3]);
  const some = dicePerClass(pred, truth, { classes: [0, 6] });
  assert.deepEqual(some.dice, [(2 * 1) / 3, (2 * 1) / 3]);
});

Deno.test("dicePerClass() rejects mismatched lengths and bad labels", () => {
  assert.throws(() => dicePerClass(new Uint8Array(3), new Uint8Array(4)), TypeError);
  assert.throws(
    () => dicePerClass(new Uint8Array([7]), new Uint8Array([0])),
    /prediction holds a label outside the integers 0\.\.6 \(got 7\)/,
  );
  assert.throws(() => dicePerClass(new Float32Array([0.5]), new Uint8Array([0])), RangeError);
  assert.throws(() => dicePerClass([0], [0], { numClasses: 1 }), RangeError);
  assert.throws(() => dicePerClass([0], [0], { classes: [9] }), RangeError);
});
