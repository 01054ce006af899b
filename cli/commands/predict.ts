/**
 * `grn predict`: segment one scan.
 * @module
 */
import type { Command } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { engineLog } from "../_engine_notice.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import {
  DEPTH_AXIS_OPTION,
  FRAME_OPTION,
  MAT_VAR_OPTION,
  SPACING_VAR_OPTION,
} from "../_mat_options.ts";
import type { Axis } from "../../data/volume.ts";
import { OutputPathError } from "../../run/output_path_error.ts";
import { predictScan, type PredictScanOptions } from "../../run/predict_scan.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";

/** The `predict` command. */
export const command: Command = {
  name: "predict",
  summary: "segment one 3-D scan into a label volume, with optional SGE and layer read-out",
  description:
    "Reads a scan (NIfTI, NRRD, or a MATLAB .mat file of v5 or v7.3, recognised by content),\n" +
    "segments every slice in both directions with the run's model (probabilities averaged),\n" +
    "and writes a uint8 label volume (0 background .. 6 muscle) with the input's shape,\n" +
    "spacing and affine: NIfTI, NRRD, or a 3D Slicer segmentation when -o ends in .seg.nrrd\n" +
    "(the six layers named and coloured). --readout writes each layer's thickness (mm) and\n" +
    "echogenicity as JSON or CSV.\n" +
    "A MAT file's scan may sit in a cell or struct (--var ImgData{1}, --var P.img; without\n" +
    "--var the only 3-D array anywhere in the file is read and named in the output); a 4-D\n" +
    "array has frames along its 4th dimension (--frame, 1-based). Depth axis precedence:\n" +
    "--depth-axis, else a MAT file's sidecar depthAxis (or its depthAxis variable), else the\n" +
    "run's dataset depth axis.",
  positionals: [
    { name: "model", description: "run folder (or a .ckpt file inside one)" },
    { name: "scan", description: "input scan (.nii, .nii.gz, .nrrd, .nhdr or .mat)" },
  ],
  options: [
    {
      name: "output",
      short: "o",
      kind: "string",
      placeholder: "FILE",
      description: "output label volume (.nii, .nii.gz, .nrrd, .nhdr or .seg.nrrd), required",
    },
    { name: "sge", kind: "boolean", description: "segment with SGE, S(G(x))" },
    MAT_VAR_OPTION,
    SPACING_VAR_OPTION,
    FRAME_OPTION,
    DEPTH_AXIS_OPTION,
    {
      name: "readout",
      kind: "string",
      placeholder: "FILE",
      description: "write the layer read-out (.json or .csv)",
    },
    {
      name: "spacing",
      kind: "numbers",
      count: 3,
      min: 0,
      minExclusive: true,
      placeholder: "SX,SY,SZ",
      description: "voxel size in mm for a scan whose file gives none (e.g. a .mat file)",
    },
    { name: "batch-size", kind: "integer", min: 1, default: 8, description: "slices per pass" },
    {
      name: "overwrite",
      kind: "boolean",
      description: "replace an existing --output or --readout file (never the input scan)",
    },
    BACKEND_OPTION,
    THREADS_OPTION,
    NATIVE_OPTION,
  ],
  examples: [
    "grn predict runs/ssl10 scan.nii.gz -o scan_labels.nii.gz --sge --readout scan_layers.csv",
    "grn predict runs/ssl10 scan.mat -o scan.seg.nrrd --spacing 0.1,0.2,0.05",
    "grn predict runs/ssl10 Vantage.mat --var 'ImgData{1}' --frame 3 --depth-axis 0 --spacing-var P.spacing -o scan.seg.nrrd",
  ],
  async run({ args, out }) {
    const v = args.values;
    if (v.output === undefined) {
      throw new UsageError("missing --output FILE (where the label volume goes)");
    }
    if (!/\.(nii|nii\.gz|nrrd|nhdr)$/.test(v.output as string)) {
      throw new UsageError(
        `--output must end in .nii, .nii.gz, .nrrd, .nhdr or .seg.nrrd (got ${v.output})`,
      );
    }
    if (v.readout !== undefined && !/\.(json|csv)$/.test(v.readout as string)) {
      throw new UsageError(`--readout must end in .json or .csv (got ${v.readout})`);
    }
    const options: PredictScanOptions = {
      model: args.positionals.model!,
      input: args.positionals.scan!,
      output: v.output as string,
      sge: v.sge === true,
      batchSize: (v["batch-size"] as number | undefined) ?? 8,
      backend: (v.backend as BackendChoice | undefined) ?? "auto",
      threads: (v.threads as number | undefined) ?? 1,
      native: (v.native as NativeChoice | undefined) ?? "auto",
      overwrite: v.overwrite === true,
      log: engineLog(out, { native: (v.native as NativeChoice | undefined) ?? "auto" }),
    };
    if (v.readout !== undefined) options.readout = v.readout as string;
    if (v.spacing !== undefined) options.spacing = v.spacing as [number, number, number];
    if (v.var !== undefined) options.variable = v.var as string;
    if (v["spacing-var"] !== undefined) options.spacingVariable = v["spacing-var"] as string;
    if (v.frame !== undefined) options.frame = v.frame as number;
    if (v["depth-axis"] !== undefined) options.depthAxis = v["depth-axis"] as Axis;
    let r;
    try {
      r = await predictScan(options);
    } catch (error) {
      // An output that names an input is a mistake in the command line: exit code 2.
      if (error instanceof OutputPathError && error.usage) throw new UsageError(error.message);
      throw error;
    }
    out.result({ ok: true, ...r }, () => {
      const lines = [
        `Wrote ${r.output} (${r.shape.join("x")} voxels, ${
          r.spacing.map((s) => s.toPrecision(3)).join("x")
        } mm${r.sge ? ", SGE" : ""}, ${r.seconds.toFixed(1)} s)`,
      ];
      if (r.mat) {
        lines.push(
          `Scan: ${r.mat.variable}${
            r.mat.variableFrom === "only candidate" ? " (the only 3-D array)" : ""
          }${
            r.mat.frames > 1 ? `, frame ${r.mat.frame} of ${r.mat.frames}` : ""
          }; depth along axis ${r.depthAxis} (${r.depthAxisFrom})`,
        );
      }
      if (r.readout) {
        lines.push(`Layer read-out (${r.readoutPath}):`);
        for (const l of r.readout.layers) {
          const t = l.thicknessMm;
          lines.push(
            `  ${l.name.padEnd(30)} median ${
              Number.isNaN(t.median) ? "  n/a" : t.median.toFixed(2)
            } mm, present in ${(100 * l.presentFraction).toFixed(0)}% of columns`,
          );
        }
      }
      return lines.join("\n");
    });
    return 0;
  },
};
