/**
 * Private helpers: label counting and Dice from counts.
 * @module
 */
import type { DiceResult } from "./dice_result.ts";
import { badLabel, nanMean } from "./_labels.ts";

/** Label counts: `[intersection(c), predicted(c), truth(c)]` for each class, flattened. */
export function countLabels(
  what: string,
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  const inter = new Float64Array(numClasses);
  const pc = new Float64Array(numClasses);
  const tc = new Float64Array(numClasses);
  const n = pred.length;
  for (let i = 0; i < n; i++) {
    const p = pred[i]!;
    const t = truth[i]!;
    if (!(p >= 0 && p < numClasses && p === Math.floor(p))) {
      badLabel(what, "prediction", p, numClasses);
    }
    if (!(t >= 0 && t < numClasses && t === Math.floor(t))) badLabel(what, "truth", t, numClasses);
    pc[p]++;
    tc[t]++;
    if (p === t) inter[p]++;
  }
  const out = new Float64Array(3 * numClasses);
  out.set(inter, 0);
  out.set(pc, numClasses);
  out.set(tc, 2 * numClasses);
  return out;
}

/** Dice per class from counts laid out as `[inter | pred | truth]` blocks starting at `offset`. */
export function diceFromCounts(
  counts: Float64Array,
  offset: number,
  numClasses: number,
  classes: number[],
  emptyScore: number,
): DiceResult {
  const dice = classes.map((c) => {
    const inter = counts[offset + c]!;
    const denom = counts[offset + numClasses + c]! + counts[offset + 2 * numClasses + c]!;
    return denom === 0 ? emptyScore : (2 * inter) / denom;
  });
  return { classes: [...classes], dice, mean: nanMean(dice) };
}
