import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { crossEntropyLoss } from "../../losses/cross_entropy.ts";
import { diceLoss } from "../../losses/dice_loss.ts";
import { l1Loss } from "../../losses/l1_loss.ts";
import { leastSquaresAdversarialLoss } from "../../losses/least_squares_adversarial_loss.ts";
import { mseLoss } from "../../losses/mse_loss.ts";
import { assertNoTensorLeak } from "../_helpers.ts";

await initEngine({ backend: "wasm", log: () => {} });

// One image, 1x2 pixels, 2 classes: pixel 0 predicts [0.8, 0.2] (truth 0), pixel 1 [0.4, 0.6] (truth 1).
const probs = () => tf.tensor4d([0.8, 0.2, 0.4, 0.6], [1, 1, 2, 2]);
const labels = () => tf.tensor3d([0, 1], [1, 1, 2], "int32");
const s = 1e-5;

Deno.test("diceLoss() matches hand-computed soft Dice with and without background", () => {
  const p = probs(), y = labels();
  const d0 = (2 * 0.8 + s) / (1.2 + 1 + s);
  const d1 = (2 * 0.6 + s) / (0.8 + 1 + s);
  const withBg = diceLoss(p, y, { fromLogits: false });
  assert.ok(Math.abs(withBg.dataSync()[0]! - (1 - (d0 + d1) / 2)) < 1e-6);
  const noBg = diceLoss(p, y, { fromLogits: false, includeBackground: false });
  assert.ok(Math.abs(noBg.dataSync()[0]! - (1 - d1)) < 1e-6);
  const sq = diceLoss(p, y, { fromLogits: false, squared: true });
  const q0 = (1.6 + s) / (0.64 + 0.16 + 1 + s), q1 = (1.2 + s) / (0.04 + 0.36 + 1 + s);
  assert.ok(Math.abs(sq.dataSync()[0]! - (1 - (q0 + q1) / 2)) < 1e-6);
  tf.dispose([p, y, withBg, noBg, sq]);
});

Deno.test("diceLoss() sample vs batch reduction differ as defined", () => {
  // Two images: the first perfect for class 1, the second has no class 1 at all.
  const p = tf.tensor4d([0, 1, 0, 1, 1, 0, 1, 0], [2, 1, 2, 2]);
  const y = tf.tensor3d([1, 1, 0, 0], [2, 1, 2], "int32");
  // Per sample: image 1: class0 (0+s)/(0+0+s)=1, class1 (4+s)/(4+s)=1; image 2 likewise 1,1.
  const perSample = diceLoss(p, y, { fromLogits: false }).dataSync()[0]!;
  assert.ok(Math.abs(perSample) < 1e-6, `${perSample}`);
  // Batch sums: each class has intersection 2, sums 2+2 -> dice 1.
  const batch = diceLoss(p, y, { fromLogits: false, reduce: "batch" }).dataSync()[0]!;
  assert.ok(Math.abs(batch) < 1e-6);
  // A wrong second image: predicts class 1 where truth is 0.
  const wrong = tf.tensor4d([0, 1, 0, 1, 0, 1, 0, 1], [2, 1, 2, 2]);
  const a = diceLoss(wrong, y, { fromLogits: false }).dataSync()[0]!;
  // image 1: dice0 = s/s = 1, dice1 = 1; image 2: dice0 = s/(2+s) ~ 0, dice1 = s/(2+s) ~ 0
  assert.ok(Math.abs(a - 0.5) < 1e-4, `${a}`);
  const b = diceLoss(wrong, y, { fromLogits: false, reduce: "batch" }).dataSync()[0]!;
  // batch: class0 inter 0, sums 0 + 2 -> ~0; class1 inter 2, sums 4 + 2 -> 4/6
  assert.ok(Math.abs(b - (1 - (0 + 4 / 6) / 2)) < 1e-4, `${b}`);
  tf.dispose([p, y, wrong]);
});

Deno.test("diceLoss() rejects mismatched shapes with the shapes in the message", () => {
  const p = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  const y = tf.zeros([1, 3, 2], "int32");
  assert.throws(
    () => diceLoss(p, y),
    /Cannot compute Dice loss: labels must be .* matching logits \[1,2,2,3\] \(got \[1,3,2\]\)/,
  );
  tf.dispose([p, y]);
});

Deno.test("crossEntropyLoss() equals -mean log p of the true class", () => {
  const logits = tf.log(probs()) as tf.Tensor4D;
  const ce = crossEntropyLoss(logits, labels()).dataSync()[0]!;
  assert.ok(Math.abs(ce - -(Math.log(0.8) + Math.log(0.6)) / 2) < 1e-6);
});

Deno.test("l1Loss(), mseLoss() and leastSquaresAdversarialLoss() on small cases", () => {
  const a = tf.tensor1d([1, -2, 3]), b = tf.tensor1d([0, 0, 1]);
  assert.ok(Math.abs(l1Loss(a, b).dataSync()[0]! - 5 / 3) < 1e-6);
  assert.ok(Math.abs(mseLoss(a, b).dataSync()[0]! - 9 / 3) < 1e-6);
  const scores = tf.tensor4d([0.5, 1.5, 0, 1], [1, 2, 2, 1]);
  assert.ok(
    Math.abs(leastSquaresAdversarialLoss(scores, 1).dataSync()[0]! - (0.25 + 0.25 + 1 + 0) / 4) <
      1e-6,
  );
  assert.ok(
    Math.abs(leastSquaresAdversarialLoss(scores, 0).dataSync()[0]! - (0.25 + 2.25 + 0 + 1) / 4) <
      1e-6,
  );
  assert.throws(
    () => l1Loss(a, tf.zeros([2])),
    /Cannot compute L1 loss: shapes must match \(got \[3\] and \[2\]\)/,
  );
});

Deno.test("losses leak no tensors", async () => {
  const p = probs(), y = labels();
  await assertNoTensorLeak(
    () => {
      diceLoss(p, y).dispose();
      crossEntropyLoss(p, y).dispose();
      l1Loss(p, p).dispose();
    },
    3,
    "losses",
  );
  tf.dispose([p, y]);
});
