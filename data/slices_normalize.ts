/**
 * Per-volume robust intensity normalisation to `[-1, 1]` (the generator has a tanh output).
 *
 * @module
 */

/** Default lower and upper percentiles of the robust intensity window. */
export const DEFAULT_PERCENTILES: readonly [number, number] = [0.5, 99.5];

/**
 * Robust intensity window of a volume: the given percentiles of its finite values, with linear
 * interpolation between order statistics (position `p / 100 * (n - 1)` in the sorted values,
 * as numpy's default). When the two percentiles coincide (a nearly constant volume) the window
 * falls back to the full minimum and maximum.
 *
 * @param data Voxel intensities.
 * @param percentiles `[low, high]` in percent, `0 <= low < high <= 100`. @default {[0.5, 99.5]}
 * @returns `[low, high]` intensity bounds (`low === high` only for a constant volume).
 * @throws {RangeError} When the percentiles are out of order or range, or `data` holds no
 *   finite value.
 */
export function robustWindow(
  data: ArrayLike<number>,
  percentiles: readonly [number, number] = DEFAULT_PERCENTILES,
): [number, number] {
  const [pLow, pHigh] = percentiles;
  if (!(pLow >= 0 && pHigh <= 100 && pLow < pHigh)) {
    throw new RangeError(
      `Cannot compute an intensity window: percentiles must satisfy 0 <= low < high <= 100 (got ${
        JSON.stringify(percentiles)
      })`,
    );
  }
  let n = 0;
  const sorted = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isFinite(v)) sorted[n++] = v;
  }
  if (n === 0) {
    throw new RangeError(
      `Cannot compute an intensity window: the volume holds no finite value (got ${data.length} voxels)`,
    );
  }
  const values = sorted.subarray(0, n).sort();
  const at = (p: number): number => {
    const pos = (p / 100) * (n - 1);
    const i = Math.floor(pos);
    const f = pos - i;
    const a = values[i]!;
    return f === 0 || i + 1 >= n ? a : a + (values[i + 1]! - a) * f;
  };
  const low = at(pLow);
  const high = at(pHigh);
  if (high > low) return [low, high];
  return [values[0]!, values[n - 1]!];
}

/**
 * Maps intensities linearly so that `low -> -1` and `high -> 1`, clipping to `[-1, 1]`.
 * Non-finite values become `-1`, except that a degenerate window (`high <= low`, a constant
 * volume) maps everything to 0.
 *
 * @param data Input intensities.
 * @param window `[low, high]`, e.g. from {@linkcode robustWindow}.
 * @param out Destination of the same length. @default {a new Float32Array}
 * @returns `out`.
 */
export function applyWindow(
  data: ArrayLike<number>,
  window: readonly [number, number],
  out: Float32Array = new Float32Array(data.length),
): Float32Array {
  const [low, high] = window;
  if (out.length !== data.length) {
    throw new RangeError(
      `Cannot normalise intensities: output length must be ${data.length} (got ${out.length})`,
    );
  }
  if (!(high > low)) {
    out.fill(0);
    return out;
  }
  const scale = 2 / (high - low);
  for (let i = 0; i < data.length; i++) {
    const v = (data[i]! - low) * scale - 1;
    out[i] = v > 1 ? 1 : v >= -1 ? v : -1; // NaN fails both tests and becomes -1.
  }
  return out;
}
