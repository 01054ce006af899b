/**
 * Private helpers: shape/spacing validation and conversion of any layout to row-major.
 * @module
 */
import type { MemoryOrder } from "./memory_order.ts";

/** A validated grid in row-major (C) order: last axis fastest. */
export interface Grid {
  /** Extent of each axis, slowest first. */
  shape: number[];
  /** Voxel size of each axis (same order as `shape`). */
  spacing: number[];
  /** Row-major strides. */
  strides: number[];
  /** Number of elements. */
  size: number;
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a]!;
  }
  return strides;
}

/**
 * Validates `shape` (and `spacing`) and returns the equivalent row-major grid: an `"F"` array of
 * shape `[a, b, c]` is the same memory as a `"C"` array of shape `[c, b, a]`.
 *
 * @param what The action for error messages, e.g. `"compute HD95"`.
 */
export function toGrid(
  what: string,
  length: number,
  shape: readonly number[],
  spacing: readonly number[] | undefined,
  order: MemoryOrder,
): Grid {
  if (order !== "C" && order !== "F") {
    throw new RangeError(`Cannot ${what}: order must be "C" or "F" (got ${JSON.stringify(order)})`);
  }
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new TypeError(
      `Cannot ${what}: shape must be a non-empty array (got ${JSON.stringify(shape)})`,
    );
  }
  let size = 1;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `Cannot ${what}: shape entries must be positive integers (got [${shape.join(", ")}])`,
      );
    }
    size *= n;
  }
  if (size !== length) {
    throw new TypeError(
      `Cannot ${what}: array length does not match shape [${
        shape.join(", ")
      }] = ${size} (got ${length})`,
    );
  }
  const sp = spacing ?? shape.map(() => 1);
  if (!Array.isArray(sp) || sp.length !== shape.length) {
    throw new TypeError(
      `Cannot ${what}: spacing needs one entry per axis of shape [${shape.join(", ")}] (got ${
        JSON.stringify(sp)
      })`,
    );
  }
  for (const s of sp) {
    if (!(Number.isFinite(s) && s > 0)) {
      throw new RangeError(
        `Cannot ${what}: spacing entries must be finite and positive (got [${sp.join(", ")}])`,
      );
    }
  }
  const cShape = order === "F" ? [...shape].reverse() : [...shape];
  const cSpacing = order === "F" ? [...sp].reverse() : [...sp];
  return { shape: cShape, spacing: cSpacing, strides: stridesOf(cShape), size };
}

/** Maps an axis given in the caller's order to the row-major axis of {@linkcode toGrid}. */
export function toGridAxis(
  what: string,
  axis: number,
  rank: number,
  order: MemoryOrder,
): number {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new RangeError(`Cannot ${what}: axis must be an integer in 0..${rank - 1} (got ${axis})`);
  }
  return order === "F" ? rank - 1 - axis : axis;
}
