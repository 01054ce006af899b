/**
 * `grn convert`: convert a scan or label volume between NIfTI, NRRD, 3D Slicer segmentations
 * and MATLAB files.
 * @module
 */
import { resolve } from "node:path";
import type { Command } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { readVolumeFile, volumeFormatFromPath, writeVolume } from "../../data/volume_file.ts";
import type { Axis, Volume } from "../../data/volume.ts";
import {
  DEPTH_AXIS_OPTION,
  FRAME_OPTION,
  MAT_VAR_OPTION,
  SPACING_VAR_OPTION,
} from "../_mat_options.ts";

/** The `convert` command. */
export const command: Command = {
  name: "convert",
  summary: "convert a scan between NIfTI, NRRD, 3D Slicer .seg.nrrd and MATLAB .mat",
  description:
    "Reads a scan or label volume (NIfTI, NRRD, .seg.nrrd or a MATLAB .mat file of v5 or\n" +
    "v7.3, recognised by content) and writes it in the format the output's ending names:\n" +
    ".nii/.nii.gz, .nrrd/.nhdr, .seg.nrrd (labels 0-6, the six layers named for 3D Slicer)\n" +
    "or .mat (Level 5, with spacing and affine variables). The geometry (RAS millimetres)\n" +
    "is kept; 3D Slicer's LPS NRRD files are converted. A .mat file needs its variable\n" +
    "(--var, unless it holds one 3-D array) and a spacing (a variable, a sidecar JSON or\n" +
    "--spacing); complex IQ data are log-compressed (--dynamic-range, 60 dB by default).\n" +
    "--var and --spacing-var take paths into cells and structs (ImgData{1}, P.spacing); a 4-D\n" +
    "array has frames along its 4th dimension (--frame, 1-based). The depth axis\n" +
    "(--depth-axis, else a MAT sidecar's depthAxis or the file's depthAxis variable, else 2)\n" +
    "is kept in a .mat output (a depthAxis variable) and reported; NIfTI and NRRD cannot hold\n" +
    "it (set depthAxis in dataset.json, or pass --depth-axis to grn predict).",
  positionals: [
    { name: "input", description: "input file (.nii, .nii.gz, .nrrd, .nhdr, .seg.nrrd, .mat)" },
    { name: "output", description: "output file; its ending chooses the format" },
  ],
  options: [
    MAT_VAR_OPTION,
    {
      name: "spacing",
      kind: "numbers",
      count: 3,
      min: 0,
      minExclusive: true,
      placeholder: "SX,SY,SZ",
      description: "voxel size in mm for an input that gives none",
    },
    SPACING_VAR_OPTION,
    FRAME_OPTION,
    DEPTH_AXIS_OPTION,
    {
      name: "dynamic-range",
      kind: "number",
      min: 0,
      minExclusive: true,
      placeholder: "DB",
      description: "dynamic range of the log compression of complex data, in dB (default 60)",
    },
    {
      name: "overwrite",
      kind: "boolean",
      description: "replace an existing output file (never the input)",
    },
  ],
  examples: [
    "grn convert Vantage_scan.mat scan.nii.gz --var ImgData --spacing 0.1,0.2,0.05",
    "grn convert Vantage.mat scan.mat --var 'ImgData{1}' --frame 2 --spacing-var P.spacing --depth-axis 0",
    "grn convert labels.nii.gz labels.seg.nrrd",
    "grn convert scan.nrrd scan.mat",
  ],
  async run({ args, out }) {
    const input = args.positionals.input!;
    const output = args.positionals.output!;
    const v = args.values;
    if (volumeFormatFromPath(output) === undefined) {
      throw new UsageError(
        `the output must end in .nii, .nii.gz, .nrrd, .nhdr, .seg.nrrd or .mat (got ${output})`,
      );
    }
    if (resolve(output) === resolve(input)) {
      throw new UsageError(
        `the output must not be the input, it would be overwritten (got ${output})`,
      );
    }
    if (v.overwrite !== true) {
      try {
        await Deno.lstat(output);
        throw new UsageError(`the output exists; pass --overwrite to replace it (got ${output})`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    const t0 = performance.now();
    const read = await readVolumeFile(input, {
      ...(v.var !== undefined ? { variable: v.var as string } : {}),
      ...(v["spacing-var"] !== undefined ? { spacingVariable: v["spacing-var"] as string } : {}),
      ...(v.spacing !== undefined ? { spacing: v.spacing as [number, number, number] } : {}),
      ...(v["dynamic-range"] !== undefined ? { dynamicRange: v["dynamic-range"] as number } : {}),
      ...(v.frame !== undefined ? { frame: v.frame as number } : {}),
      ...(v["depth-axis"] !== undefined ? { depthAxis: v["depth-axis"] as Axis } : {}),
    });
    let volume: Volume = read.volume;
    const format = volumeFormatFromPath(output)!;
    if (format === "seg-nrrd" && !(volume.data instanceof Uint8Array)) {
      // Labels stored as another integer type (e.g. a MATLAB double array): 0..6 only.
      const data = new Uint8Array(volume.data.length);
      for (let i = 0; i < data.length; i++) {
        const x = volume.data[i]!;
        if (!(Number.isInteger(x) && x >= 0 && x <= 6)) {
          throw new Error(
            `Cannot convert ${input} to a segmentation: voxel ${i} is not a label 0-6 (got ${x})`,
          );
        }
        data[i] = x;
      }
      volume = { ...volume, data };
    }
    const nifti = read.niftiHeader && format === "nifti"
      ? { nifti: { qformCode: read.niftiHeader.qformCode, sformCode: read.niftiHeader.sformCode } }
      : {};
    await writeVolume(output, volume, nifti);
    const result = {
      ok: true,
      input,
      output,
      from: read.format,
      to: format,
      ...(read.variable !== undefined ? { variable: read.variable } : {}),
      ...(read.mat ? read.mat : {}),
      depthAxis: volume.depthAxis ?? 2,
      depthAxisFrom: read.depthAxisFrom,
      depthAxisStored: format === "mat",
      shape: volume.shape,
      spacing: volume.spacing,
      seconds: (performance.now() - t0) / 1000,
    };
    out.result(
      result,
      () =>
        `Wrote ${output} (${read.format}${read.variable ? ` variable ${read.variable}` : ""}${
          read.mat?.variableFrom === "only candidate" ? ", the only 3-D array" : ""
        }${
          read.mat && read.mat.frames > 1 ? `, frame ${read.mat.frame} of ${read.mat.frames}` : ""
        } → ${format}, ${volume.shape.join("x")} voxels, ${
          volume.spacing.map((s) => s.toPrecision(3)).join("x")
        } mm, depth along axis ${volume.depthAxis ?? 2}${
          format === "mat" || (volume.depthAxis ?? 2) === 2 ? "" : " (not stored in this format)"
        })`,
    );
    return 0;
  },
};
