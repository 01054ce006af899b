/**
 * NRRD: reading and writing `.nrrd` / `.nhdr` volumes with the NIfTI reader's geometry (RAS
 * millimetres; 3D Slicer's LPS files are converted), and 3D Slicer segmentations
 * (`.seg.nrrd`) with the six tissue layers as named, coloured segments.
 *
 * @example Save a prediction for 3D Slicer and read it back
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSegNrrd, writeSegNrrd } from "./mod.ts";
 * import { affineFromSpacing } from "../volume.ts";
 *
 * const labels = {
 *   data: new Uint8Array(8 * 8 * 7).map((_, i) => Math.floor(i / 64)),
 *   shape: [8, 8, 7] as [number, number, number],
 *   spacing: [0.3, 0.3, 0.1] as [number, number, number],
 *   affine: affineFromSpacing([0.3, 0.3, 0.1]),
 * };
 * const path = await Deno.makeTempFile({ suffix: ".seg.nrrd" });
 * await writeSegNrrd(path, labels);
 * const { volume, segments } = await readSegNrrd(path);
 * assert.deepEqual(volume.data, labels.data);
 * assert.deepEqual(segments.map((s) => s.labelValue), [1, 2, 3, 4, 5, 6]);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
export * from "./nrrd_header.ts";
export * from "./nrrd_read.ts";
export * from "./nrrd_write.ts";
export * from "./seg_nrrd_segments.ts";
export * from "./seg_nrrd_read.ts";
export * from "./seg_nrrd_write.ts";
