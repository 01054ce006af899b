/**
 * Confidence interval of a mean (Student t or percentile bootstrap).
 * @module
 */
import { Rng } from "../engine/rng.ts";
import { quantileSorted } from "./_quantile.ts";
import { cleanSample, meanSd } from "./_sample.ts";
import { studentTQuantile } from "./student_t.ts";

/** Options of {@linkcode meanCI}. */
export interface MeanCIOptions {
  /**
   * Confidence level, in `(0, 1)`.
   * @default {0.95}
   */
  level?: number;
  /**
   * `"t"`: `mean ± t_{(1+level)/2, n−1} · sd / √n` (Student's t with n − 1 degrees of freedom),
   * the interval behind the paper's tables. `"bootstrap"`: the percentile bootstrap, i.e. the
   * `(1−level)/2` and `(1+level)/2` quantiles of the means of `resamples` resamples drawn with
   * replacement (as in the paper's public code).
   * @default {"t"}
   */
  method?: "t" | "bootstrap";
  /**
   * Number of bootstrap resamples (bootstrap only).
   * @default {10000}
   */
  resamples?: number;
  /**
   * Seed of the bootstrap generator (bootstrap only; ignored when `rng` is given).
   * @default {0}
   */
  seed?: number;
  /** Generator for the bootstrap draws (advanced by the call); overrides `seed`. */
  rng?: Rng;
  /**
   * What to do with `NaN` values (e.g. the Dice of a layer absent from a slice): `"error"`
   * throws, `"omit"` leaves them out (and `n` counts the rest).
   * @default {"error"}
   */
  nan?: "error" | "omit";
  /**
   * The range the values can take, e.g. `[0, 1]` for Dice scores: the interval is clipped to
   * it (a t interval of scores near 1 would otherwise reach past 1, or below 0 near 0).
   * @default {no clipping}
   */
  bounds?: readonly [number, number];
}

/** A mean with its confidence interval. */
export interface MeanCI {
  /** Sample mean. */
  mean: number;
  /** Lower bound of the interval. */
  lower: number;
  /** Upper bound of the interval. */
  upper: number;
  /** Number of values used. */
  n: number;
  /** Sample standard deviation (n − 1 denominator). */
  sd: number;
  /** Confidence level of the interval. */
  level: number;
  /** How the interval was computed. */
  method: "t" | "bootstrap";
}

/**
 * Mean of a sample with a confidence interval: Student's t by default, or a seeded percentile
 * bootstrap.
 *
 * @param values The sample (e.g. per-slice Dice scores).
 * @param options See {@linkcode MeanCIOptions}.
 * @returns Mean, interval, n, and sample standard deviation.
 * @throws {RangeError} When fewer than 2 values remain, a value is NaN (without
 *   `nan: "omit"`) or infinite, or an option is out of range.
 * @throws {TypeError} When `values` is not an array of numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanCI } from "./mod.ts";
 * const ci = meanCI([1, 2, 3, 4, 5]);
 * // 3 ± t_{0.975,4} · √2.5 / √5 = 3 ± 2.776445 · 0.707107
 * assert.equal(ci.lower.toFixed(4), "1.0368");
 * assert.equal(ci.upper.toFixed(4), "4.9632");
 * ```
 */
export function meanCI(values: ArrayLike<number>, options: MeanCIOptions = {}): MeanCI {
  const what = "compute a confidence interval";
  const { level = 0.95, method = "t", resamples = 10000, seed = 0, nan = "error" } = options;
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Cannot ${what}: level must be in (0, 1) (got ${level})`);
  }
  if (method !== "t" && method !== "bootstrap") {
    throw new RangeError(
      `Cannot ${what}: method must be "t" or "bootstrap" (got ${JSON.stringify(method)})`,
    );
  }
  if (nan !== "error" && nan !== "omit") {
    throw new RangeError(
      `Cannot ${what}: nan must be "error" or "omit" (got ${JSON.stringify(nan)})`,
    );
  }
  const x = cleanSample(what, "values", values, nan === "omit");
  const n = x.length;
  if (n < 2) {
    throw new RangeError(`Cannot ${what}: need at least 2 values (got ${n})`);
  }
  const bounds = options.bounds;
  if (bounds !== undefined && !(bounds.length === 2 && bounds[0] <= bounds[1])) {
    throw new RangeError(
      `Cannot ${what}: bounds must be [low, high] with low <= high (got ${JSON.stringify(bounds)})`,
    );
  }
  const clip = (v: number) =>
    bounds === undefined ? v : Math.min(bounds[1], Math.max(bounds[0], v));
  const { mean, sd } = meanSd(x);
  if (method === "t") {
    const half = (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
    return { mean, lower: clip(mean - half), upper: clip(mean + half), n, sd, level, method };
  }
  if (!Number.isInteger(resamples) || resamples < 2) {
    throw new RangeError(`Cannot ${what}: resamples must be an integer >= 2 (got ${resamples})`);
  }
  const rng = options.rng ?? new Rng(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    // One 32-bit draw per index: floor(u · n / 2^32) is uniform on 0..n-1 up to n / 2^32.
    for (let i = 0; i < n; i++) s += x[Math.floor((rng.nextUint32() * n) / 4294967296)]!;
    means[r] = s / n;
  }
  means.sort();
  const alpha = 1 - level;
  return {
    mean,
    lower: clip(quantileSorted(means, alpha / 2)),
    upper: clip(quantileSorted(means, 1 - alpha / 2)),
    n,
    sd,
    level,
    method,
  };
}
