/**
 * MATLAB files: scans from Level 5 MAT-files (compressed or not) and v7.3 (HDF5) files, the
 * formats a Verasonics Vantage system's MATLAB scripts save, with complex IQ data
 * log-compressed to B-mode; and a Level 5 writer.
 *
 * @example Read the beamformed volume of a MAT file
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMatFile, writeMat } from "./mod.ts";
 * import { affineFromSpacing } from "../volume.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".mat" });
 * const scan = { data: new Float32Array(8 * 8 * 4), shape: [8, 8, 4] as [number, number, number], spacing: [0.2, 0.2, 0.1] as [number, number, number] };
 * await writeMat(path, { ...scan, affine: affineFromSpacing(scan.spacing) }, { variable: "ImgData" });
 * const { volume, variable, spacingFrom } = await readMatFile(path);
 * assert.deepEqual([variable, spacingFrom, volume.shape], ["ImgData", "affine", [8, 8, 4]]);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
export * from "./mat_variable.ts";
export * from "./mat5_read.ts";
export * from "./mat73_read.ts";
export * from "./mat_read.ts";
export * from "./mat5_write.ts";
export * from "./bmode.ts";
