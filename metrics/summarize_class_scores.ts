/**
 * Mean and confidence interval of per-class scores over many items (slices, scans).
 * @module
 */
import { nanMean } from "./_labels.ts";
import { type MeanCI, meanCI, type MeanCIOptions } from "./mean_ci.ts";

/** Result of {@linkcode summarizeClassScores}. */
export interface ClassScoreSummary {
  /** The labels, in the order of `perClass`. */
  classes: number[];
  /**
   * Per class: mean and confidence interval over the items whose score is not `NaN`. With a
   * single such item the bounds and `sd` are `NaN`; with none, everything but `n = 0` is `NaN`.
   */
  perClass: MeanCI[];
  /**
   * Over items: the mean of each item's non-`NaN` class scores, then mean and interval of
   * those item means (the paper's "Overall" column). Items with no score are left out.
   */
  overall: MeanCI;
}

function summary(values: number[], options: MeanCIOptions): MeanCI {
  const kept = values.filter((v) => !Number.isNaN(v));
  const level = options.level ?? 0.95;
  const method = options.method ?? "t";
  if (kept.length >= 2) return meanCI(kept, options);
  return {
    mean: kept.length === 1 ? kept[0]! : NaN,
    lower: NaN,
    upper: NaN,
    n: kept.length,
    sd: NaN,
    level,
    method,
  };
}

/**
 * Summarises per-class scores of many items (e.g. the `dice` arrays of `dicePerSlice` over a
 * test set, or of `evaluateScan` over scans) as mean and confidence interval per class, plus
 * an overall score. `NaN` scores (a class absent from an item) are left out, so each class is
 * averaged over the items where it applies. Intervals come from `meanCI` (Student t by
 * default, or the percentile bootstrap); infinite scores (e.g. HD95 of a missed class with the
 * default `emptyOne`) are rejected by it.
 *
 * @param classes Labels of the score columns.
 * @param rows One array of scores per item, aligned with `classes`.
 * @param options Passed to `meanCI` (`nan` is ignored: NaN is always omitted).
 * @returns Per-class and overall summaries.
 * @throws {TypeError} When a row's length differs from `classes`.
 * @throws {RangeError} When a score is infinite or an option is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeClassScores } from "./mod.ts";
 * const s = summarizeClassScores([1, 2], [[0.8, NaN], [0.6, 0.5], [0.7, 0.7]]);
 * assert.equal(s.perClass[0]!.mean.toFixed(2), "0.70");
 * assert.equal(s.perClass[1]!.n, 2);
 * assert.equal(s.overall.mean.toFixed(4), "0.6833"); // (0.8 + 0.55 + 0.7) / 3
 * ```
 */
export function summarizeClassScores(
  classes: number[],
  rows: readonly ArrayLike<number>[],
  options: Omit<MeanCIOptions, "nan"> = {},
): ClassScoreSummary {
  rows.forEach((row, i) => {
    if (row.length !== classes.length) {
      throw new TypeError(
        `Cannot summarise class scores: row ${i} has ${row.length} scores for ${classes.length} classes (got [${
          Array.from(row).join(", ")
        }])`,
      );
    }
  });
  const opts: MeanCIOptions = { ...options };
  const perClass = classes.map((_, k) => summary(rows.map((r) => r[k]!), opts));
  const itemMeans = rows.map((r) => nanMean(Array.from(r)));
  const overall = summary(itemMeans, opts);
  return { classes: [...classes], perClass, overall };
}
