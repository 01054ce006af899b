/**
 * Private core of the Hausdorff-type surface distances, shared by the binary and the per-class
 * functions.
 * @module
 */
import { squaredEdtInPlace } from "./_edt.ts";
import { type Grid, stridesOf } from "./_grid.ts";
import { quantileSorted } from "./_quantile.ts";
import { innerBoundary } from "./_surface.ts";
import type { HausdorffOptions } from "./hausdorff_options.ts";

/** How the two directed distance sets are combined. */
export type SurfaceDistanceMode = "max" | "pooled";

/** Resolved options of the surface-distance core. */
export interface SurfaceDistanceSettings {
  percentile: number;
  mode: SurfaceDistanceMode;
  emptyBoth: number;
  emptyOne: number;
}

/** Per-label bounding boxes (`lo`/`hi` per axis) of the voxels of `pred` or `truth` per label. */
export interface LabelBoxes {
  lo: Int32Array;
  hi: Int32Array;
}

/** The grid diagonal in spacing units: the largest distance between two voxel centres. */
export function gridDiagonal(grid: Grid): number {
  let s = 0;
  for (let a = 0; a < grid.shape.length; a++) {
    const d = (grid.shape[a]! - 1) * grid.spacing[a]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * One pass over both label maps: per-label bounding box (union of prediction and truth) on the
 * row-major grid. Labels are validated by `check`.
 */
export function labelBoxes(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  grid: Grid,
  numLabels: number,
  check: (value: number, which: string) => void,
): LabelBoxes {
  const rank = grid.shape.length;
  const lo = new Int32Array(numLabels * rank).fill(2147483647);
  const hi = new Int32Array(numLabels * rank).fill(-1);
  const coord = new Int32Array(rank);
  for (let i = 0; i < grid.size; i++) {
    const p = pred[i]!;
    const t = truth[i]!;
    check(p, "prediction");
    check(t, "truth");
    for (let a = 0; a < rank; a++) {
      const c = coord[a]!;
      const ip = p * rank + a;
      if (c < lo[ip]!) lo[ip] = c;
      if (c > hi[ip]!) hi[ip] = c;
      if (t !== p) {
        const it = t * rank + a;
        if (c < lo[it]!) lo[it] = c;
        if (c > hi[it]!) hi[it] = c;
      }
    }
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a]! < grid.shape[a]!) break;
      coord[a] = 0;
    }
  }
  return { lo, hi };
}

/**
 * Surface distance score of label `c` (HD at `percentile`), computed on the bounding box of
 * the union of both masks. Cropping is exact: every surface voxel lies in the box, and outside
 * the box (or the grid) there is only background.
 */
export function labelSurfaceDistance(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  grid: Grid,
  boxes: LabelBoxes,
  c: number,
  settings: SurfaceDistanceSettings,
): number {
  const rank = grid.shape.length;
  if (boxes.hi[c * rank]! < 0) return settings.emptyBoth;
  const cropShape: number[] = [];
  const lo: number[] = [];
  for (let a = 0; a < rank; a++) {
    lo.push(boxes.lo[c * rank + a]!);
    cropShape.push(boxes.hi[c * rank + a]! - boxes.lo[c * rank + a]! + 1);
  }
  const cropStrides = stridesOf(cropShape);
  let cropSize = 1;
  for (const n of cropShape) cropSize *= n;
  const pm = new Uint8Array(cropSize);
  const tm = new Uint8Array(cropSize);
  let np = 0;
  let nt = 0;
  // Copy row by row along the last (contiguous) axis; an odometer walks the other axes.
  const last = rank - 1;
  const rowLength = cropShape[last]!;
  const rows = cropSize / rowLength;
  const coord = new Int32Array(rank);
  for (let r = 0; r < rows; r++) {
    let start = lo[last]!;
    for (let a = 0; a < last; a++) start += (coord[a]! + lo[a]!) * grid.strides[a]!;
    const k0 = r * rowLength;
    for (let x = 0; x < rowLength; x++) {
      if (pred[start + x] === c) {
        pm[k0 + x] = 1;
        np++;
      }
      if (truth[start + x] === c) {
        tm[k0 + x] = 1;
        nt++;
      }
    }
    for (let a = last - 1; a >= 0; a--) {
      if (++coord[a]! < cropShape[a]!) break;
      coord[a] = 0;
    }
  }
  if (np === 0 && nt === 0) return settings.emptyBoth;
  if (np === 0 || nt === 0) return settings.emptyOne;
  // A crop axis of extent 1 on a longer grid is a 1-voxel-thick slab: every voxel is boundary
  // (innerBoundary would skip that axis, as it must for axes of extent 1 on the full grid).
  const slab = cropShape.some((n, a) => n === 1 && grid.shape[a]! > 1);
  const pb = slab ? pm : innerBoundary(pm, cropShape, cropStrides, true);
  const tb = slab ? tm : innerBoundary(tm, cropShape, cropStrides, true);
  const dToTruth = distancesTo(tb, pb, cropShape, grid.spacing);
  const dToPred = distancesTo(pb, tb, cropShape, grid.spacing);
  const q = settings.percentile / 100;
  if (settings.mode === "pooled") {
    const all = new Float64Array(dToTruth.length + dToPred.length);
    all.set(dToTruth, 0);
    all.set(dToPred, dToTruth.length);
    all.sort();
    return quantileSorted(all, q);
  }
  dToTruth.sort();
  dToPred.sort();
  return Math.max(quantileSorted(dToTruth, q), quantileSorted(dToPred, q));
}

/** Distances from each voxel of `from` to the nearest voxel of `target` (both non-empty). */
function distancesTo(
  target: Uint8Array,
  from: Uint8Array,
  shape: number[],
  spacing: number[],
): Float64Array {
  const f = new Float64Array(target.length);
  let n = 0;
  for (let i = 0; i < target.length; i++) {
    f[i] = target[i] ? 0 : Infinity;
    if (from[i]) n++;
  }
  squaredEdtInPlace(f, shape, spacing);
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < from.length; i++) if (from[i]) out[k++] = Math.sqrt(f[i]!);
  return out;
}

/** Resolves and checks Hausdorff options (shared with `hd95PerClass`). */
export function resolveHausdorffOptions(
  what: string,
  options: HausdorffOptions,
  diagonal: number,
): { percentile: number; mode: "max" | "pooled"; emptyBoth: number; emptyOne: number } {
  const { percentile = 95, mode = "max", emptyBoth = NaN, emptyOne = Infinity } = options;
  if (!(percentile >= 0 && percentile <= 100)) {
    throw new RangeError(`Cannot ${what}: percentile must be in [0, 100] (got ${percentile})`);
  }
  if (mode !== "max" && mode !== "pooled") {
    throw new RangeError(
      `Cannot ${what}: mode must be "max" or "pooled" (got ${JSON.stringify(mode)})`,
    );
  }
  if (emptyOne !== "diagonal" && typeof emptyOne !== "number") {
    throw new TypeError(
      `Cannot ${what}: emptyOne must be a number or "diagonal" (got ${JSON.stringify(emptyOne)})`,
    );
  }
  return {
    percentile,
    mode,
    emptyBoth,
    emptyOne: emptyOne === "diagonal" ? diagonal : emptyOne,
  };
}
