/**
 * Synthetic 3-D lumbar B-mode ultrasound phantom with six tissue layers (dermis, superficial
 * fat, superficial fascial membrane, deep fat, deep fascial membrane, muscle), generated
 * deterministically from a seed with a convolution model of B-mode image formation, plus a
 * montage renderer and the label palette.
 *
 * @example A cohort and a montage
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRgbaPng, generatePhantomCohort, renderPhantomMontage } from "./mod.ts";
 *
 * // Small scans (the default shape is a full-size volume).
 * const cohort = generatePhantomCohort({
 *   participants: 3,
 *   scansPerParticipant: 2,
 *   seed: 1,
 *   shape: [16, 16, 128],
 * });
 * assert.deepEqual(cohort.scans.map((s) => s.id).slice(0, 3), ["p00_s00", "p00_s01", "p01_s00"]);
 * const png = encodeRgbaPng(renderPhantomMontage(cohort.scans.slice(0, 3)));
 * assert.equal(new TextDecoder().decode(png.subarray(1, 4)), "PNG");
 * ```
 *
 * @module
 */
export * from "./cohort.ts";
export * from "./generate_scan.ts";
export * from "./labels.ts";
export * from "./montage.ts";
export * from "./options.ts";
export * from "./palette.ts";
export * from "./participant.ts";
export * from "./to_scan_record.ts";
export * from "./write_phantom_dataset.ts";

// Types of other packages that the phantom's signatures use.
export { Rng, type RngState } from "../../engine/rng.ts";
export type { DatasetFileEnding, DatasetManifest, DatasetScanEntry } from "../dataset_manifest.ts";
export type { ScanRecord } from "../scan.ts";
export type { Axis, Volume, VolumeArray } from "../volume.ts";
