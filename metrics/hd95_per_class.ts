/**
 * HD95 per class on label maps.
 * @module
 */
import { toGrid } from "./_grid.ts";
import { badLabel, nanMean, resolveClasses } from "./_labels.ts";
import {
  gridDiagonal,
  labelBoxes,
  labelSurfaceDistance,
  resolveHausdorffOptions,
} from "./_surface_distance.ts";
import type { HausdorffOptions } from "./hausdorff_distance_95.ts";

/** Options of {@linkcode hd95PerClass}. */
export interface Hd95PerClassOptions extends HausdorffOptions {
  /**
   * Number of labels including background; every label must be an integer in
   * `0 .. numClasses - 1`.
   * @default {7}
   */
  numClasses?: number;
  /**
   * Labels to score. Background (0) is excluded by default.
   * @default {1 .. numClasses - 1}
   */
  classes?: number[];
}

/** Per-class HD95 scores. */
export interface Hd95Result {
  /** The scored labels, in the order of `hd95`. */
  classes: number[];
  /** HD95 in mm per class (or the empty-mask score, see `HausdorffOptions`). */
  hd95: number[];
  /**
   * Mean of `hd95` over the classes whose score is not `NaN` (`NaN` if none; `Infinity` if a
   * class scored `Infinity`).
   */
  mean: number;
}

/**
 * Symmetric 95th-percentile Hausdorff distance (HD95) in mm for each class of a label map, each
 * class taken as a binary mask (definition, surfaces and empty-mask rules as in
 * `hausdorffDistance95`). One pass finds the bounding box of each class, and each class is then
 * measured on its own box, so thin layers are cheap.
 *
 * @param pred Predicted labels, flat.
 * @param truth Ground-truth labels, flat, same length as `pred`.
 * @param shape Extent of each axis; `[h, w]` for a slice in `"C"` order, `volume.shape` with
 *   `order: "F"` for a `Volume`.
 * @param spacing Voxel size per axis in mm, same order as `shape`.
 * @param options See {@linkcode Hd95PerClassOptions}.
 * @returns The per-class HD95 and their mean.
 * @throws {TypeError} When the lengths, `shape` or `spacing` do not match.
 * @throws {RangeError} When a label is not an integer in `0 .. numClasses - 1`, or an option is
 *   out of range.
 *
 * @example A label shifted by one row of 2 mm
 * ```ts
 * import assert from "node:assert/strict";
 * import { hd95PerClass } from "./mod.ts";
 * const truth = new Uint8Array([1, 1, 2, 2, 0, 0]);
 * const pred = new Uint8Array([0, 0, 1, 1, 2, 2]);
 * const r = hd95PerClass(pred, truth, [3, 2], [2, 1], { numClasses: 3 });
 * assert.deepEqual(r.hd95, [2, 2]);
 * ```
 */
export function hd95PerClass(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  shape: number[],
  spacing: number[],
  options: Hd95PerClassOptions = {},
): Hd95Result {
  const what = "compute HD95 per class";
  const { numClasses = 7, order = "C" } = options;
  const classes = resolveClasses(what, numClasses, options.classes);
  if (pred.length !== truth.length) {
    throw new TypeError(
      `Cannot ${what}: prediction and truth lengths differ (got ${pred.length} and ${truth.length})`,
    );
  }
  const grid = toGrid(what, pred.length, shape, spacing, order);
  const settings = resolveHausdorffOptions(what, options, gridDiagonal(grid));
  const boxes = labelBoxes(pred, truth, grid, numClasses, (v, which) => {
    if (!(v >= 0 && v < numClasses && v === Math.floor(v))) badLabel(what, which, v, numClasses);
  });
  const hd95 = classes.map((c) => labelSurfaceDistance(pred, truth, grid, boxes, c, settings));
  return { classes, hd95, mean: nanMean(hd95) };
}
