/**
 * Per-image evaluation of a predicted label volume: Dice (and HD95) of every 2-D B-mode slice
 * of one direction, the paper's evaluation unit.
 * @module
 */
import { readSlice, type SliceDirection, volumeSliceGeometry } from "../data/slices_geometry.ts";
import type { Volume } from "../data/volume.ts";
import { dicePerClass } from "./dice.ts";
import type { HausdorffOptions } from "./hausdorff_distance_95.ts";
import { hd95PerClass } from "./hd95_per_class.ts";

/** Options of {@linkcode evaluateSlices}. */
export interface EvaluateSlicesOptions {
  /**
   * Number of labels including background.
   * @default {7}
   */
  numClasses?: number;
  /**
   * Labels to score.
   * @default {1 .. numClasses - 1}
   */
  classes?: number[];
  /**
   * Dice of a class absent from both the predicted and the true slice (see
   * `DiceOptions.emptyScore`): `NaN` leaves the class out of that image, as the paper's public
   * code does (`np.nanmean`).
   * @default {NaN}
   */
  emptyScore?: number;
  /**
   * HD95 settings for each slice (2-D, in mm from the slice's row and column spacing), or
   * `false` to skip HD95 (every `hd95` is then `NaN`).
   * @default {{}}
   */
  hd95?: Omit<HausdorffOptions, "order"> | false;
}

/** The scores of one 2-D slice. */
export interface SliceScore {
  /** Slice direction. */
  direction: SliceDirection;
  /** Slice index along the direction's fixed axis. */
  index: number;
  /** Dice per class (aligned with the scored classes; `emptyScore` for an absent class). */
  dice: number[];
  /** Mean of `dice` over its non-`NaN` values (`NaN` if none). */
  mean: number;
  /** HD95 in mm per class (`NaN` when skipped or absent from both). */
  hd95: number[];
}

/**
 * Scores every B-mode slice of one direction of a predicted label volume against the truth:
 * each slice is read with rows along depth (as the network sees it, at the volume's native
 * resolution), and scored on its own with the per-class Dice and, unless disabled, the 2-D HD95
 * in mm (row spacing = the depth axis's, column spacing = the column axis's).
 *
 * @param pred Predicted label volume.
 * @param truth Ground-truth label volume of the same shape (its spacing and depth axis are used).
 * @param direction `"coronal"` or `"sagittal"` (see `slices_geometry.ts`).
 * @param options See {@linkcode EvaluateSlicesOptions}.
 * @returns One score per slice, in slice order.
 * @throws {TypeError} When the shapes differ.
 * @throws {RangeError} When a label, the direction or an option is out of range.
 *
 * @example Two coronal slices of a 2x2x2 volume
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateSlices } from "./mod.ts";
 * import { affineFromSpacing } from "../data/mod.ts";
 * const vol = (data: number[]) => ({
 *   data: Uint8Array.from(data),
 *   shape: [2, 2, 2] as [number, number, number],
 *   spacing: [1, 1, 1] as [number, number, number],
 *   affine: affineFromSpacing([1, 1, 1]),
 * });
 * // x fastest: index = x + 2·(y + 2·z); coronal slice k holds y = k.
 * const r = evaluateSlices(vol([1, 1, 1, 0, 1, 1, 1, 1]), vol([1, 1, 1, 1, 1, 1, 1, 1]), "coronal", {
 *   numClasses: 2,
 *   hd95: false,
 * });
 * assert.deepEqual(r.map((s) => s.dice[0]), [1, 2 * 3 / 7]);
 * ```
 */
export function evaluateSlices(
  pred: Volume,
  truth: Volume,
  direction: SliceDirection,
  options: EvaluateSlicesOptions = {},
): SliceScore[] {
  const what = "evaluate the slices";
  const same = pred.shape.length === 3 && pred.shape.every((n, a) => n === truth.shape[a]);
  if (!same) {
    throw new TypeError(
      `Cannot ${what}: prediction and truth shapes differ (got [${pred.shape.join(", ")}] and [${
        truth.shape.join(", ")
      }])`,
    );
  }
  const { numClasses = 7, emptyScore = NaN, hd95 = {} } = options;
  const base = options.classes === undefined ? { numClasses } : {
    numClasses,
    classes: options.classes,
  };
  const g = volumeSliceGeometry(truth, direction);
  const spacing = [truth.spacing[g.rowAxis], truth.spacing[g.colAxis]];
  const out: SliceScore[] = [];
  for (let k = 0; k < g.count; k++) {
    const p = readSlice(pred.data, g, k);
    const t = readSlice(truth.data, g, k);
    const d = dicePerClass(p, t, { ...base, emptyScore });
    const h = hd95 === false
      ? d.dice.map(() => NaN)
      : hd95PerClass(p, t, [g.rows, g.cols], spacing, { ...hd95, ...base, order: "C" }).hd95;
    out.push({ direction, index: k, dice: d.dice, mean: d.mean, hd95: h });
  }
  return out;
}
