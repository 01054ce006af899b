/**
 * What the web page does with a dropped scan, as SDK code that runs in the browser and in Deno:
 * decode the NIfTI file, check it, segment it with `S(x)` and `S(G(x))` exactly as
 * `grn predict` does (`predictVolume`, both directions averaged), compute `G(x)` for display,
 * the per-layer read-out, and encode the labels as NIfTI with the input's geometry.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type NiftiHeader } from "../data/nifti_header.ts";
import { decodeNifti } from "../data/nifti_read.ts";
import { encodeNifti, niftiWriteOptionsFromHeader } from "../data/nifti_write.ts";
import { predictVolume } from "../data/predict_volume.ts";
import { fitImageSlice, unfitChannels } from "../data/slices_fit.ts";
import {
  readSlice,
  SLICE_DIRECTIONS,
  type SliceDirection,
  sliceGeometry,
  writeSlice,
} from "../data/slices_geometry.ts";
import { applyWindow, robustWindow } from "../data/slices_normalize.ts";
import type { Volume } from "../data/volume.ts";
import type { ImageBatch } from "../engine/tensor_types.ts";
import { layerReadout, type ScanReadout } from "../metrics/layer_readout.ts";
import type { WebManifest } from "./manifest.ts";
import type { WebModel } from "./web_model.ts";

/** Largest estimated working memory of one scan the page accepts by default: 1.5 GiB. */
export const DEFAULT_MAX_SCAN_BYTES: number = 1.5 * 2 ** 30;

/** A scan the page cannot segment: not a scan, the wrong rank, too large, non-finite. */
export class ScanInputError extends Error {
  /** What was wrong. */
  readonly reason: "not-a-scan" | "rank" | "too-large" | "non-finite";

  /**
   * Names the file and what was wrong with it.
   *
   * @param message The full message (`Cannot segment <file>: ...`).
   * @param reason What was wrong.
   * @param options The cause, when another error led to it.
   */
  constructor(message: string, reason: ScanInputError["reason"], options?: ErrorOptions) {
    super(message, options);
    this.name = "ScanInputError";
    this.reason = reason;
  }
}

/** Progress of {@linkcode segmentScan}. */
export interface SegmentProgress {
  /** What runs: `S(x)`, `S(G(x))`, or `G(x)` for display. */
  stage: "segment" | "segment-sge" | "enhance";
  /** Slices done over every stage. */
  done: number;
  /** Slices over every stage. */
  total: number;
}

/** Options of {@linkcode segmentScan}. */
export interface SegmentScanOptions {
  /** The file's name, for messages and the read-out's scan id. @default {"scan.nii.gz"} */
  fileName?: string;
  /** Called after every batch of slices. @default {none} */
  onProgress?: (progress: SegmentProgress) => void;
  /**
   * Refuse scans whose estimated working memory ({@linkcode estimateScanBytes}) exceeds this.
   * @default {DEFAULT_MAX_SCAN_BYTES}
   */
  maxBytes?: number;
  /** Segment with SGE as well, when the model can. @default {true} */
  sge?: boolean;
  /** Compute `G(x)` for display, when the model has a generator. @default {true} */
  enhance?: boolean;
}

/** One inference path's result. */
export interface WebSegmentation {
  /** Labels 0..6 with the scan's shape, spacing, affine and depth axis. */
  labels: Volume<Uint8Array>;
  /** The per-layer read-out (`layerReadout` of the labels and the scan). */
  readout: ScanReadout;
  /** Voxels per label. */
  voxelsPerLabel: number[];
}

/** What {@linkcode segmentScan} returns. */
export interface WebScanResult {
  /** Scan id (the file name without `_0000` and its extension), as `grn predict`'s read-out. */
  id: string;
  /** The scan as read (float32). */
  image: Volume<Float32Array>;
  /** The scan in its robust window, `[-1, 1]`: what the network sees, for display. */
  windowed: Float32Array;
  /** The NIfTI header of the input (its geometry codes go into the label files). */
  header: NiftiHeader;
  /** `S(x)`. */
  plain: WebSegmentation;
  /** `S(G(x))`, or `null` without a generator. */
  sge: WebSegmentation | null;
  /**
   * `G(x)` in `[-1, 1]` with the scan's shape, from the slices of the manifest's
   * `enhanceDirection`, or `null` without a generator.
   */
  enhanced: Float32Array | null;
  /** Wall-clock seconds. */
  seconds: number;
}

/** The scan id `grn predict` gives a file: its name without `_0000` and the extension. */
export function scanIdOf(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf("/") + 1);
  return base.replace(/(_0000)?(\.nii(\.gz)?|\.seg\.nrrd|\.nrrd|\.nhdr|\.mat)$/, "");
}

/**
 * Working memory of segmenting a scan in bytes, estimated: the scan, its windowed copy, the
 * summed probabilities of both directions (`4 · classes` per voxel) and the labels per path,
 * and `G(x)`.
 *
 * @param voxels Voxels of the scan.
 * @param classes Classes of the segmentor.
 * @param sge Whether SGE runs too.
 * @returns Bytes.
 */
export function estimateScanBytes(voxels: number, classes: number, sge: boolean): number {
  const perPath = 4 * classes + 1;
  return voxels * (8 + perPath * (sge ? 2 : 1) + (sge ? 4 : 0));
}

function looksLikeNifti(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return true; // gzip
  if (bytes.length < 348) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = [view.getInt32(0, true), view.getInt32(0, false)];
  return size.includes(348) || size.includes(540);
}

function isAllocationFailure(error: unknown): boolean {
  return error instanceof RangeError &&
    /allocation|Invalid array length|Invalid typed array length|out of memory/i.test(error.message);
}

function tooLarge(file: string, shape: readonly number[], bytes: number, limit: number): never {
  throw new ScanInputError(
    `Cannot segment ${file}: the scan is too large for this browser's memory (about ${
      Math.ceil(bytes / 2 ** 20)
    } MiB needed, at most ${Math.floor(limit / 2 ** 20)} MiB; got ${shape.join("x")} voxels)`,
    "too-large",
  );
}

/**
 * Reads a NIfTI scan from bytes as `grn predict` does (float32, the run's depth axis) and
 * checks that it can be segmented.
 *
 * @param bytes The `.nii` or `.nii.gz` file.
 * @param manifest The exported model's manifest (depth axis, classes).
 * @param options File name, memory limit and whether SGE runs.
 * @returns The scan and its header.
 * @throws {ScanInputError} When the file is not a NIfTI scan, is not 3-D, holds NaN or
 *   infinite voxels, or needs more memory than `maxBytes`.
 */
export function decodeScan(
  bytes: Uint8Array,
  manifest: WebManifest,
  options: Pick<SegmentScanOptions, "fileName" | "maxBytes" | "sge"> = {},
): { image: Volume<Float32Array>; header: NiftiHeader } {
  const file = options.fileName ?? "scan.nii.gz";
  const limit = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  const sge = (options.sge ?? true) && manifest.sge;
  if (!looksLikeNifti(bytes)) {
    const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new ScanInputError(
      `Cannot segment ${file}: not a NIfTI scan (.nii or .nii.gz) (got ${bytes.length} bytes starting ${
        head || "with nothing"
      })`,
      "not-a-scan",
    );
  }
  let decoded;
  try {
    decoded = decodeNifti(bytes, {
      file,
      dtype: "float32",
      depthAxis: manifest.input.depthAxis,
    });
  } catch (error) {
    if (isAllocationFailure(error)) tooLarge(file, [], bytes.length * 4, limit);
    const message = error instanceof Error ? error.message : String(error);
    const reason = /dimension|dim\[0\]|4-D|volumes/i.test(message) ? "rank" : "not-a-scan";
    throw new ScanInputError(
      `Cannot segment ${file}: ${
        reason === "rank" ? "not a single 3-D scan" : "not a readable NIfTI scan"
      } (got: ${message})`,
      reason,
      { cause: error },
    );
  }
  const { volume, header } = decoded;
  const rank = header.dims[0]!;
  const extent = volume.shape.filter((n) => n > 1).length;
  if (rank < 3 || extent < 3) {
    throw new ScanInputError(
      `Cannot segment ${file}: expected a 3-D scan (got a ${Math.min(rank, extent)}-D image of ${
        volume.shape.join("x")
      } voxels)`,
      "rank",
    );
  }
  const classes = manifest.networks.segmentor.config.numClasses;
  const needed = estimateScanBytes(volume.data.length, classes, sge);
  if (needed > limit) tooLarge(file, volume.shape, needed, limit);
  const image = volume as Volume<Float32Array>;
  let nonFinite = 0;
  for (const v of image.data) if (!Number.isFinite(v)) nonFinite++;
  if (nonFinite > 0) {
    throw new ScanInputError(
      `Cannot segment ${file}: the scan has non-finite voxels (got ${nonFinite} NaN or infinite)`,
      "non-finite",
    );
  }
  return { image, header };
}

function countLabels(labels: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const v of labels) counts[v]!++;
  return counts;
}

/**
 * `G(x)` of every slice of one direction, mapped back to the scan's grid: what the page shows
 * beside the B-mode.
 */
async function enhanceVolume(
  windowed: Float32Array,
  shape: [number, number, number],
  model: WebModel,
  direction: SliceDirection,
  progress: (slices: number) => void,
): Promise<Float32Array> {
  const { input } = model.manifest;
  const [height, width] = input.size;
  const geometry = sliceGeometry(shape, direction, input.depthAxis);
  const { rows, cols, count } = geometry;
  const out = new Float32Array(windowed.length);
  const native = new Float32Array(rows * cols);
  const pixels = height * width;
  for (let start = 0; start < count; start += input.batchSize) {
    const b = Math.min(input.batchSize, count - start);
    const batch = new Float32Array(b * pixels);
    for (let k = 0; k < b; k++) {
      readSlice(windowed, geometry, start + k, native);
      fitImageSlice(
        native,
        rows,
        cols,
        height,
        width,
        input.fit,
        -1,
        batch.subarray(k * pixels, (k + 1) * pixels),
      );
    }
    const g = tf.tidy(() => model.enhance(tf.tensor4d(batch, [b, height, width, 1]) as ImageBatch));
    let values: Float32Array;
    try {
      values = (await g.data()) as Float32Array;
    } finally {
      g.dispose();
    }
    for (let k = 0; k < b; k++) {
      const back = unfitChannels(
        values.subarray(k * pixels, (k + 1) * pixels),
        height,
        width,
        1,
        rows,
        cols,
        input.fit,
      );
      writeSlice(out, geometry, start + k, back);
    }
    progress(b);
  }
  return out;
}

/**
 * Segments a NIfTI scan with an exported model, as `grn predict` does: `S(x)` with the weights
 * of `model.ckpt` and, for a method with a generator, `S(G(x))` with those of
 * `model_sge.ckpt`, each through `predictVolume` (every coronal and sagittal slice, softmax
 * averaged); then `G(x)` for display and the per-layer read-out of each.
 *
 * @param bytes The `.nii` or `.nii.gz` file.
 * @param model The exported model.
 * @param options File name, progress, memory limit, SGE and `G(x)`.
 * @returns Labels, read-outs, `G(x)` and the scan.
 * @throws {ScanInputError} For a file that is not a 3-D NIfTI scan, holds non-finite voxels,
 *   or is too large for the browser's memory.
 */
export async function segmentScan(
  bytes: Uint8Array,
  model: WebModel,
  options: SegmentScanOptions = {},
): Promise<WebScanResult> {
  const t0 = performance.now();
  const manifest = model.manifest;
  const file = options.fileName ?? "scan.nii.gz";
  const limit = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  const sge = (options.sge ?? true) && model.hasSge;
  const enhance = (options.enhance ?? true) && model.hasSge;
  const { image, header } = decodeScan(bytes, manifest, { fileName: file, maxBytes: limit, sge });
  const { input } = manifest;
  const directions = input.predictDirection === "both"
    ? SLICE_DIRECTIONS
    : [input.predictDirection];
  const perPass = directions.reduce(
    (n, d) => n + sliceGeometry(image.shape, d, input.depthAxis).count,
    0,
  );
  const enhanceSlices = enhance
    ? sliceGeometry(image.shape, input.enhanceDirection, input.depthAxis).count
    : 0;
  const total = perPass * (sge ? 2 : 1) + enhanceSlices;
  let done = 0;
  const report = (stage: SegmentProgress["stage"], slices: number) => {
    done += slices;
    options.onProgress?.({ stage, done, total });
  };
  const classes = manifest.networks.segmentor.config.numClasses;
  const id = scanIdOf(file);
  try {
    const run = async (withSge: boolean): Promise<WebSegmentation> => {
      const stage = withSge ? "segment-sge" : "segment";
      const labels = await predictVolume(
        image,
        (x) => {
          const logits = model.predict(x, { sge: withSge });
          report(stage, x.shape[0]);
          return logits;
        },
        {
          inputSize: input.size,
          batchSize: input.batchSize,
          fit: input.fit,
          direction: input.predictDirection,
          percentiles: input.percentiles,
        },
      );
      return {
        labels,
        readout: layerReadout(labels, image, { id, layers: manifest.readoutLayers }),
        voxelsPerLabel: countLabels(labels.data, classes),
      };
    };
    const plain = await run(false);
    const withSge = sge ? await run(true) : null;
    const windowed = applyWindow(image.data, robustWindow(image.data, input.percentiles));
    const enhanced = enhance
      ? await enhanceVolume(
        windowed,
        image.shape,
        model,
        input.enhanceDirection,
        (n) => report("enhance", n),
      )
      : null;
    return {
      id,
      image,
      windowed,
      header,
      plain,
      sge: withSge,
      enhanced,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (error) {
    if (isAllocationFailure(error)) {
      tooLarge(file, image.shape, estimateScanBytes(image.data.length, classes, sge), limit);
    }
    throw error;
  }
}

/**
 * Encodes a label volume as NIfTI with the input's geometry codes, as `grn predict` writes it
 * (uint8; the input's qform/sform codes, unit and dimensionality).
 *
 * @param labels The labels.
 * @param header The input scan's header.
 * @param options `gzip` for `.nii.gz`. @default {{ gzip: true }}
 * @returns The file's bytes.
 */
export function labelsToNifti(
  labels: Volume<Uint8Array>,
  header: NiftiHeader,
  options: { gzip?: boolean } = {},
): Uint8Array {
  return encodeNifti(labels, {
    datatype: "uint8",
    gzip: options.gzip ?? true,
    ...niftiWriteOptionsFromHeader(header),
  });
}
