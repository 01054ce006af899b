/**
 * Private helpers for checking label volumes against the label set 0..6.
 *
 * @module
 */

/** Highest valid label value. */
export const MAX_LABEL = 6;

/**
 * Every distinct value outside the integer label set `0..6` with its voxel count, sorted by
 * value. NaN voxels are not included (count them with {@linkcode countNonFinite}).
 */
export function labelOutliers(data: ArrayLike<number>): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === 0 || v === 1 || v === 2 || v === 3 || v === 4 || v === 5 || v === 6) continue;
    if (Number.isNaN(v)) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

/** Counts NaN and infinite values. */
export function countNonFinite(data: ArrayLike<number>): { nan: number; infinite: number } {
  let nan = 0;
  let infinite = 0;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v - v !== 0) {
        if (Number.isNaN(v)) nan++;
        else infinite++;
      }
    }
  }
  return { nan, infinite };
}

/** Copies label values (checked to be integers 0..6 beforehand) into a `Uint8Array`. */
export function toLabelArray(data: ArrayLike<number>): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]!;
  return out;
}
