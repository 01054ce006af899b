/**
 * Paired two-sided Student t-test.
 * @module
 */
import { cleanSample, meanSd } from "./_sample.ts";
import { studentTCdf, studentTQuantile } from "./student_t.ts";

/** Result of {@linkcode pairedTTest}. */
export interface PairedTTestResult {
  /** t statistic `mean(d) / (sd(d) / √n)` with `d = a − b`. */
  t: number;
  /** Degrees of freedom, `n − 1`. */
  df: number;
  /** Two-sided p-value `P(|T| ≥ |t|)`. */
  p: number;
  /** Number of pairs. */
  n: number;
  /** Mean of the differences `a[i] − b[i]`. */
  meanDifference: number;
  /** Sample standard deviation of the differences (n − 1 denominator). */
  sdDifference: number;
  /** 95% confidence interval of the mean difference (Student t, n − 1 degrees of freedom). */
  ci95: { lower: number; upper: number };
}

/**
 * Paired two-sided t-test of `a` against `b` (e.g. per-slice Dice of two methods on the same
 * slices), as used for the significance marks in the paper's tables. The differences are
 * `a[i] − b[i]` (R's `t.test(a, b, paired = TRUE)`, scipy's `ttest_rel(a, b)`).
 *
 * When all differences are equal the standard deviation is 0: the result has `t = ±Infinity`
 * and `p = 0` if the mean difference is non-zero, and `t = NaN`, `p = NaN` if the samples are
 * identical (as scipy).
 *
 * @param a First sample.
 * @param b Second sample, paired with `a` by index.
 * @returns t, df, two-sided p, mean and sd of the differences and their 95% CI.
 * @throws {TypeError} When the samples differ in length or are not arrays of numbers.
 * @throws {RangeError} When there are fewer than 2 pairs or a value is NaN or infinite.
 *
 * @example Student's (1908) sleep data: extra hours of sleep with two drugs, 10 patients
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairedTTest } from "./mod.ts";
 * const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
 * const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
 * const r = pairedTTest(drug2, drug1);
 * assert.equal(r.t.toFixed(4), "4.0621");
 * assert.equal(r.df, 9);
 * assert.equal(r.p.toFixed(6), "0.002833");
 * ```
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTTestResult {
  const what = "run a paired t-test";
  const x = cleanSample(what, "a", a, false);
  const y = cleanSample(what, "b", b, false);
  if (x.length !== y.length) {
    throw new TypeError(
      `Cannot ${what}: the samples must have the same length (got ${x.length} and ${y.length})`,
    );
  }
  const n = x.length;
  if (n < 2) throw new RangeError(`Cannot ${what}: need at least 2 pairs (got ${n})`);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = x[i]! - y[i]!;
  const { mean, sd } = meanSd(d);
  const df = n - 1;
  const se = sd / Math.sqrt(n);
  let t: number;
  let p: number;
  if (se === 0) {
    t = mean === 0 ? NaN : mean > 0 ? Infinity : -Infinity;
    p = mean === 0 ? NaN : 0;
  } else {
    t = mean / se;
    p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  }
  const half = studentTQuantile(0.975, df) * se;
  return {
    t,
    df,
    p,
    n,
    meanDifference: mean,
    sdDifference: sd,
    ci95: { lower: mean - half, upper: mean + half },
  };
}
