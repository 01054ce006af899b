/**
 * Per-scan evaluation of a predicted label volume: Dice and HD95 per class, and Dice per slice.
 * @module
 */
import type { Axis, Volume } from "../data/volume.ts";
import { dicePerClass, type DiceResult } from "./dice.ts";
import { dicePerSlice } from "./dice_per_slice.ts";
import type { HausdorffOptions } from "./hausdorff_distance_95.ts";
import { hd95PerClass, type Hd95Result } from "./hd95_per_class.ts";

/** Options of {@linkcode evaluateScan}. */
export interface EvaluateScanOptions {
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
   * Dice of a class absent from both prediction and truth (see `DiceOptions.emptyScore`).
   * @default {NaN}
   */
  emptyScore?: number;
  /**
   * HD95 settings (percentile, mode, empty-mask scores; see `HausdorffOptions`), or `false` to
   * skip HD95.
   * @default {{}}
   */
  hd95?: Omit<HausdorffOptions, "order"> | false;
  /**
   * Also score every slice across this axis of `[x, y, z]` (e.g. 1 for the x-z B-mode planes
   * of a volume with depth along z), or `null` for no per-slice scores.
   * @default {null}
   */
  sliceAxis?: Axis | null;
}

/** Result of {@linkcode evaluateScan}. */
export interface ScanEvaluation {
  /** Dice per class on the whole volume. */
  dice: DiceResult;
  /** HD95 per class on the whole volume, in mm (`null` when skipped). */
  hd95: Hd95Result | null;
  /** Dice per class of each slice across `sliceAxis` (`null` when not asked for). */
  sliceDice: DiceResult[] | null;
}

/**
 * Evaluates one predicted label volume against its ground truth: Dice per class and its mean,
 * HD95 per class in mm (3-D, with the truth's voxel spacing), and optionally Dice per slice.
 *
 * @param pred Predicted label volume.
 * @param truth Ground-truth label volume of the same shape; its spacing is used for HD95.
 * @param options See {@linkcode EvaluateScanOptions}.
 * @returns The scan's scores.
 * @throws {TypeError} When the shapes differ.
 * @throws {RangeError} When a label or option is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateScan } from "./mod.ts";
 * import { affineFromSpacing } from "../data/mod.ts";
 * const spacing: [number, number, number] = [0.2, 0.2, 0.1];
 * const vol = (data: number[]) => ({
 *   data: Uint8Array.from(data),
 *   shape: [1, 2, 3] as [number, number, number],
 *   spacing,
 *   affine: affineFromSpacing(spacing),
 * });
 * const r = evaluateScan(vol([1, 1, 2, 2, 2, 2]), vol([1, 1, 1, 1, 2, 2]), { numClasses: 3 });
 * assert.deepEqual(r.dice.dice, [2 * 2 / 6, 2 * 2 / 6]);
 * assert.equal(r.hd95!.hd95[0]!.toFixed(3), "0.100");
 * ```
 */
export function evaluateScan(
  pred: Volume,
  truth: Volume,
  options: EvaluateScanOptions = {},
): ScanEvaluation {
  const what = "evaluate the scan";
  const same = pred.shape.length === 3 && pred.shape.every((n, a) => n === truth.shape[a]);
  if (!same) {
    throw new TypeError(
      `Cannot ${what}: prediction and truth shapes differ (got [${pred.shape.join(", ")}] and [${
        truth.shape.join(", ")
      }])`,
    );
  }
  const { numClasses = 7, classes, emptyScore = NaN, hd95 = {}, sliceAxis = null } = options;
  const base = classes === undefined ? { numClasses } : { numClasses, classes };
  const dice = dicePerClass(pred.data, truth.data, { ...base, emptyScore });
  const hd = hd95 === false ? null : hd95PerClass(
    pred.data,
    truth.data,
    truth.shape,
    truth.spacing,
    { ...hd95, ...base, order: "F" },
  );
  const sliceDice = sliceAxis === null ? null : dicePerSlice(pred.data, truth.data, truth.shape, {
    ...base,
    emptyScore,
    axis: sliceAxis,
    order: "F",
  });
  return { dice, hd95: hd, sliceDice };
}
