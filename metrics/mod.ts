/**
 * Metrics, statistics and clinical read-outs for tissue-layer segmentation: per-class Dice
 * (per slice and per scan), HD95 in mm on an exact anisotropic Euclidean distance transform,
 * SASSNet's signed distance maps, Student-t and bootstrap confidence intervals, the paired
 * t-test, layer thickness and echogenicity read-outs, and atomic CSV/JSON result writers.
 *
 * Flat arrays come with a `shape` (and `spacing`) in the same axis order; their memory order
 * is `"C"` (last axis fastest, tfjs) by default or `"F"` (first axis fastest: a NIfTI-order
 * `Volume` with `shape [nx, ny, nz]`, `spacing [sx, sy, sz]`). Background (label 0) is excluded
 * from every per-class score by default.
 *
 * @example Score a scan and summarise
 * ```ts ignore
 * import { evaluateScan, summarizeClassScores, writeJsonAtomic } from "./mod.ts";
 * const scans = pairs.map(([pred, truth]) => evaluateScan(pred, truth, { sliceAxis: 1 }));
 * const slices = scans.flatMap((s) => s.sliceDice!);
 * const table = summarizeClassScores(slices[0]!.classes, slices.map((s) => s.dice));
 * await writeJsonAtomic("runs/eval/dice.json", table);
 * ```
 *
 * @module
 */
export * from "./dice.ts";
export * from "./dice_per_slice.ts";
export * from "./euclidean_distance_transform.ts";
export * from "./evaluate_scan.ts";
export * from "./evaluate_slices.ts";
export * from "./hausdorff_distance_95.ts";
export * from "./hd95_per_class.ts";
export * from "./layer_readout.ts";
export * from "./mean_ci.ts";
export * from "./memory_order.ts";
export * from "./paired_t_test.ts";
export * from "./readout_to_csv.ts";
export * from "./signed_distance_map.ts";
export * from "./student_t.ts";
export * from "./summarize_class_scores.ts";
export * from "./to_csv.ts";
export * from "./write_csv_atomic.ts";
export * from "./write_json_atomic.ts";

// Types of other packages that the metrics' signatures use.
export { Rng, type RngState } from "../engine/rng.ts";
export type { SliceDirection } from "../data/slices_geometry.ts";
export type { Axis, Volume, VolumeArray } from "../data/volume.ts";
