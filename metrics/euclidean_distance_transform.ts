/**
 * Exact Euclidean distance transform with anisotropic spacing.
 * @module
 */
import { squaredEdtInPlace } from "./_edt.ts";
import { toGrid } from "./_grid.ts";
import type { MemoryOrder } from "./memory_order.ts";

/** Options of {@linkcode euclideanDistanceTransform}. */
export interface EuclideanDistanceTransformOptions {
  /**
   * Return squared distances (exact sums of squared spacings, no square root).
   * @default {false}
   */
  squared?: boolean;
  /**
   * Memory order of `mask` for `shape` and `spacing`; see {@linkcode MemoryOrder}.
   * @default {"C"}
   */
  order?: MemoryOrder;
}

/**
 * Exact Euclidean distance transform of a binary mask of any rank, with anisotropic spacing
 * (the separable squared-distance algorithm of Felzenszwalb & Huttenlocher 2012: a 1-D lower
 * envelope of parabolas along each axis in turn, weighted by the squared spacing of that axis).
 *
 * Convention (scipy's `distance_transform_edt(mask, sampling=spacing)`): every **non-zero**
 * voxel gets its distance to the nearest **zero** voxel, measured between voxel centres in the
 * units of `spacing` (mm); zero voxels get 0. A mask with no zero voxel gives `Infinity`
 * everywhere. Runs in O(N · rank).
 *
 * @param mask Binary mask, flat; any non-zero value is foreground.
 * @param shape Extent of each axis; its product must equal `mask.length`.
 * @param spacing Voxel size per axis, same order as `shape` (default: 1 on every axis).
 * @param options See {@linkcode EuclideanDistanceTransformOptions}.
 * @returns Distances (or squared distances), flat, in the same layout as `mask`.
 * @throws {TypeError} When `shape` or `spacing` does not match the mask.
 * @throws {RangeError} When a shape or spacing entry is not positive.
 *
 * @example A row of three foreground pixels with 0.5 mm spacing
 * ```ts
 * import assert from "node:assert/strict";
 * import { euclideanDistanceTransform } from "./mod.ts";
 * const d = euclideanDistanceTransform(new Uint8Array([0, 1, 1, 1, 0]), [5], [0.5]);
 * assert.deepEqual(Array.from(d), [0, 0.5, 1, 0.5, 0]);
 * ```
 */
export function euclideanDistanceTransform(
  mask: ArrayLike<number>,
  shape: number[],
  spacing?: number[],
  options: EuclideanDistanceTransformOptions = {},
): Float64Array {
  const { squared = false, order = "C" } = options;
  const grid = toGrid("compute the distance transform", mask.length, shape, spacing, order);
  const f = new Float64Array(grid.size);
  for (let i = 0; i < grid.size; i++) f[i] = mask[i] !== 0 ? Infinity : 0;
  squaredEdtInPlace(f, grid.shape, grid.spacing);
  if (!squared) { for (let i = 0; i < grid.size; i++) f[i] = Math.sqrt(f[i]!); }
  return f;
}
