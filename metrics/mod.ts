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
 * @example Score scans and summarise
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing } from "../data/mod.ts";
 * import { evaluateScan, summarizeClassScores, writeJsonAtomic } from "./mod.ts";
 *
 * // Label volumes [4, 3, 6] (F order) with layers 0, 1, 2 along depth z.
 * const spacing: [number, number, number] = [0.2, 0.5, 0.1];
 * const layers = (layerOf: (z: number) => number) => ({
 *   data: Uint8Array.from({ length: 4 * 3 * 6 }, (_, i) => layerOf(Math.floor(i / 12))),
 *   shape: [4, 3, 6] as [number, number, number],
 *   spacing,
 *   affine: affineFromSpacing(spacing),
 * });
 * const truth = layers((z) => Math.floor(z / 2));
 * const deeper = layers((z) => Math.min(2, Math.floor((z + 1) / 2))); // boundaries one voxel up
 * const pairs = [[deeper, truth], [truth, truth]] as const;
 *
 * const scans = pairs.map(([pred, truth]) =>
 *   evaluateScan(pred, truth, { numClasses: 3, sliceAxis: 1 })
 * );
 * const slices = scans.flatMap((s) => s.sliceDice!); // one per y of each scan
 * const table = summarizeClassScores(slices[0]!.classes, slices.map((s) => s.dice));
 * assert.deepEqual(slices[0]!.dice, [2 * 1 / 4, 2 * 2 / 5]); // layers 1 and 2 of the first scan
 * assert.deepEqual(table.classes, [1, 2]);
 * assert.equal(table.perClass[0]!.n, 6);
 * assert.equal(table.perClass[0]!.mean, (3 * 0.5 + 3 * 1) / 6); // with a 95 % t interval
 * const dir = await Deno.makeTempDir(); // e.g. "runs/eval"
 * await writeJsonAtomic(`${dir}/dice.json`, table);
 * assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/dice.json`)).perClass.length, 2);
 * await Deno.remove(dir, { recursive: true });
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
