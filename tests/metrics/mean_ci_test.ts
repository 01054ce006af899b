import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { meanCI } from "../../metrics/mean_ci.ts";

Deno.test("meanCI() gives the hand-computed t interval of a small sample", () => {
  // x = 2, 4, 4, 5, 7, 8: mean 5, deviations −3 −1 −1 0 2 3, SS = 24, sd = √(24/5) = 2.190890.
  // t_{0.975,5} = 2.570582, se = sd / √6 = 0.894427, half-width = 2.299198.
  const ci = meanCI([2, 4, 4, 5, 7, 8]);
  assert.equal(ci.mean, 5);
  assert.equal(ci.n, 6);
  assert.ok(Math.abs(ci.sd - Math.sqrt(24 / 5)) < 1e-14);
  assert.equal(ci.lower.toFixed(5), (5 - 2.299198).toFixed(5));
  assert.equal(ci.upper.toFixed(5), (5 + 2.299198).toFixed(5));
  assert.equal(ci.method, "t");
  assert.equal(ci.level, 0.95);
  // 90%: t_{0.95,5} = 2.015048 -> half-width 1.802305.
  const ci90 = meanCI([2, 4, 4, 5, 7, 8], { level: 0.9 });
  assert.equal(ci90.upper.toFixed(5), (5 + 1.802305).toFixed(5));
});

Deno.test("meanCI() omits NaN only when asked", () => {
  assert.throws(() => meanCI([1, NaN, 3]), /values\[1\] is NaN/);
  const ci = meanCI([1, NaN, 3], { nan: "omit" });
  assert.equal(ci.n, 2);
  assert.equal(ci.mean, 2);
  // n = 2: sd = √2, half-width = t_{0.975,1} · √2 / √2 = 12.706205.
  assert.equal((ci.upper - ci.mean).toFixed(5), "12.70620");
});

Deno.test("meanCI() bootstrap is seeded, brackets the mean and agrees with t on a large sample", () => {
  const rng = new Rng(1);
  const x = Array.from({ length: 400 }, () => rng.normal(10, 2));
  const t = meanCI(x);
  const b1 = meanCI(x, { method: "bootstrap", seed: 3, resamples: 4000 });
  const b2 = meanCI(x, { method: "bootstrap", seed: 3, resamples: 4000 });
  const b3 = meanCI(x, { method: "bootstrap", seed: 4, resamples: 4000 });
  assert.deepEqual(b1, b2);
  assert.notEqual(b1.lower, b3.lower);
  assert.equal(b1.method, "bootstrap");
  assert.ok(b1.lower < b1.mean && b1.mean < b1.upper);
  // Both widths estimate 2 · 1.96 · 2 / √400 ≈ 0.39; they agree within 10 %.
  const wt = t.upper - t.lower;
  const wb = b1.upper - b1.lower;
  assert.ok(Math.abs(wb / wt - 1) < 0.1, `bootstrap width ${wb} vs t width ${wt}`);
  // A caller-supplied generator is used (and advanced).
  const g = new Rng(3);
  assert.deepEqual(meanCI(x, { method: "bootstrap", rng: g, resamples: 4000 }), b1);
  assert.notDeepEqual(meanCI(x, { method: "bootstrap", rng: g, resamples: 4000 }), b1);
});

Deno.test("meanCI() rejects too few values and bad options", () => {
  assert.throws(() => meanCI([1]), /need at least 2 values \(got 1\)/);
  assert.throws(() => meanCI([NaN, NaN, 1], { nan: "omit" }), RangeError);
  assert.throws(() => meanCI([1, Infinity]), /not finite/);
  assert.throws(() => meanCI([1, 2], { level: 1 }), RangeError);
  assert.throws(() => meanCI([1, 2], { method: "bootstrap", resamples: 1 }), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => meanCI([1, 2], { method: "bca" as any }), RangeError);
});

Deno.test("meanCI() clips the interval to bounds (Dice CIs stay within [0, 1])", () => {
  const near0 = [0, 0, 0, 0.3];
  const open = meanCI(near0);
  assert.ok(open.lower < 0, "the unclipped t interval goes below 0");
  const ci = meanCI(near0, { bounds: [0, 1] });
  assert.equal(ci.lower, 0);
  assert.equal(ci.upper, open.upper);
  assert.equal(ci.mean, open.mean);
  const near1 = meanCI([1, 1, 0.7], { bounds: [0, 1] });
  assert.equal(near1.upper, 1);
  const boot = meanCI(near0, { bounds: [0, 1], method: "bootstrap", resamples: 200 });
  assert.ok(boot.lower >= 0 && boot.upper <= 1);
  assert.throws(() => meanCI(near0, { bounds: [1, 0] }), {
    name: "RangeError",
    message:
      "Cannot compute a confidence interval: bounds must be [low, high] with low <= high (got [1,0])",
  });
});
