/**
 * Dice per slice of a stack of label maps.
 * @module
 */
import { diceFromCounts } from "./_dice_counts.ts";
import { toGrid, toGridAxis } from "./_grid.ts";
import { badLabel, resolveClasses } from "./_labels.ts";
import type { DiceOptions, DiceResult } from "./dice.ts";
import type { MemoryOrder } from "./memory_order.ts";

/** Options of {@linkcode dicePerSlice}. */
export interface DicePerSliceOptions extends DiceOptions {
  /**
   * The axis (index into `shape`) that slices are taken across: slice `k` is every element whose
   * coordinate on `axis` is `k`. For a batch `[n, h, w]` in `"C"` order use 0; for the B-mode
   * planes of a `Volume` (x-z planes, depth along z) in `"F"` order use 1 (y).
   * @default {0}
   */
  axis?: number;
  /**
   * Memory order of the flat arrays for `shape`; see {@linkcode MemoryOrder}.
   * @default {"C"}
   */
  order?: MemoryOrder;
}

/**
 * Scores every slice of a stack separately with the per-class Dice coefficient
 * (see `dicePerClass` for the definition and the `emptyScore` convention, which matters most
 * here: a thin layer is often absent from a whole slice).
 *
 * @param pred Predicted labels, flat.
 * @param truth Ground-truth labels, flat, same length as `pred`.
 * @param shape Extent of each axis; its product must equal the array length.
 * @param options See {@linkcode DicePerSliceOptions}.
 * @returns One {@linkcode DiceResult} per slice, in slice order.
 * @throws {TypeError} When the lengths differ or do not match `shape`.
 * @throws {RangeError} When a label or option is out of range.
 *
 * @example Two slices of 2x2
 * ```ts
 * import assert from "node:assert/strict";
 * import { dicePerSlice } from "./mod.ts";
 * const truth = new Uint8Array([1, 1, 0, 0, 1, 1, 1, 1]);
 * const pred = new Uint8Array([1, 1, 0, 0, 1, 1, 0, 0]);
 * const r = dicePerSlice(pred, truth, [2, 2, 2], { numClasses: 2 });
 * assert.deepEqual(r.map((s) => s.dice[0]), [1, 2 * 2 / 6]);
 * ```
 */
export function dicePerSlice(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  shape: number[],
  options: DicePerSliceOptions = {},
): DiceResult[] {
  const what = "compute Dice per slice";
  const { numClasses = 7, emptyScore = NaN, axis = 0, order = "C" } = options;
  const classes = resolveClasses(what, numClasses, options.classes);
  if (pred.length !== truth.length) {
    throw new TypeError(
      `Cannot ${what}: prediction and truth lengths differ (got ${pred.length} and ${truth.length})`,
    );
  }
  const grid = toGrid(what, pred.length, shape, undefined, order);
  const a = toGridAxis(what, axis, shape.length, order);
  const n = grid.shape[a]!;
  const stride = grid.strides[a]!;
  const outer = grid.size / (n * stride);
  const block = 3 * numClasses;
  const counts = new Float64Array(n * block);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * stride;
      const off = k * block;
      for (let j = 0; j < stride; j++) {
        const p = pred[base + j]!;
        const t = truth[base + j]!;
        if (!(p >= 0 && p < numClasses && p === Math.floor(p))) {
          badLabel(what, "prediction", p, numClasses);
        }
        if (!(t >= 0 && t < numClasses && t === Math.floor(t))) {
          badLabel(what, "truth", t, numClasses);
        }
        counts[off + numClasses + p]++;
        counts[off + 2 * numClasses + t]++;
        if (p === t) counts[off + p]++;
      }
    }
  }
  const out: DiceResult[] = new Array(n);
  for (let k = 0; k < n; k++) {
    out[k] = diceFromCounts(counts, k * block, numClasses, classes, emptyScore);
  }
  return out;
}
