/**
 * Per-class Dice similarity coefficient on label maps.
 * @module
 */
import { countLabels, diceFromCounts } from "./_dice_counts.ts";
import type { DiceResult } from "./dice_result.ts";

export type { DiceResult } from "./dice_result.ts";
import { resolveClasses } from "./_labels.ts";

/** Options of {@linkcode dicePerClass} (also used by `dicePerSlice` and `evaluateScan`). */
export interface DiceOptions {
  /**
   * Number of labels including background; every label must be an integer in
   * `0 .. numClasses - 1`. The project's labels are 0 background, 1 dermis, 2 superficial fat,
   * 3 SFM, 4 deep fat, 5 DFM, 6 muscle.
   * @default {7}
   */
  numClasses?: number;
  /**
   * Labels to score. Background (0) is excluded by default.
   * @default {1 .. numClasses - 1}
   */
  classes?: number[];
  /**
   * Score of a class that is absent from both prediction and truth (Dice is 0/0 there).
   * `NaN` (the default) marks the class as "not applicable": it is left out of `mean` and should
   * be left out of any later averaging (e.g. `meanCI(values, { nan: "omit" })`). `1` counts a
   * correct "nothing here" as a perfect score, as some benchmarks do. A class present in only
   * one of the two always scores 0.
   * @default {NaN}
   */
  emptyScore?: number;
}

/**
 * Scores a predicted label map against the ground truth with the Dice similarity coefficient,
 * per class and averaged over classes.
 *
 * The arrays may have any rank (a slice, a volume, a batch): Dice only counts voxels, so no
 * shape is needed. For the Dice of each slice of a stack use `dicePerSlice`.
 *
 * @param pred Predicted labels, flat.
 * @param truth Ground-truth labels, flat, same length as `pred`.
 * @param options See {@linkcode DiceOptions}.
 * @returns The per-class scores and their mean.
 * @throws {TypeError} When the lengths differ.
 * @throws {RangeError} When a label is not an integer in `0 .. numClasses - 1`, or an option is
 *   out of range.
 *
 * @example Two 4x4 squares overlapping by half
 * ```ts
 * import assert from "node:assert/strict";
 * import { dicePerClass } from "./mod.ts";
 * const pred = new Uint8Array(8 * 8), truth = new Uint8Array(8 * 8);
 * for (let y = 0; y < 4; y++) {
 *   for (let x = 0; x < 4; x++) {
 *     truth[y * 8 + x] = 1;
 *     pred[y * 8 + x + 2] = 1;
 *   }
 * }
 * const r = dicePerClass(pred, truth, { numClasses: 2 });
 * assert.equal(r.dice[0], 0.5);
 * ```
 */
export function dicePerClass(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  options: DiceOptions = {},
): DiceResult {
  const what = "compute Dice";
  const { numClasses = 7, emptyScore = NaN } = options;
  const classes = resolveClasses(what, numClasses, options.classes);
  if (pred.length !== truth.length) {
    throw new TypeError(
      `Cannot ${what}: prediction and truth lengths differ (got ${pred.length} and ${truth.length})`,
    );
  }
  const counts = countLabels(what, pred, truth, numClasses);
  return diceFromCounts(counts, 0, numClasses, classes, emptyScore);
}
