import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { UncertaintyAwareMeanTeacher } from "../../losses/uncertainty_aware_mean_teacher.ts";
import { FakeSegmentor, p0 } from "./_fake_nets.ts";
import { parts } from "./_parts.ts";

await initEngine({ backend: "wasm", log: () => {} });

const entropy = (p: number[]) => -p.reduce((s, v) => s + v * Math.log(v + 1e-6), 0);

Deno.test("UAMT threshold τ(t) = (0.75 + 0.25·sigmoidRampup(t, T))·ln 2 (ln C when corrected)", () => {
  const uamt = new UncertaintyAwareMeanTeacher();
  assert.ok(Math.abs(uamt.threshold(0, 7) - (0.75 + 0.25 * Math.exp(-5)) * Math.LN2) < 1e-12);
  assert.ok(Math.abs(uamt.threshold(0, 7) - 0.521) < 1e-3);
  assert.equal(uamt.threshold(30000, 7), Math.LN2);
  const corrected = new UncertaintyAwareMeanTeacher({
    multiClassCorrection: true,
    thresholdRamp: (t) => t / 10,
  });
  assert.ok(Math.abs(corrected.threshold(10, 7) - Math.log(7)) < 1e-12);
  assert.ok(Math.abs(corrected.threshold(0, 7) - 0.75 * Math.log(7)) < 1e-12);
  assert.throws(() => new UncertaintyAwareMeanTeacher({ passes: 0 }), /passes must be a positive/);
});

Deno.test("UAMT thresholdEntropy ln-classes scales τ to ln C and keeps the 2·Σm normaliser", () => {
  const lnC = new UncertaintyAwareMeanTeacher({
    thresholdEntropy: "ln-classes",
    thresholdRamp: () => 0,
  });
  assert.ok(Math.abs(lnC.threshold(0, 7) - 0.75 * Math.log(7)) < 1e-12); // 1.459
  const ln2 = new UncertaintyAwareMeanTeacher({ thresholdRamp: () => 0 });
  assert.ok(Math.abs(ln2.threshold(0, 7) - 0.75 * Math.LN2) < 1e-12); // 0.520
  // A pixel with entropy 0.73 (3 classes) is masked under 0.75·ln 2 but kept under 0.75·ln 3.
  const pBar = [0.75, 0.15, 0.1], q = [0.2, 0.5, 0.3], p = [0.1, 0.1, 0.8];
  const t = (a: number[]) => tf.tensor4d(a, [1, 1, 1, 3]);
  const [tp, tq, tb] = [t(p), t(q), t(pBar)];
  assert.ok(entropy(pBar) > ln2.threshold(0, 3) && entropy(pBar) < lnC.threshold(0, 3));
  assert.equal(ln2.maskedConsistency(tp, tq, tb, ln2.threshold(0, 3)).dataSync()[0], 0);
  const kept = lnC.maskedConsistency(tp, tq, tb, lnC.threshold(0, 3)).dataSync()[0]!;
  const expected = ((0.1 - 0.2) ** 2 + (0.1 - 0.5) ** 2 + (0.8 - 0.3) ** 2) / 2; // / (2·Σm)
  assert.ok(Math.abs(kept - expected) < 1e-6, `got ${kept}, expected ${expected}`);
  assert.throws(
    () => new UncertaintyAwareMeanTeacher({ thresholdEntropy: "ln3" as "ln2" }),
    /thresholdEntropy must be "ln2" or "ln-classes" \(got "ln3"\)/,
  );
  tf.dispose([tp, tq, tb]);
});

Deno.test("UAMT mask: pixels whose MC entropy reaches τ drop out; sum / (2·Σm)", () => {
  const uamt = new UncertaintyAwareMeanTeacher();
  // Two pixels, three classes: a confident one (entropy 0.394) and an uncertain one (1.09).
  const pBar = [[0.9, 0.05, 0.05], [0.4, 0.3, 0.3]];
  const q = [[0.8, 0.1, 0.1], [0.2, 0.5, 0.3]];
  const p = [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]];
  const tau = uamt.threshold(0, 3);
  assert.ok(entropy(pBar[0]!) < tau && entropy(pBar[1]!) > tau);
  const t = (a: number[][]) => tf.tensor4d(a.flat(), [1, 1, 2, 3]);
  const [tp, tq, tb] = [t(p), t(q), t(pBar)];
  const got = uamt.maskedConsistency(tp, tq, tb, tau).dataSync()[0]!;
  const expected = ((0.6 - 0.8) ** 2 + (0.3 - 0.1) ** 2 + 0) / (2 * 1 + 1e-16);
  assert.ok(Math.abs(got - expected) < 1e-6, `got ${got}, expected ${expected}`);
  // Everything masked: 0, not NaN.
  assert.equal(uamt.maskedConsistency(tp, tq, tb, 0.1).dataSync()[0], 0);
  // Corrected: divide by C·Σm, threshold ln 3.
  const corrected = new UncertaintyAwareMeanTeacher({ multiClassCorrection: true });
  const both = corrected.maskedConsistency(tp, tq, tb, 1.5).dataSync()[0]!;
  const all = p.flat().reduce((s, v, i) => s + (v - q.flat()[i]!) ** 2, 0);
  assert.ok(Math.abs(both - all / (3 * 2)) < 1e-6);
  tf.dispose([tp, tq, tb]);
});

Deno.test("UAMT.compute(): T teacher passes set the mask, one pass is the target", () => {
  const student = new FakeSegmentor([1, 0]);
  const uamt = new UncertaintyAwareMeanTeacher({ noiseStd: 0, passes: 3 });
  parts(uamt).attach({ segmentor: student, generator: null });
  student.set([0.5, 0.5]); // student: p = [0.5, 0.5] everywhere
  (uamt.teacher!.segmentor as FakeSegmentor).set([4, -4]);
  // Teacher: p0 = sigmoid(8x); x = 1 is confident (kept), x = 0.05 is not (masked at t = 0).
  const xs = [1, 0.05];
  const images = tf.tensor4d(xs, [2, 1, 1, 1]);
  const t = p0(1, [4, -4]);
  assert.ok(
    entropy([t, 1 - t]) < 0.52 && entropy([p0(0.05, [4, -4]), 1 - p0(0.05, [4, -4])]) > 0.52,
  );
  const got = uamt.compute({
    images,
    predict: (x) => student.apply(x),
    path: "segmentor",
    update: "segmentor",
    rng: new Rng(1),
    step: 0,
  }).dataSync()[0]!;
  const expected = 2 * (0.5 - t) ** 2 / 2;
  assert.ok(Math.abs(got - expected) < 1e-6, `got ${got}, expected ${expected}`);
  images.dispose();
  parts(uamt).dispose();
  student.dispose();
});
