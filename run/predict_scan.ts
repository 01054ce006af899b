/**
 * `predictScan`: segment one 3-D scan with a trained run (the core of `grn predict`).
 * @module
 */
import { basename } from "node:path";
import { niftiWriteOptionsFromHeader } from "../data/nifti_write.ts";
import { readVolumeFile, writeVolume } from "../data/volume_file.ts";
import { predictVolume } from "../data/predict_volume.ts";
import type { Axis, Volume } from "../data/volume.ts";
import { type BackendChoice, initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { layerReadout, type ScanReadout } from "../metrics/layer_readout.ts";
import { readoutToCsv } from "../metrics/readout_to_csv.ts";
import { writeJsonAtomic } from "../metrics/write_json_atomic.ts";
import { checkOutputPath, writeTextFileAtomic } from "./_files.ts";
import { loadRunModel } from "./load_run_model.ts";

/** Options of {@linkcode predictScan}. */
export interface PredictScanOptions {
  /** Run folder, or a `.ckpt` file inside one. */
  model: string;
  /**
   * Input scan: NIfTI (`.nii`, `.nii.gz`), NRRD (`.nrrd`, `.nhdr`) or MATLAB (`.mat`, v5 or
   * v7.3), recognised by content.
   */
  input: string;
  /**
   * Output label volume (uint8 labels 0..6, the input's geometry): `.nii` / `.nii.gz`,
   * `.nrrd` / `.nhdr`, or `.seg.nrrd` (a 3D Slicer segmentation with the six layers named).
   */
  output: string;
  /**
   * The MAT variable holding the scan, or a path into a cell or struct (`ImgData{1}`,
   * `P.img`).
   * @default {the sidecar's `variable`, else the only 3-D numeric array, inside cells and
   *   structs too}
   */
  variable?: string;
  /**
   * The MAT variable (or path, `P.spacing`) holding the voxel size in mm.
   * @default {the sidecar's `spacingVariable`, else a variable named `spacing`}
   */
  spacingVariable?: string;
  /**
   * Frame of a 4-D MAT array (frames along its 4th dimension), 1-based.
   * @default {the sidecar's `frame`, else 1}
   */
  frame?: number;
  /**
   * Axis along which depth runs in the scan. Precedence: this option, then a MAT file's
   * sidecar `depthAxis` (or its `depthAxis` variable), then the run's dataset depth axis.
   * @default {the sidecar's, else the run's}
   */
  depthAxis?: Axis;
  /** Segment with SGE, `S(G(x))` (needs a model with a generator). @default {false} */
  sge?: boolean;
  /** Write the layer read-out (thickness, echogenicity) here: `.json` or `.csv`. @default {none} */
  readout?: string;
  /** Voxel size in mm for an input whose header has none. @default {none} */
  spacing?: [number, number, number];
  /** Slices per forward pass. @default {8} */
  batchSize?: number;
  /** Backend. @default {"auto"} */
  backend?: BackendChoice;
  /** Threads (wasm workers, or oneDNN's with the native provider). @default {1} */
  threads?: number;
  /** Native kernel provider on the wasm backend. @default {"auto"} */
  native?: NativeChoice;
  /** Replace an existing output or read-out file. @default {false} */
  overwrite?: boolean;
  /** Notes. @default {discarded} */
  log?: (line: string) => void;
}

/** What {@linkcode predictScan} returns. */
export interface PredictScanResult {
  /** Input path. */
  input: string;
  /** Output path. */
  output: string;
  /** Checkpoint used. */
  checkpoint: string;
  /** Whether SGE was used. */
  sge: boolean;
  /** Volume shape `[nx, ny, nz]`. */
  shape: [number, number, number];
  /** Voxel size in mm. */
  spacing: [number, number, number];
  /** Axis along which depth ran in the scan. */
  depthAxis: Axis;
  /** Where the depth axis came from: the option, the sidecar or the file, or the run. */
  depthAxisFrom: "option" | "sidecar" | "file" | "run";
  /** For a MAT file: the variable read (a path inside a cell or struct), how it was chosen, its frame. */
  mat: {
    variable: string;
    variableFrom: "option" | "sidecar" | "only candidate";
    frame: number;
    frames: number;
  } | null;
  /** Voxels per label 0..6. */
  voxelsPerLabel: number[];
  /** The read-out, when asked for. */
  readout: ScanReadout | null;
  /** Where the read-out went, when asked for. */
  readoutPath: string | null;
  /** Wall-clock seconds. */
  seconds: number;
}

function scanId(path: string): string {
  return basename(path).replace(/(_0000)?(\.nii(\.gz)?|\.seg\.nrrd|\.nrrd|\.nhdr|\.mat)$/, "");
}

/** Output endings `predictScan` writes. */
const OUTPUT_PATTERN = /\.(nii|nii\.gz|nrrd|nhdr)$/;

/**
 * Segments one scan: reads the image (NIfTI, NRRD or MAT, see `readVolumeFile`; depth along
 * `depthAxis`, else the axis a MAT file's sidecar or the file gives, else the run's dataset
 * depth axis), predicts every slice in both directions (softmax averaged),
 * writes the label volume with the input's shape, spacing and affine (a `.seg.nrrd` output
 * opens in 3D Slicer with the six layers named), and optionally writes the layer read-out.
 *
 * @param options See {@linkcode PredictScanOptions}.
 * @returns What was written.
 * @throws {Error} When the model or the input cannot be read, the output extension is not
 *   NIfTI or NRRD, the scan has NaN or infinite voxels, the read-out extension is not `.json`
 *   or `.csv`, or SGE is asked for a model without a generator.
 * @throws {OutputPathError} Before any work, when the output or the read-out is the input
 *   scan, the model or each other, its folder does not exist, or it exists and `overwrite` is
 *   off.
 */
export async function predictScan(options: PredictScanOptions): Promise<PredictScanResult> {
  const t0 = performance.now();
  const {
    model,
    input,
    output,
    sge = false,
    readout,
    spacing,
    batchSize = 8,
    backend = "auto",
    threads = 1,
    native = "auto",
    overwrite = false,
    log = () => {},
  } = options;
  if (!OUTPUT_PATTERN.test(output)) {
    throw new Error(
      `Cannot predict: the output must end in .nii, .nii.gz, .nrrd, .nhdr or .seg.nrrd (got ${output})`,
    );
  }
  if (readout !== undefined && !/\.(json|csv)$/.test(readout)) {
    throw new Error(`Cannot predict: the read-out must end in .json or .csv (got ${readout})`);
  }
  const inputs = [{ path: input, what: "input scan" }, { path: model, what: "model" }];
  await checkOutputPath("Cannot predict", {
    path: output,
    flag: "--output",
    others: inputs,
    overwrite,
  });
  if (readout !== undefined) {
    await checkOutputPath("Cannot predict", {
      path: readout,
      flag: "--readout",
      others: [...inputs, { path: output, what: "--output file" }],
      overwrite,
    });
  }
  await initEngine({ backend, threads, native, log });
  const { config, checkpoint, method } = await loadRunModel(model, { sge });
  try {
    if (sge && !method.hasGenerator) {
      throw new Error(
        `Cannot predict with SGE: method ${config.method} has no generator (got --sge with ${model})`,
      );
    }
    const read = await readVolumeFile(input, {
      dtype: "float32",
      fallbackDepthAxis: config.dataset.depthAxis,
      ...(options.depthAxis !== undefined ? { depthAxis: options.depthAxis } : {}),
      ...(spacing ? { spacing } : {}),
      ...(options.variable !== undefined ? { variable: options.variable } : {}),
      ...(options.spacingVariable !== undefined
        ? { spacingVariable: options.spacingVariable }
        : {}),
      ...(options.frame !== undefined ? { frame: options.frame } : {}),
    });
    const { volume, niftiHeader: header } = read;
    const depthAxisFrom = read.depthAxisFrom === "fallback" || read.depthAxisFrom === "default"
      ? "run"
      : read.depthAxisFrom;
    const mat = read.mat && read.variable !== undefined
      ? {
        variable: read.variable,
        variableFrom: read.mat.variableFrom,
        frame: read.mat.frame,
        frames: read.mat.frames,
      }
      : null;
    const image = volume as Volume<Float32Array>;
    let nonFinite = 0;
    for (const v of image.data) if (!Number.isFinite(v)) nonFinite++;
    if (nonFinite > 0) {
      throw new Error(
        `Cannot predict: scan ${input} has non-finite voxels (got ${nonFinite} NaN or infinite)`,
      );
    }
    const labels = await predictVolume(
      image,
      (x) => method.trainer.predict(x, { sge }),
      { inputSize: config.slices.inputSize, batchSize, fit: config.slices.fit },
    );
    // A NIfTI input's qform/sform codes, units and dimensionality; NIfTI-2 when a size needs
    // it. A .seg.nrrd output gets 3D Slicer's segment names and colours.
    await writeVolume(output, labels, {
      nifti: { datatype: "uint8", ...(header ? niftiWriteOptionsFromHeader(header) : {}) },
    });
    const counts = new Array<number>(config.networks.numClasses).fill(0);
    for (const v of labels.data) counts[v]!++;
    let result: ScanReadout | null = null;
    if (readout !== undefined) {
      result = layerReadout(labels, image, { id: scanId(input) });
      if (readout.endsWith(".csv")) await writeTextFileAtomic(readout, readoutToCsv(result));
      else await writeJsonAtomic(readout, result);
    }
    return {
      input,
      output,
      checkpoint,
      sge,
      shape: [...labels.shape],
      spacing: [...labels.spacing],
      depthAxis: volume.depthAxis ?? 2,
      depthAxisFrom,
      mat,
      voxelsPerLabel: counts,
      readout: result,
      readoutPath: readout ?? null,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    method.dispose();
  }
}
