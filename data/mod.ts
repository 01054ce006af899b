/**
 * Data: the shared volume type, NIfTI, NRRD (with 3D Slicer's `.seg.nrrd`), MATLAB and PNG-stack
 * readers and writers, and the dataset folder (manifest, loading, writing, validation).
 *
 * @example Validate and load a dataset folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDataset, validateDataset } from "./mod.ts";
 * import { writePhantomDataset } from "./phantom/mod.ts";
 *
 * const dir = await Deno.makeTempDir(); // your folder, e.g. "datasets/Lumbar"
 * await writePhantomDataset(dir, { participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] });
 * const report = await validateDataset(dir);
 * if (!report.ok) throw new Error(report.problems.join("\n"));
 * const { manifest, scans } = await loadDataset(dir);
 * assert.equal(scans.length, manifest.scans.length);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./volume.ts";
export * from "./nifti_header.ts";
export * from "./nifti_qform.ts";
export * from "./nifti_read.ts";
export * from "./nifti_write.ts";
export * from "./png_stack_read.ts";
export * from "./png_stack_write.ts";
export * from "./nrrd/mod.ts";
export * from "./matlab/mod.ts";
export * from "./volume_file.ts";
export * from "./dataset_manifest.ts";
export * from "./dataset_load.ts";
export * from "./dataset_write.ts";
export * from "./validate_dataset.ts";
export * from "./dataset_fingerprint.ts";
export * from "./scan.ts";
export * from "./slices.ts";
export * from "./slices_geometry.ts";
export {
  fitImageSlice,
  fitLabelSlice,
  type FitMode,
  resizeBilinear,
  resizeNearest,
  unfitChannels,
} from "./slices_fit.ts";
export * from "./slices_normalize.ts";
export * from "./slices_extract.ts";
export * from "./splits.ts";
export * from "./splits_labeled.ts";
export * from "./augment_params.ts";
export * from "./augment.ts";
export * from "./batches.ts";
export * from "./prepare_training_data.ts";
export * from "./predict_volume.ts";

// Types of other packages that the data signatures use.
export { Rng, type RngState } from "../engine/rng.ts";
export type { ImageBatch, LabelBatch, LogitBatch } from "../engine/tensor_types.ts";
