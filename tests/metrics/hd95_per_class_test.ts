import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { hausdorffDistance95 } from "../../metrics/hausdorff_distance_95.ts";
import { hd95PerClass } from "../../metrics/hd95_per_class.ts";

Deno.test("hd95PerClass() equals hausdorffDistance95() on each class mask", () => {
  const rng = new Rng(3);
  const shape = [5, 6, 7];
  const spacing = [0.7, 0.2, 1.1];
  const size = 5 * 6 * 7;
  // Layered labels 1..4 along the first axis with random jitter, truth vs a perturbed copy.
  const truth = new Uint8Array(size);
  const pred = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const z = Math.floor(i / 42);
    truth[i] = Math.min(4, 1 + Math.floor(z * 0.8));
    pred[i] = rng.float() < 0.85 ? truth[i]! : rng.int(5);
  }
  for (const order of ["C", "F"] as const) {
    const r = hd95PerClass(pred, truth, shape, spacing, { numClasses: 5, order });
    assert.deepEqual(r.classes, [1, 2, 3, 4]);
    r.classes.forEach((c, k) => {
      const bp = pred.map((v) => (v === c ? 1 : 0));
      const bt = truth.map((v) => (v === c ? 1 : 0));
      assert.equal(r.hd95[k], hausdorffDistance95(bp, bt, shape, spacing, { order }));
    });
    const finite = r.hd95.filter((v) => !Number.isNaN(v));
    assert.equal(r.mean, finite.reduce((a, b) => a + b, 0) / finite.length);
  }
});

Deno.test("hd95PerClass() leaves classes absent from both out of the mean", () => {
  const truth = new Uint8Array([1, 1, 0, 0, 0, 0]);
  const pred = new Uint8Array([1, 1, 0, 0, 0, 0]);
  const r = hd95PerClass(pred, truth, [3, 2], [1, 1], { numClasses: 3 });
  assert.equal(r.hd95[0], 0);
  assert.ok(Number.isNaN(r.hd95[1]));
  assert.equal(r.mean, 0);
  const missed = hd95PerClass(pred, new Uint8Array([1, 1, 2, 0, 0, 0]), [3, 2], [1, 1], {
    numClasses: 3,
    emptyOne: "diagonal",
  });
  assert.equal(missed.hd95[1], Math.hypot(2, 1));
});

Deno.test("hd95PerClass() rejects labels outside the class range", () => {
  assert.throws(
    () => hd95PerClass(new Uint8Array([9, 0]), new Uint8Array([0, 0]), [2], [1]),
    /prediction holds a label outside the integers 0\.\.6 \(got 9\)/,
  );
});
