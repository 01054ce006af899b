/**
 * Normalised signed distance map of a binary mask (SASSNet's regression target).
 * @module
 */
import { squaredEdtInPlace } from "./_edt.ts";
import { toGrid } from "./_grid.ts";
import { innerBoundary } from "./_surface.ts";
import type { MemoryOrder } from "./memory_order.ts";

/** Options of {@linkcode signedDistanceMap}. */
export interface SignedDistanceMapOptions {
  /**
   * Voxel size per axis, same order as `shape`. SASSNet uses unit spacing (voxel units); since
   * both halves are min-max normalised only the spacing ratios matter.
   * @default {1 on every axis}
   */
  spacing?: number[];
  /**
   * Memory order of `mask` for `shape`; see {@linkcode MemoryOrder}.
   * @default {"C"}
   */
  order?: MemoryOrder;
}

/**
 * Computes the normalised signed distance map of one binary sample, following SASSNet's
 * `compute_sdf` (Li et al., MICCAI 2020, "Shape-aware semi-supervised 3D semantic segmentation
 * for medical images"):
 *
 * `sdf = minmax(dOut) − minmax(dIn)`, with `dOut` the distance of each outside voxel to the
 * object, `dIn` the distance of each inside voxel to the background (both exact Euclidean
 * distance transforms, 0 on the other side) and `minmax(v) = (v − min v) / (max v − min v)`.
 * Inner-boundary voxels (foreground with a background face neighbour; the grid edge is not a
 * boundary, as in skimage `find_boundaries(mode="inner")`) are set to 0.
 *
 * So the map is negative inside, positive outside, 0 on the inner boundary, and lies in
 * `[−1, 1]`. An empty mask gives all zeros (as in SASSNet). A mask that fills the whole grid has
 * no outside and the source divides 0 by 0 there; this function returns all zeros for it too.
 * Compute it per sample and, for multi-class use, per class mask.
 *
 * @param mask Binary mask, flat; any non-zero value is foreground.
 * @param shape Extent of each axis; its product must equal `mask.length`.
 * @param options See {@linkcode SignedDistanceMapOptions}.
 * @returns The signed distance map, flat, same layout as `mask`.
 * @throws {TypeError} When `shape` or `spacing` does not match the mask.
 * @throws {RangeError} When a shape or spacing entry is not positive.
 *
 * @example A 3-pixel object on a 7-pixel line
 * ```ts
 * import assert from "node:assert/strict";
 * import { signedDistanceMap } from "./mod.ts";
 * const sdf = signedDistanceMap(new Uint8Array([0, 0, 1, 1, 1, 0, 0]), [7]);
 * // outside: distances 2, 1 | 1, 2 normalised by 2; inside: centre distance 2 normalised by 2
 * assert.deepEqual(Array.from(sdf), [1, 0.5, 0, -1, 0, 0.5, 1]);
 * ```
 */
export function signedDistanceMap(
  mask: ArrayLike<number>,
  shape: number[],
  options: SignedDistanceMapOptions = {},
): Float32Array {
  const { spacing, order = "C" } = options;
  const grid = toGrid("compute the signed distance map", mask.length, shape, spacing, order);
  const size = grid.size;
  const sdf = new Float32Array(size);
  const fg = new Uint8Array(size);
  let count = 0;
  for (let i = 0; i < size; i++) {
    if (mask[i] !== 0) {
      fg[i] = 1;
      count++;
    }
  }
  if (count === 0 || count === size) return sdf;
  const dOut = new Float64Array(size);
  const dIn = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    dOut[i] = fg[i] ? 0 : Infinity;
    dIn[i] = fg[i] ? Infinity : 0;
  }
  squaredEdtInPlace(dOut, grid.shape, grid.spacing);
  squaredEdtInPlace(dIn, grid.shape, grid.spacing);
  // Both sides are non-empty, so min(dOut) = min(dIn) = 0 and the maxima are positive.
  let maxOut = 0;
  let maxIn = 0;
  for (let i = 0; i < size; i++) {
    if (dOut[i]! > maxOut) maxOut = dOut[i]!;
    if (dIn[i]! > maxIn) maxIn = dIn[i]!;
  }
  maxOut = Math.sqrt(maxOut);
  maxIn = Math.sqrt(maxIn);
  const boundary = innerBoundary(fg, grid.shape, grid.strides, false);
  for (let i = 0; i < size; i++) {
    sdf[i] = boundary[i] ? 0 : Math.sqrt(dOut[i]!) / maxOut - Math.sqrt(dIn[i]!) / maxIn;
  }
  return sdf;
}
