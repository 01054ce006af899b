/**
 * Private helper: sample quantiles with linear interpolation.
 * @module
 */

/**
 * Quantile `q` in `[0, 1]` of an ascending-sorted array with linear interpolation between
 * order statistics (numpy's default "linear", Hyndman & Fan type 7): position `(n - 1) q`.
 * Returns `NaN` for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const frac = pos - lo;
  if (frac === 0 || a === b) return a;
  return a + (b - a) * frac;
}
