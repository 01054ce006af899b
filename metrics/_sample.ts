/**
 * Private helpers: validation and moments of numeric samples.
 * @module
 */

/**
 * Copies a sample into a `Float64Array`, rejecting `NaN` (or dropping it with `omitNaN`) and
 * infinite values.
 */
export function cleanSample(
  what: string,
  name: string,
  values: ArrayLike<number>,
  omitNaN: boolean,
): Float64Array {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new TypeError(`Cannot ${what}: ${name} must be an array of numbers (got ${values})`);
  }
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== "number") {
      throw new TypeError(`Cannot ${what}: ${name}[${i}] is not a number (got ${v})`);
    }
    if (Number.isNaN(v)) {
      if (omitNaN) continue;
      throw new RangeError(
        `Cannot ${what}: ${name}[${i}] is NaN (pass { nan: "omit" } to leave NaN values out)`,
      );
    }
    if (!Number.isFinite(v)) {
      throw new RangeError(`Cannot ${what}: ${name}[${i}] is not finite (got ${v})`);
    }
    out.push(v);
  }
  return Float64Array.from(out);
}

/** Mean and sample standard deviation (n − 1 denominator; two-pass for accuracy). */
export function meanSd(x: Float64Array): { mean: number; sd: number } {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const mean = s / n;
  let ss = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    ss += d * d;
    c += d;
  }
  // Corrected two-pass variance (Chan, Golub & LeVeque).
  const variance = n > 1 ? (ss - (c * c) / n) / (n - 1) : NaN;
  return { mean, sd: Math.sqrt(Math.max(0, variance)) };
}
