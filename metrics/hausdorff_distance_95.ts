/**
 * 95th-percentile Hausdorff distance between two binary masks.
 * @module
 */
import { toGrid } from "./_grid.ts";
import {
  gridDiagonal,
  labelBoxes,
  labelSurfaceDistance,
  resolveHausdorffOptions,
} from "./_surface_distance.ts";
import type { HausdorffOptions } from "./hausdorff_options.ts";

export type { HausdorffOptions } from "./hausdorff_options.ts";

/**
 * Symmetric 95th-percentile Hausdorff distance (HD95) between the surfaces of two binary masks,
 * in the units of `spacing` (mm), for 2-D (`shape [h, w]`, `spacing [sy, sx]` in `"C"` order),
 * 3-D (a `Volume`: `shape [nx, ny, nz]`, `spacing [sx, sy, sz]` with `order: "F"`) or any rank.
 *
 * The surface of a mask is its set of boundary voxels: foreground voxels with at least one face
 * neighbour (connectivity 1) in the background, where the space outside the grid counts as
 * background (as medpy and MONAI do). The distance from each surface voxel of one mask to the
 * nearest surface voxel of the other is read from an exact anisotropic Euclidean distance
 * transform (see `euclideanDistanceTransform`); percentiles interpolate linearly between order
 * statistics (numpy's default). Axes of extent 1 are ignored, so `[1, h, w]` behaves like
 * `[h, w]`. The work is done on the bounding box of the two masks, which is exact.
 *
 * Empty masks: both empty gives `emptyBoth` (default `NaN`), exactly one empty gives
 * `emptyOne` (default `Infinity`); see {@linkcode HausdorffOptions}.
 *
 * @param pred Predicted binary mask, flat; any non-zero value is foreground.
 * @param truth Ground-truth binary mask, flat, same length.
 * @param shape Extent of each axis; its product must equal the mask length.
 * @param spacing Voxel size per axis in mm, same order as `shape`.
 * @param options See {@linkcode HausdorffOptions}.
 * @returns The HD95 in mm (or the empty-mask score).
 * @throws {TypeError} When the lengths, `shape` or `spacing` do not match.
 * @throws {RangeError} When a shape, spacing or option value is out of range.
 *
 * @example Two 4x4 squares, one shifted by 2 columns of 0.5 mm
 * ```ts
 * import assert from "node:assert/strict";
 * import { hausdorffDistance95 } from "./mod.ts";
 * const a = new Uint8Array(10 * 10), b = new Uint8Array(10 * 10);
 * for (let y = 2; y < 6; y++) {
 *   for (let x = 2; x < 6; x++) {
 *     a[y * 10 + x] = 1;
 *     b[y * 10 + x + 2] = 1;
 *   }
 * }
 * assert.equal(hausdorffDistance95(a, b, [10, 10], [1, 0.5]), 1);
 * ```
 */
export function hausdorffDistance95(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  shape: number[],
  spacing: number[],
  options: HausdorffOptions = {},
): number {
  const what = "compute HD95";
  if (pred.length !== truth.length) {
    throw new TypeError(
      `Cannot ${what}: prediction and truth lengths differ (got ${pred.length} and ${truth.length})`,
    );
  }
  const grid = toGrid(what, pred.length, shape, spacing, options.order ?? "C");
  const settings = resolveHausdorffOptions(what, options, gridDiagonal(grid));
  const p = new Uint8Array(grid.size);
  const t = new Uint8Array(grid.size);
  for (let i = 0; i < grid.size; i++) {
    p[i] = pred[i] !== 0 ? 1 : 0;
    t[i] = truth[i] !== 0 ? 1 : 0;
  }
  const boxes = labelBoxes(p, t, grid, 2, () => {});
  return labelSurfaceDistance(p, t, grid, boxes, 1, settings);
}
