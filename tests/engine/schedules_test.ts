import assert from "node:assert/strict";
import {
  cosineRampdown,
  emaDecay,
  learningRateFactor,
  linearRampup,
  sigmoidConsistencyWeight,
  sigmoidRampup,
} from "../../engine/schedules.ts";

const near = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

Deno.test("sigmoidRampup: exp(-5(1 - x/L)²), clipped, 1 for L = 0", () => {
  near(sigmoidRampup(0, 200), Math.exp(-5));
  near(sigmoidRampup(100, 200), Math.exp(-1.25));
  near(sigmoidRampup(200, 200), 1);
  near(sigmoidRampup(500, 200), 1);
  near(sigmoidRampup(-3, 200), Math.exp(-5));
  near(sigmoidRampup(7, 0), 1);
  assert.throws(() => sigmoidRampup(1, -1), /length must be a finite number >= 0 \(got -1\)/);
});

Deno.test("linearRampup and cosineRampdown", () => {
  near(linearRampup(5, 20), 0.25);
  near(linearRampup(-1, 20), 0);
  near(linearRampup(40, 20), 1);
  near(linearRampup(3, 0), 1);
  near(cosineRampdown(0, 10), 1);
  near(cosineRampdown(5, 10), 0.5);
  near(cosineRampdown(10, 10), 0);
  near(cosineRampdown(2.5, 10), 0.5 * (Math.cos(Math.PI / 4) + 1));
  near(cosineRampdown(12, 10), 0);
  assert.throws(() => cosineRampdown(1, NaN), /length must be a finite number/);
});

Deno.test("emaDecay: min(1 - 1/(t+1), decay)", () => {
  near(emaDecay(0, 0.99), 0);
  near(emaDecay(1, 0.99), 0.5);
  near(emaDecay(3, 0.99), 0.75);
  near(emaDecay(98, 0.99), 1 - 1 / 99);
  near(emaDecay(99, 0.99), 0.99);
  near(emaDecay(10000, 0.99), 0.99);
  near(emaDecay(5, 0), 0);
  assert.throws(() => emaDecay(-1, 0.99), /step must be >= 0 \(got -1\)/);
  assert.throws(() => emaDecay(1, 1.1), /decay must be in \[0, 1\] \(got 1.1\)/);
});

Deno.test("sigmoidConsistencyWeight: SSL4MIS's w(t) = 0.1·sigmoidRampup(floor(t/150), 200)", () => {
  const w = sigmoidConsistencyWeight();
  // The reference values of ssl_baselines.md §0.
  near(w(0), 6.7e-4, 1e-5);
  near(w(7500), 0.0060, 1e-4);
  near(w(15000), 0.0287, 1e-4);
  near(w(22500), 0.0732, 1e-4);
  near(w(30000), 0.1);
  assert.equal(w(149), w(0), "constant within a pseudo-epoch");
  assert.ok(w(150) > w(149));
  // A 600-iteration run: pseudo-epochs of 3 iterations, the ramp ends with the run.
  const short = sigmoidConsistencyWeight({ weight: 4, rampIterations: 600 });
  near(short(300), 4 * Math.exp(-1.25));
  near(short(600), 4);
  assert.equal(short(2), short(0));
  const custom = sigmoidConsistencyWeight({ weight: 0.01, rampLength: 40, pseudoEpochLength: 150 });
  near(custom(20 * 150), 0.01 * Math.exp(-1.25));
  near(sigmoidConsistencyWeight({ weight: 2, rampIterations: 0 })(0), 2);
  assert.throws(
    () => sigmoidConsistencyWeight({ weight: -1 }),
    /weight must be a finite number >= 0/,
  );
  assert.throws(
    () => sigmoidConsistencyWeight({ pseudoEpochLength: 0 }),
    /pseudoEpochLength must be > 0 \(got 0\)/,
  );
});

Deno.test("learningRateFactor step: StepLR(10, 0.1) stepped per epoch (GRN's public code)", () => {
  const o = { iterationsPerEpoch: 25 };
  // Epoch e = floor(t / 25): epochs 0-9 at 1, 10-19 at 0.1, 20-29 at 0.01.
  assert.equal(learningRateFactor("step", 0, o), 1);
  assert.equal(learningRateFactor("step", 249, o), 1); // last iteration of epoch 9
  assert.equal(learningRateFactor("step", 250, o), 0.1); // first of epoch 10
  assert.equal(learningRateFactor("step", 499, o), 0.1);
  near(learningRateFactor("step", 500, o), 0.01);
  near(learningRateFactor("step", 1249, o), 1e-4); // epoch 49
  // Custom step and gamma: halve every 2 epochs of 3 iterations.
  const c = { iterationsPerEpoch: 3, stepEpochs: 2, gamma: 0.5 };
  assert.deepEqual(
    [0, 5, 6, 11, 12].map((t) => learningRateFactor("step", t, c)),
    [1, 1, 0.5, 0.5, 0.25],
  );
});

Deno.test("learningRateFactor poly: (1 - t/T)^0.9 (SSL4MIS)", () => {
  const o = { totalIterations: 30000 };
  assert.equal(learningRateFactor("poly", 0, o), 1);
  near(learningRateFactor("poly", 15000, o), Math.pow(0.5, 0.9)); // 0.53589...
  near(learningRateFactor("poly", 15000, o), 0.5358867312681466);
  near(learningRateFactor("poly", 29999, o), Math.pow(1 / 30000, 0.9));
  assert.equal(learningRateFactor("poly", 30000, o), 0);
  assert.equal(learningRateFactor("poly", 40000, o), 0, "clamped past the plan");
  near(learningRateFactor("poly", 3, { totalIterations: 4, power: 2 }), 0.0625);
  assert.equal(learningRateFactor("none", 12345), 1);
});

Deno.test("learningRateFactor rejects bad schedules with clear messages", () => {
  assert.throws(
    () => learningRateFactor("step", 3),
    /"step" learning rate: iterationsPerEpoch must be a finite number > 0 \(got undefined\)/,
  );
  assert.throws(
    () => learningRateFactor("poly", 3, { totalIterations: 0 }),
    /totalIterations must be a finite number > 0 \(got 0\)/,
  );
  assert.throws(() => learningRateFactor("poly", -1, { totalIterations: 5 }), /step must be >= 0/);
  assert.throws(
    () => learningRateFactor("cosine" as "poly", 0),
    /schedule must be "none", "step" or "poly" \(got "cosine"\)/,
  );
  assert.throws(
    () => learningRateFactor("step", 0, { iterationsPerEpoch: 2, gamma: 2 }),
    /gamma must be in \[0, 1\] \(got 2\)/,
  );
});

Deno.test("schedules: trainers/schedules.ts still exports every schedule, the same functions", async () => {
  const engine = await import("../../engine/schedules.ts");
  const trainers = await import("../../trainers/schedules.ts");
  assert.deepEqual(Object.keys(trainers).sort(), Object.keys(engine).sort());
  for (const [name, value] of Object.entries(engine)) {
    assert.equal((trainers as Record<string, unknown>)[name], value, name);
  }
});
