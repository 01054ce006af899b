/**
 * What the web page does with a dropped scan, as SDK code that runs in the browser and in Deno:
 * decode the NIfTI file or the PNG stack (the slices and their `spacing.json`, decoded by the
 * SDK's `decodePngStack` as `readPngStack` does), check it, segment it with `S(x)` and `S(G(x))` exactly as
 * `grn predict` does (`predictVolume`, both directions averaged), compute `G(x)` for display,
 * the per-layer read-out, and encode the labels as NIfTI with the input's geometry.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type NiftiHeader } from "../data/nifti_header.ts";
import { decodeNifti } from "../data/nifti_read.ts";
import { encodeNifti, niftiWriteOptionsFromHeader } from "../data/nifti_write.ts";
import { predictVolume } from "../data/predict_volume.ts";
import {
  decodePngStack,
  parsePngStackSidecar,
  PNG_STACK_SIDECAR,
  type PngStackSidecar,
} from "../data/png_stack_read.ts";
import { fitImageSlice, unfitChannels } from "../data/slices_fit.ts";
import {
  readSlice,
  SLICE_DIRECTIONS,
  type SliceDirection,
  sliceGeometry,
  writeSlice,
} from "../data/slices_geometry.ts";
import { applyWindow, robustWindow } from "../data/slices_normalize.ts";
import type { Axis, Volume } from "../data/volume.ts";
import type { ImageBatch } from "../engine/tensor_types.ts";
import { layerReadout, type ScanReadout } from "../metrics/layer_readout.ts";
import type { WebManifest } from "./manifest.ts";
import type { WebModel } from "./web_model.ts";

/** Largest estimated working memory of one scan the page accepts by default: 1.5 GiB. */
export const DEFAULT_MAX_SCAN_BYTES: number = 1.5 * 2 ** 30;

/**
 * A scan the page cannot segment: not a scan, the wrong rank, too large, non-finite; for the
 * files of a drop also a mix of kinds, a PNG stack the SDK refuses (slices of different sizes,
 * colour, a bad `spacing.json`), or a PNG stack without a voxel spacing (the page then asks
 * for it).
 */
export class ScanInputError extends Error {
  /** What was wrong. */
  readonly reason:
    | "not-a-scan"
    | "rank"
    | "too-large"
    | "non-finite"
    | "mixed-files"
    | "png-stack"
    | "no-spacing";

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

/**
 * One file of a drop: its name (a dropped folder's files as `folder/name`) and bytes. The page
 * passes every file dropped or picked at once.
 */
export interface WebScanFile {
  /** The file's name, with its folder when it came in one (`scan01/slice_0003.png`). */
  name: string;
  /** Its bytes. */
  bytes: Uint8Array;
}

/** Options of {@linkcode segmentScan}. */
export interface SegmentScanOptions {
  /**
   * The scan's name, for messages and the read-out's scan id.
   * @default {for bytes "scan.nii.gz"; for files, a NIfTI file's name, else the PNG stack's
   *   folder (the part of the slices' names before their last `/`), else "png_stack"}
   */
  fileName?: string;
  /**
   * Voxel size in mm along x, y, z of a PNG stack, overriding its `spacing.json` (as
   * `readPngStack`'s `spacing`); ignored for a NIfTI scan.
   * @default {the spacing in the dropped spacing.json (a "no-spacing" error without one)}
   */
  spacing?: [number, number, number];
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
  /** What was read: a NIfTI file or a PNG stack. */
  format: "nifti" | "png-stack";
  /**
   * The scan as read (float32): a NIfTI file with the run's depth axis, a PNG stack with the
   * stack's geometry (as `readPngStack` gives it: the spacing diagonal as affine, depth along
   * the axis the PNG rows map to).
   */
  image: Volume<Float32Array>;
  /** The scan in its robust window, `[-1, 1]`: what the network sees, for display. */
  windowed: Float32Array;
  /**
   * The NIfTI header of the input (its geometry codes go into the label files), or `null` for
   * a PNG stack (the labels then carry the stack's spacing and affine).
   */
  header: NiftiHeader | null;
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

/** A decoded scan: what {@linkcode decodeScan} and {@linkcode decodeScanFiles} return. */
export interface DecodedWebScan {
  /** The scan (float32). */
  image: Volume<Float32Array>;
  /** The NIfTI header, or `null` for a PNG stack. */
  header: NiftiHeader | null;
  /** What was read. */
  format: "nifti" | "png-stack";
  /** The scan's name (for messages and the scan id). */
  fileName: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's `IHDR`, or undefined when the bytes are no PNG. */
function pngSize(bytes: Uint8Array): [number, number] | undefined {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

function listNames(names: string[], max = 4): string {
  return names.length <= max
    ? names.join(", ")
    : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

/**
 * Reads the files of one drop as the page does: one NIfTI file (see {@linkcode decodeScan}),
 * or a PNG stack, that is at least two `.png` slices and optionally their `spacing.json`,
 * decoded with the SDK's `decodePngStack` exactly as `readPngStack` reads such a folder
 * (natural order of the names, 8- or 16-bit grayscale, one size; stacked along the sidecar's
 * `stackAxis`, else y), then converted to float32.
 *
 * @param files Every file dropped or picked at once.
 * @param manifest The exported model's manifest (depth axis of a NIfTI scan, classes).
 * @param options Name, spacing, memory limit and whether SGE runs.
 * @returns The scan, its NIfTI header (`null` for a PNG stack), its format and name.
 * @throws {ScanInputError} `mixed-files` for several NIfTI files or a mix of kinds,
 *   `rank` for one PNG alone, `png-stack` for slices or a `spacing.json` the SDK refuses,
 *   `no-spacing` for a stack with neither `spacing.json` nor `options.spacing` (after its
 *   slices decoded, so the spacing is asked for only for a readable stack), `too-large`, and
 *   the errors of {@linkcode decodeScan} for a NIfTI file.
 */
export async function decodeScanFiles(
  files: readonly WebScanFile[],
  manifest: WebManifest,
  options: Pick<SegmentScanOptions, "fileName" | "maxBytes" | "sge" | "spacing"> = {},
): Promise<DecodedWebScan> {
  const pngs = files.filter((f) => /\.png$/i.test(f.name));
  const sidecars = files.filter((f) => baseName(f.name).toLowerCase() === PNG_STACK_SIDECAR);
  const others = files.filter((f) => !pngs.includes(f) && !sidecars.includes(f));
  if (pngs.length === 0 && sidecars.length === 0 && others.length === 1) {
    const file = others[0]!;
    const fileName = options.fileName ?? file.name;
    const { image, header } = decodeScan(file.bytes, manifest, { ...options, fileName });
    return { image, header, format: "nifti", fileName };
  }
  const folder = pngs[0]?.name.includes("/")
    ? pngs[0].name.slice(0, pngs[0].name.lastIndexOf("/"))
    : undefined;
  const name = options.fileName ?? (folder ? baseName(folder) || "png_stack" : "png_stack");
  if (files.length === 0) {
    throw new ScanInputError(`Cannot segment: no file was dropped (got 0 files)`, "not-a-scan");
  }
  if (others.length > 0) {
    const what = pngs.length + sidecars.length > 0
      ? `${pngs.length} .png file(s)${sidecars.length ? ` and ${PNG_STACK_SIDECAR}` : ""} with ${
        listNames(others.map((f) => baseName(f.name)))
      }`
      : `${others.length} files: ${listNames(others.map((f) => baseName(f.name)))}`;
    throw new ScanInputError(
      `Cannot segment ${pngs.length > 0 ? name : "these files"}: drop one scan at a time, ` +
        `either one NIfTI file (.nii or .nii.gz) or the .png slices of one PNG stack with its ` +
        `${PNG_STACK_SIDECAR}, not a mix (got ${what})`,
      "mixed-files",
    );
  }
  if (sidecars.length > 1) {
    throw new ScanInputError(
      `Cannot segment ${name}: a PNG stack has one ${PNG_STACK_SIDECAR} (got ${sidecars.length}: ${
        listNames(sidecars.map((f) => f.name))
      })`,
      "mixed-files",
    );
  }
  const seen = new Set<string>();
  for (const f of pngs) {
    const base = baseName(f.name);
    if (seen.has(base)) {
      throw new ScanInputError(
        `Cannot segment ${name}: the slices of one PNG stack have different names, and two ` +
          `files are named ${base} (got ${
            listNames(pngs.filter((p) => baseName(p.name) === base).map((p) => p.name))
          })`,
        "mixed-files",
      );
    }
    seen.add(base);
  }
  if (pngs.length === 0) {
    throw new ScanInputError(
      `Cannot segment ${name}: ${PNG_STACK_SIDECAR} alone is no scan; drop it together with ` +
        `the stack's .png slices (got only ${sidecars[0]!.name})`,
      "not-a-scan",
    );
  }
  if (pngs.length === 1) {
    throw new ScanInputError(
      `Cannot segment ${name}: one PNG is one 2-D slice, not a 3-D scan; drop all the .png ` +
        `slices of the stack at once, or their folder (got 1 PNG file, ${pngs[0]!.name})`,
      "rank",
    );
  }
  let sidecar: Partial<PngStackSidecar> = {};
  if (sidecars.length === 1) {
    try {
      sidecar = parsePngStackSidecar(
        new TextDecoder().decode(sidecars[0]!.bytes),
        sidecars[0]!.name,
      );
    } catch (error) {
      throw new ScanInputError(
        `Cannot segment ${name}: ${(error as Error).message}`,
        "png-stack",
        { cause: error },
      );
    }
  }
  const limit = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  const sge = (options.sge ?? true) && manifest.sge;
  const classes = manifest.networks.segmentor.config.numClasses;
  // Before decoding: the first slice's size times the slices (each slice is checked later).
  const size = pngSize(pngs[0]!.bytes);
  if (size !== undefined) {
    const needed = estimateScanBytes(size[0] * size[1] * pngs.length, classes, sge);
    if (needed > limit) tooLarge(name, [size[0], size[1], pngs.length], needed, limit);
  }
  const spacing = options.spacing ?? sidecar.spacing;
  let volume: Volume<Uint8Array | Uint16Array>;
  try {
    volume = await decodePngStack(
      pngs.map((f) => ({ name: baseName(f.name), bytes: f.bytes })),
      // Without a spacing, the slices are checked all the same before the spacing is asked for.
      { spacing: spacing ?? [1, 1, 1], stackAxis: sidecar.stackAxis ?? 1 },
    );
  } catch (error) {
    if (isAllocationFailure(error)) tooLarge(name, [], estimateScanBytes(0, classes, sge), limit);
    throw new ScanInputError(
      `Cannot segment ${name}: ${(error as Error).message}`,
      "png-stack",
      { cause: error },
    );
  }
  if (spacing === undefined) {
    throw new ScanInputError(
      `Cannot segment ${name}: the PNG stack has no ${PNG_STACK_SIDECAR}, so its voxel size is ` +
        `unknown; enter the spacing in mm along x, y and z (got ${pngs.length} slices of ${
          size ? `${size[0]}x${size[1]} pixels` : "unknown size"
        } and no spacing)`,
      "no-spacing",
    );
  }
  const extent = volume.shape.filter((n) => n > 1).length;
  if (extent < 3) {
    throw new ScanInputError(
      `Cannot segment ${name}: expected a 3-D scan (got a ${extent}-D image of ${
        volume.shape.join("x")
      } voxels)`,
      "rank",
    );
  }
  const image: Volume<Float32Array> = { ...volume, data: Float32Array.from(volume.data) };
  return { image, header: null, format: "png-stack", fileName: name };
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
  depthAxis: Axis,
  progress: (slices: number) => void,
): Promise<Float32Array> {
  const { input } = model.manifest;
  const [height, width] = input.size;
  const geometry = sliceGeometry(shape, direction, depthAxis);
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
 * Segments a NIfTI scan or a PNG stack with an exported model, as `grn predict` does: `S(x)` with the weights
 * of `model.ckpt` and, for a method with a generator, `S(G(x))` with those of
 * `model_sge.ckpt`, each through `predictVolume` (every coronal and sagittal slice, softmax
 * averaged); then `G(x)` for display and the per-layer read-out of each.
 *
 * @param input The `.nii` or `.nii.gz` file's bytes, or every file of a drop (one NIfTI file,
 *   or the slices of a PNG stack and its `spacing.json`; see {@linkcode decodeScanFiles}).
 * @param model The exported model.
 * @param options File name, spacing of a PNG stack, progress, memory limit, SGE and `G(x)`.
 * @returns Labels, read-outs, `G(x)` and the scan.
 * @throws {ScanInputError} For a file that is not a 3-D NIfTI scan, holds non-finite voxels,
 *   or is too large for the browser's memory, and for files that are not one PNG stack or
 *   one whose spacing is unknown (see {@linkcode decodeScanFiles}).
 */
export async function segmentScan(
  input: Uint8Array | readonly WebScanFile[],
  model: WebModel,
  options: SegmentScanOptions = {},
): Promise<WebScanResult> {
  const t0 = performance.now();
  const manifest = model.manifest;
  const limit = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  const sge = (options.sge ?? true) && model.hasSge;
  const enhance = (options.enhance ?? true) && model.hasSge;
  const decoded: DecodedWebScan = input instanceof Uint8Array
    ? {
      ...decodeScan(input, manifest, {
        fileName: options.fileName ?? "scan.nii.gz",
        maxBytes: limit,
        sge,
      }),
      format: "nifti",
      fileName: options.fileName ?? "scan.nii.gz",
    }
    : await decodeScanFiles(input, manifest, { ...options, maxBytes: limit, sge });
  const { image, header, format, fileName: file } = decoded;
  // A NIfTI scan has the run's depth axis; a PNG stack the axis its rows map to.
  const depthAxis = image.depthAxis ?? manifest.input.depthAxis;
  const { input: spec } = manifest;
  const directions = spec.predictDirection === "both" ? SLICE_DIRECTIONS : [spec.predictDirection];
  const perPass = directions.reduce(
    (n, d) => n + sliceGeometry(image.shape, d, depthAxis).count,
    0,
  );
  const enhanceSlices = enhance
    ? sliceGeometry(image.shape, spec.enhanceDirection, depthAxis).count
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
          inputSize: spec.size,
          batchSize: spec.batchSize,
          fit: spec.fit,
          direction: spec.predictDirection,
          percentiles: spec.percentiles,
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
    const windowed = applyWindow(image.data, robustWindow(image.data, spec.percentiles));
    const enhanced = enhance
      ? await enhanceVolume(
        windowed,
        image.shape,
        model,
        spec.enhanceDirection,
        depthAxis,
        (n) => report("enhance", n),
      )
      : null;
    return {
      id,
      format,
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
 * (uint8; the input's qform/sform codes, unit and dimensionality; for a PNG stack, with no
 * header, the labels' own spacing and affine, as `grn predict` writes a scan without one).
 *
 * @param labels The labels.
 * @param header The input scan's header, or `null` (a PNG stack).
 * @param options `gzip` for `.nii.gz`. @default {{ gzip: true }}
 * @returns The file's bytes.
 */
export function labelsToNifti(
  labels: Volume<Uint8Array>,
  header: NiftiHeader | null,
  options: { gzip?: boolean } = {},
): Uint8Array {
  return encodeNifti(labels, {
    datatype: "uint8",
    gzip: options.gzip ?? true,
    ...(header ? niftiWriteOptionsFromHeader(header) : {}),
  });
}
