/**
 * Synthetic 3-D lumbar B-mode ultrasound phantom with six tissue layers (dermis, superficial
 * fat, superficial fascial membrane, deep fat, deep fascial membrane, muscle), generated
 * deterministically from a seed with a convolution model of B-mode image formation, plus a
 * montage renderer and the label palette.
 *
 * @example A cohort and a montage
 * ```ts ignore
 * import { encodeRgbaPng, generatePhantomCohort, renderPhantomMontage } from "./mod.ts";
 * const cohort = generatePhantomCohort({ participants: 3, scansPerParticipant: 2, seed: 1 });
 * const png = encodeRgbaPng(renderPhantomMontage(cohort.scans.slice(0, 3)));
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
