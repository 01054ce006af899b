/**
 * Where a 2-D B-mode slice lies inside a 3-D volume.
 *
 * Naming: a B-mode slice is a plane that contains the depth axis. Let the two axes other than
 * depth be `a < b` (for the default depth along z they are x and y):
 * - `"coronal"` fixes `b` and has columns along `a` (depth along z: fix y, rows = z, columns = x);
 * - `"sagittal"` fixes `a` and has columns along `b` (depth along z: fix x, rows = z, columns = y).
 *
 * Rows always run along depth from skin (row 0, depth index 0) downwards.
 *
 * @module
 */
import type { Axis, Volume, VolumeArray } from "./volume.ts";

/** Orientation of a B-mode slice; see the module documentation for the naming. */
export type SliceDirection = "coronal" | "sagittal";

/** The two slice directions, in the order used when both are asked for. */
export const SLICE_DIRECTIONS: readonly SliceDirection[] = ["coronal", "sagittal"];

/** Geometry of the slices of one direction through a volume. */
export interface SliceGeometry {
  /** Slice direction. */
  direction: SliceDirection;
  /** Axis along the image rows (depth). */
  rowAxis: Axis;
  /** Axis along the image columns. */
  colAxis: Axis;
  /** Axis held fixed within a slice (the slice index runs along it). */
  fixedAxis: Axis;
  /** Number of rows of a slice (voxels along depth). */
  rows: number;
  /** Number of columns of a slice. */
  cols: number;
  /** Number of slices in this direction. */
  count: number;
  /** Flat-index step for one row down. */
  rowStride: number;
  /** Flat-index step for one column right. */
  colStride: number;
  /** Flat-index step for the next slice. */
  fixedStride: number;
}

/**
 * Computes the slice geometry of one direction for a volume shape.
 *
 * @param shape Volume shape `[nx, ny, nz]`.
 * @param direction `"coronal"` or `"sagittal"`.
 * @param depthAxis Axis along which depth runs. @default {2}
 * @returns The geometry; slice `k` is the plane `fixedAxis = k`.
 * @throws {RangeError} When the direction or depth axis is unknown, or the shape is not
 *   three positive integers.
 */
export function sliceGeometry(
  shape: readonly [number, number, number],
  direction: SliceDirection,
  depthAxis: Axis = 2,
): SliceGeometry {
  if (
    shape.length !== 3 || shape.some((n) => !Number.isInteger(n) || n <= 0)
  ) {
    throw new RangeError(
      `Cannot compute slice geometry: shape must be three positive integers (got ${
        JSON.stringify(shape)
      })`,
    );
  }
  if (depthAxis !== 0 && depthAxis !== 1 && depthAxis !== 2) {
    throw new RangeError(
      `Cannot compute slice geometry: depthAxis must be 0, 1 or 2 (got ${depthAxis})`,
    );
  }
  const lateral = ([0, 1, 2] as Axis[]).filter((a) => a !== depthAxis) as [Axis, Axis];
  let colAxis: Axis;
  let fixedAxis: Axis;
  if (direction === "coronal") {
    colAxis = lateral[0];
    fixedAxis = lateral[1];
  } else if (direction === "sagittal") {
    colAxis = lateral[1];
    fixedAxis = lateral[0];
  } else {
    throw new RangeError(
      `Cannot compute slice geometry: direction must be "coronal" or "sagittal" (got ${
        JSON.stringify(direction)
      })`,
    );
  }
  const strides = [1, shape[0], shape[0] * shape[1]];
  return {
    direction,
    rowAxis: depthAxis,
    colAxis,
    fixedAxis,
    rows: shape[depthAxis],
    cols: shape[colAxis],
    count: shape[fixedAxis],
    rowStride: strides[depthAxis]!,
    colStride: strides[colAxis]!,
    fixedStride: strides[fixedAxis]!,
  };
}

/** Slice geometry of a volume, honouring its `depthAxis`. */
export function volumeSliceGeometry(volume: Volume, direction: SliceDirection): SliceGeometry {
  return sliceGeometry(volume.shape, direction, volume.depthAxis ?? 2);
}

/**
 * Copies slice `index` out of a volume's data into a row-major `[rows, cols]` array.
 *
 * @param data Volume data in NIfTI order.
 * @param geometry Geometry from {@linkcode sliceGeometry}.
 * @param index Slice index in `[0, geometry.count)`.
 * @param out Destination of length `rows * cols`. @default {a new array of the data's type}
 * @returns `out`.
 * @throws {RangeError} When `index` is out of range or `out` has the wrong length.
 */
export function readSlice<T extends VolumeArray>(
  data: T,
  geometry: SliceGeometry,
  index: number,
  out?: T,
): T {
  const { rows, cols, rowStride, colStride, fixedStride, count } = geometry;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `Cannot read slice: index must be an integer in [0, ${count}) (got ${index})`,
    );
  }
  const dst = out ?? (new (data.constructor as new (n: number) => T)(rows * cols));
  if (dst.length !== rows * cols) {
    throw new RangeError(
      `Cannot read slice: output length must be ${rows * cols} (got ${dst.length})`,
    );
  }
  const base = index * fixedStride;
  for (let r = 0; r < rows; r++) {
    const rowBase = base + r * rowStride;
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[o + c] = data[rowBase + c * colStride]!;
  }
  return dst;
}

/**
 * Writes a row-major `[rows, cols]` slice into a volume's data at slice `index`.
 *
 * @throws {RangeError} When `index` is out of range or `slice` has the wrong length.
 */
export function writeSlice<T extends VolumeArray>(
  data: T,
  geometry: SliceGeometry,
  index: number,
  slice: ArrayLike<number>,
): void {
  const { rows, cols, rowStride, colStride, fixedStride, count } = geometry;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `Cannot write slice: index must be an integer in [0, ${count}) (got ${index})`,
    );
  }
  if (slice.length !== rows * cols) {
    throw new RangeError(
      `Cannot write slice: slice length must be ${rows * cols} (got ${slice.length})`,
    );
  }
  const base = index * fixedStride;
  for (let r = 0; r < rows; r++) {
    const rowBase = base + r * rowStride;
    const o = r * cols;
    for (let c = 0; c < cols; c++) data[rowBase + c * colStride] = slice[o + c]!;
  }
}

/**
 * The slice indices taken in one direction when keeping every `every`-th slice:
 * `0, every, 2 * every, ...` below `count`.
 *
 * @throws {RangeError} When `every` is not a positive integer.
 */
export function sliceIndices(count: number, every = 1): number[] {
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(`Cannot choose slices: every must be a positive integer (got ${every})`);
  }
  const out: number[] = [];
  for (let i = 0; i < count; i += every) out.push(i);
  return out;
}

/**
 * Number of slices a volume of `shape` yields for the given directions when keeping every
 * `every`-th slice.
 *
 * @param shape Volume shape `[nx, ny, nz]`.
 * @param options Directions (default both), `every` (default 1) and `depthAxis` (default 2).
 */
export function countSlices(
  shape: readonly [number, number, number],
  options: { directions?: readonly SliceDirection[]; every?: number; depthAxis?: Axis } = {},
): number {
  const { directions = SLICE_DIRECTIONS, every = 1, depthAxis = 2 } = options;
  let n = 0;
  for (const d of directions) {
    n += sliceIndices(sliceGeometry(shape, d, depthAxis).count, every).length;
  }
  return n;
}
