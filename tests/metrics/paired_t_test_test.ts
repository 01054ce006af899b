import assert from "node:assert/strict";
import { pairedTTest } from "../../metrics/paired_t_test.ts";

// Student (1908) / Cushny & Peebles: extra hours of sleep under two drugs, same 10 patients.
const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

Deno.test("pairedTTest() reproduces Student's sleep data", () => {
  // d = 1.2 2.4 1.3 1.3 0 1 1.8 0.8 4.6 1.4: mean 1.58, sd 1.229995, se 0.3889587,
  // t = 4.062128, df 9, p = 0.002833, 95% CI 1.58 ± 2.262157 · 0.3889587 = [0.700114, 2.459886].
  const r = pairedTTest(drug2, drug1);
  assert.equal(r.n, 10);
  assert.equal(r.df, 9);
  assert.ok(Math.abs(r.meanDifference - 1.58) < 1e-12);
  assert.equal(r.sdDifference.toFixed(6), "1.229995");
  assert.equal(r.t.toFixed(4), "4.0621");
  assert.equal(r.p.toFixed(6), "0.002833");
  assert.equal(r.ci95.lower.toFixed(6), "0.700114");
  assert.equal(r.ci95.upper.toFixed(6), "2.459886");
  // Swapping the samples flips the sign and keeps p.
  const s = pairedTTest(drug1, drug2);
  assert.ok(Math.abs(s.t + r.t) < 1e-12);
  assert.ok(Math.abs(s.p - r.p) < 1e-15);
  assert.equal(s.ci95.upper.toFixed(6), "-0.700114");
});

Deno.test("pairedTTest() handles constant differences as documented", () => {
  const shifted = pairedTTest([1, 2, 3], [0, 1, 2]);
  assert.equal(shifted.t, Infinity);
  assert.equal(shifted.p, 0);
  const same = pairedTTest([1, 2, 3], [1, 2, 3]);
  assert.ok(Number.isNaN(same.t) && Number.isNaN(same.p));
});

Deno.test("pairedTTest() rejects unequal lengths, fewer than 2 pairs and NaN", () => {
  assert.throws(() => pairedTTest([1, 2, 3], [1, 2]), /same length \(got 3 and 2\)/);
  assert.throws(() => pairedTTest([1], [2]), /need at least 2 pairs \(got 1\)/);
  assert.throws(() => pairedTTest([1, NaN], [2, 3]), /a\[1\] is NaN/);
  assert.throws(() => pairedTTest([1, 2], [2, NaN]), /b\[1\] is NaN/);
});
