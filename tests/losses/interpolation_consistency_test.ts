import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { InterpolationConsistency } from "../../losses/interpolation_consistency.ts";
import type { ConsistencyContext } from "../../losses/consistency_loss.ts";

await initEngine({ backend: "wasm", log: () => {} });

// A tiny "network": logits = [w*x, -w*x], so softmax class 0 = sigmoid(2 w x).
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function context(images: tf.Tensor4D, w: tf.Variable, seed: number): ConsistencyContext {
  return {
    images,
    predict: (x) => tf.concat([tf.mul(x, w), tf.mul(x, tf.neg(w))], 3) as tf.Tensor4D,
    path: "segmentor",
    update: "segmentor",
    rng: new Rng(seed),
    step: 0,
  };
}

Deno.test("InterpolationConsistency.compute() equals the hand-computed eq. 11", () => {
  const x = [0.5, -1, 2, 0.25];
  const images = tf.tensor4d(x, [4, 1, 1, 1]);
  const w = tf.variable(tf.scalar(0.7));
  const ict = new InterpolationConsistency({ alpha: 0.75 });
  const { partner, lambda } = ict.drawMixing(4, new Rng(11));
  // Expected, by hand: p(x) = [sigmoid(1.4 x), 1 - sigmoid(1.4 x)]
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    const l = lambda[i]!, j = partner[i]!;
    assert.ok(l >= 0.5 && l <= 1, "lambda folded to max(l, 1-l)");
    const mixed = l * x[i]! + (1 - l) * x[j]!;
    const pm = sigmoid(1.4 * mixed);
    const target = l * sigmoid(1.4 * x[i]!) + (1 - l) * sigmoid(1.4 * x[j]!);
    sum += 2 * (pm - target) ** 2; // both classes contribute the same squared difference
  }
  const got = ict.compute(context(images, w, 11)).dataSync()[0]!;
  assert.ok(Math.abs(got - sum / 8) < 1e-6, `got ${got}, expected ${sum / 8}`);
  tf.dispose([images, w]);
});

Deno.test("InterpolationConsistency: detachTarget removes the target's share of the gradient", () => {
  const images = tf.tensor4d([0.5, -1, 2, 0.25], [4, 1, 1, 1]);
  const w = tf.variable(tf.scalar(0.7));
  const gradOf = (detach: boolean) => {
    const ict = new InterpolationConsistency({ detachTarget: detach });
    const { grads, value } = tf.variableGrads(() => ict.compute(context(images, w, 3)), [w]);
    const g = grads[w.name]!.dataSync()[0]!;
    tf.dispose([value, grads[w.name]!]);
    return g;
  };
  const full = gradOf(false), detached = gradOf(true);
  assert.ok(Number.isFinite(full) && Number.isFinite(detached));
  assert.notEqual(full, detached);
  // Finite difference of the detached loss w.r.t. the mixed path only equals the detached grad:
  // check the full gradient against a numeric derivative of the full loss instead.
  const loss = (wv: number) => {
    const wt = tf.variable(tf.scalar(wv));
    const v = new InterpolationConsistency().compute(context(images, wt, 3)).dataSync()[0]!;
    wt.dispose();
    return v;
  };
  const h = 1e-3;
  const numeric = (loss(0.7 + h) - loss(0.7 - h)) / (2 * h);
  assert.ok(Math.abs(numeric - full) < 1e-3 * Math.max(1, Math.abs(full)), `${numeric} vs ${full}`);
  tf.dispose([images, w]);
});

Deno.test("InterpolationConsistency: unfolded lambdas cover (0, 1) and halves pairing is fixed", () => {
  const ict = new InterpolationConsistency({ foldLambda: false, pairing: "halves", alpha: 0.2 });
  const rng = new Rng(5);
  let below = 0;
  for (let k = 0; k < 200; k++) {
    const { partner, lambda } = ict.drawMixing(6, rng);
    assert.deepEqual(partner, [3, 4, 5, 0, 1, 2]);
    below += lambda.filter((l) => l < 0.5).length;
  }
  assert.ok(below > 300 && below < 900, `${below} of 1200 below 0.5`);
  assert.throws(() => new InterpolationConsistency({ alpha: 0 }), /alpha must be > 0 \(got 0\)/);
  assert.throws(() => ict.drawMixing(1, rng), /need at least 2 images \(got 1\)/);
});

/** An Rng whose beta and permutation draws are counted. */
function countingRng(seed: number) {
  const rng = new Rng(seed);
  const counts = { beta: 0, permutation: 0 };
  const beta = rng.beta.bind(rng), permutation = rng.permutation.bind(rng);
  rng.beta = (a: number, b: number) => (counts.beta++, beta(a, b));
  rng.permutation = (n: number) => (counts.permutation++, permutation(n));
  return { rng, counts };
}

/** eq. 11 by hand for the 2-class toy network with weight `wv`. */
function handLoss(x: number[], wv: number, partner: number[], lambda: number[]): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const l = lambda[i]!, j = partner[i]!;
    const pm = sigmoid(2 * wv * (l * x[i]! + (1 - l) * x[j]!));
    const target = l * sigmoid(2 * wv * x[i]!) + (1 - l) * sigmoid(2 * wv * x[j]!);
    sum += 2 * (pm - target) ** 2;
  }
  return sum / (2 * x.length);
}

Deno.test("InterpolationConsistency sampling batch: one λ and permutation per step, shared by every term", () => {
  const x = [0.5, -1, 2, 0.25, -0.3, 1.2];
  const images = tf.tensor4d(x, [6, 1, 1, 1]);
  const ws = [0.7, -0.4, 1.3].map((v) => tf.variable(tf.scalar(v)));
  const ict = new InterpolationConsistency(); // the default: GRN's public code
  const { rng, counts } = countingRng(21);
  // The expected draw: a permutation, then ONE folded Beta(0.75, 0.75) for the whole batch.
  const expected = new InterpolationConsistency().drawMixing(6, new Rng(21));
  assert.ok(expected.lambda.every((l) => l === expected.lambda[0]), "one λ per batch");
  assert.ok(expected.lambda[0]! >= 0.5 && expected.lambda[0]! <= 1);
  // Three terms of one iteration (e.g. G's term, S(x), S(G(x))): three prediction paths.
  const ctxOf = (w: tf.Variable, step: number) => ({ ...context(images, w, 0), rng, step });
  ws.forEach((w, k) => {
    const got = ict.compute(ctxOf(w, 4)).dataSync()[0]!;
    const want = handLoss(x, [0.7, -0.4, 1.3][k]!, expected.partner, expected.lambda);
    assert.ok(Math.abs(got - want) < 1e-6, `term ${k}: got ${got}, expected ${want}`);
  });
  assert.deepEqual(counts, { beta: 1, permutation: 1 }, "drawn once for the iteration");
  // The next iteration draws anew (and continues the same generator).
  ict.compute(ctxOf(ws[0]!, 5)).dispose();
  assert.deepEqual(counts, { beta: 2, permutation: 2 });
  // Another image batch in the same step is another draw too.
  const other = tf.tensor4d(x.map((v) => -v), [6, 1, 1, 1]);
  ict.compute({ ...context(other, ws[0]!, 0), rng, step: 5 }).dispose();
  assert.deepEqual(counts, { beta: 3, permutation: 3 });
  tf.dispose([images, other, ...ws]);
});

Deno.test("InterpolationConsistency sampling image: λ per image and a new draw for every term", () => {
  const images = tf.tensor4d([0.5, -1, 2, 0.25], [4, 1, 1, 1]);
  const w = tf.variable(tf.scalar(0.7));
  const ict = new InterpolationConsistency({ sampling: "image" });
  const { rng, counts } = countingRng(8);
  for (let k = 0; k < 3; k++) ict.compute({ ...context(images, w, 0), rng, step: 4 }).dispose();
  assert.deepEqual(counts, { beta: 12, permutation: 3 });
  const { lambda } = ict.drawMixing(4, new Rng(8));
  assert.ok(new Set(lambda).size > 1, "λ differs between images");
  assert.throws(
    () => new InterpolationConsistency({ sampling: "pair" as "image" }),
    /sampling must be "batch" or "image" \(got "pair"\)/,
  );
  tf.dispose([images, w]);
});
