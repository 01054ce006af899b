import assert from "node:assert/strict";
import { studentTCdf, studentTQuantile } from "../../metrics/student_t.ts";

Deno.test("studentTQuantile() reproduces textbook two-sided 95% critical values", () => {
  const table: [number, string][] = [
    [1, "12.706"],
    [2, "4.303"],
    [5, "2.5706"],
    [10, "2.2281"],
    [30, "2.0423"],
    [Infinity, "1.9600"],
  ];
  for (const [df, expected] of table) {
    const digits = expected.split(".")[1]!.length;
    assert.equal(studentTQuantile(0.975, df).toFixed(digits), expected, `df ${df}`);
  }
  // More digits: t_{0.975,1} = tan(0.475 π); t_{0.995,9} = 3.249836; z_{0.995} = 2.575829.
  assert.ok(Math.abs(studentTQuantile(0.975, 1) - Math.tan(0.475 * Math.PI)) < 1e-11);
  assert.ok(Math.abs(studentTQuantile(0.995, 9) - 3.2498355415921263) < 1e-10);
  assert.ok(Math.abs(studentTQuantile(0.995, Infinity) - 2.5758293035489004) < 1e-10);
  // Large df approaches the normal quantile.
  assert.ok(Math.abs(studentTQuantile(0.975, 1e7) - 1.959963984540054) < 1e-6);
});

Deno.test("studentTCdf() matches the closed forms for 1 and 2 degrees of freedom", () => {
  for (const t of [-30, -3, -0.5, 0, 0.7, 2, 12.706]) {
    const cauchy = 0.5 + Math.atan(t) / Math.PI;
    const two = 0.5 + t / (2 * Math.sqrt(2 + t * t));
    assert.ok(Math.abs(studentTCdf(t, 1) - cauchy) < 1e-14, `df 1, t ${t}`);
    assert.ok(Math.abs(studentTCdf(t, 2) - two) < 1e-14, `df 2, t ${t}`);
  }
  // Far tail keeps relative precision: P(T < −1e4) for df 1 ≈ 1 / (π · 1e4).
  const tail = studentTCdf(-1e4, 1);
  assert.ok(Math.abs(tail / (Math.atan(1e-4) / Math.PI) - 1) < 1e-10, `${tail}`);
});

Deno.test("studentTQuantile() inverts studentTCdf() across p and df, symmetrically", () => {
  for (const df of [0.5, 1, 3, 9, 29.5, 200]) {
    for (const p of [1e-8, 0.001, 0.05, 0.3, 0.5, 0.8, 0.975, 0.9999]) {
      const t = studentTQuantile(p, df);
      const back = studentTCdf(t, df);
      assert.ok(Math.abs(back - p) <= 1e-12 * Math.max(p, 1e-3), `df ${df} p ${p}: ${back}`);
      // 1 − p is rounded (relative error up to ~1e-8 in the tail for p = 1e-8), hence 1e-7.
      assert.ok(Math.abs(studentTQuantile(1 - p, df) + t) <= 1e-7 * Math.max(1, Math.abs(t)));
    }
  }
  assert.equal(studentTQuantile(0, 4), -Infinity);
  assert.equal(studentTQuantile(1, 4), Infinity);
});

Deno.test("studentTCdf() and studentTQuantile() reject bad arguments", () => {
  assert.throws(() => studentTCdf(1, 0), /degrees of freedom must be positive/);
  assert.throws(() => studentTQuantile(0.5, -1), RangeError);
  assert.throws(() => studentTQuantile(1.5, 3), /p must be in \[0, 1\] \(got 1.5\)/);
  assert.throws(() => studentTQuantile(NaN, 3), RangeError);
});
