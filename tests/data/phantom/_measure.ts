/**
 * Measurement helpers for the phantom tests: per-column layer thickness and per-label statistics.
 * @module
 */
import type { Volume } from "../../../data/volume.ts";

/** Number of voxels of `label` in every depth column (`nx * ny` counts, x fastest). */
export function columnCounts(labels: Volume<Uint8Array>, label: number): Int32Array {
  const [nx, ny, nz] = labels.shape;
  const columns = nx * ny;
  const out = new Int32Array(columns);
  for (let z = 0; z < nz; z++) {
    for (let c = 0; c < columns; c++) if (labels.data[c + columns * z] === label) out[c]!++;
  }
  return out;
}

/** Mean and variance of `values` over the voxels where `labels` equals `label`. */
export function labelStats(
  values: Float32Array,
  labels: Uint8Array,
  label: number,
): { mean: number; variance: number; count: number } {
  let s = 0, s2 = 0, n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== label) continue;
    s += values[i]!;
    s2 += values[i]! * values[i]!;
    n++;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean, count: n };
}

/** Contrast-to-noise ratio of label `a` against label `b`: `(mean_a - mean_b) / sqrt(var_a + var_b)`. */
export function cnr(values: Float32Array, labels: Uint8Array, a: number, b: number): number {
  const sa = labelStats(values, labels, a);
  const sb = labelStats(values, labels, b);
  return (sa.mean - sb.mean) / Math.sqrt(sa.variance + sb.variance);
}
