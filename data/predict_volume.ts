/**
 * From 2-D slice predictions back to a 3-D label volume.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import { fitImageSlice, type FitMode, unfitChannels } from "./slices_fit.ts";
import {
  readSlice,
  SLICE_DIRECTIONS,
  type SliceDirection,
  type SliceGeometry,
  sliceGeometry,
  writeSlice,
} from "./slices_geometry.ts";
import { applyWindow, DEFAULT_PERCENTILES, robustWindow } from "./slices_normalize.ts";
import type { Volume } from "./volume.ts";

/** A segmentation network's forward pass: images `[B, H, W, 1]` to logits `[B, H, W, C]`. */
export type SlicePredictor = (batch: ImageBatch) => LogitBatch;

/** A generator's forward pass: images `[B, H, W, 1]` to images `[B, H, W, 1]` (e.g. `G(x)`). */
export type SliceEnhancer = (batch: ImageBatch) => ImageBatch;

/** The two networks of segmentation-guided enhancement, `S(G(x))`. */
export interface SgePredictor {
  /** `G`: images to enhanced images of the same shape. */
  enhance: SliceEnhancer;
  /** `S`: images to logits `[B, H, W, C]`. */
  segment: SlicePredictor;
}

/** Options of {@linkcode predictVolumeSge}. */
export interface PredictVolumeSgeOptions extends PredictVolumeOptions {
  /**
   * Also return `G(x)` of every slice of this direction, mapped back to the volume's grid (the
   * `G(x)` that `S` segments, computed once). Must be one of the predicted directions.
   * @default {no G(x) volume}
   */
  enhancedDirection?: SliceDirection;
}

/** What {@linkcode predictVolumeSge} returns. */
export interface SgeVolumePrediction {
  /** The labels of `S(G(x))`, as {@linkcode predictVolume} gives them. */
  labels: Volume<Uint8Array>;
  /**
   * `G(x)` in `[-1, 1]` on the volume's grid (`fit` undone, voxel order of the input), for the
   * slices of `enhancedDirection`, or `null` when it was not asked for.
   */
  enhanced: Float32Array | null;
}

/** Options of {@linkcode predictVolume}. */
export interface PredictVolumeOptions {
  /** Network input size `[height, width]`, as in training. */
  inputSize: readonly [number, number];
  /**
   * Slice direction(s). `"both"` averages the softmax probabilities of the coronal and
   * sagittal predictions voxel by voxel before the argmax. @default {"both"}
   */
  direction?: SliceDirection | "both";
  /**
   * Slices per `predict` call. Larger batches amortise the per-call cost of the network
   * (weight reorders, dispatch); `bench/inference.ts` measures it (BENCHMARKS.md, "Volume
   * inference"). @default {16}
   */
  batchSize?: number;
  /** How slices are fitted to `inputSize`, as in training. @default {"resize"} */
  fit?: FitMode;
  /** Percentiles of the robust intensity window, as in training. @default {[0.5, 99.5]} */
  percentiles?: readonly [number, number];
}

/**
 * Segments a 3-D volume slice by slice with a 2-D network and reassembles the labels.
 *
 * Every slice of the chosen direction(s) is read with rows from skin down, normalised with the
 * volume's robust window and fitted to `inputSize` exactly as `extractSlices`
 * (slices_extract.ts) does for training. `predict` runs on batches inside `tf.tidy`; its
 * logits become softmax probabilities (computed on the host), which are mapped back to the
 * native slice geometry (bilinear resample for `fit: "resize"`, un-padding for `"pad"`) and
 * then reduced by argmax. Voxels that no prediction covers (cropped away by `"pad"` when the
 * native slice is larger than the input) get class 0. With `"both"` the probabilities of the
 * two directions are summed per voxel (equivalent to averaging for the argmax), which needs
 * `4 * C` bytes per voxel of memory.
 *
 * @param image Volume to segment.
 * @param predict Forward pass returning logits `[B, H, W, C]` for images `[B, H, W, 1]`; it must
 *   be synchronous (it runs inside `tf.tidy`).
 * @param options Input size, direction, batch size, fit mode and percentiles.
 * @returns A label volume with the input's shape, spacing, affine and depth axis.
 * @throws {RangeError} On invalid options, logits of the wrong shape, or more than 256 classes.
 *
 * @example Segment with a network
 * ```ts
 * import assert from "node:assert/strict";
 * import { initEngine, UNet } from "../mod.ts";
 * import { generatePhantomCohort, phantomToScanRecord } from "./phantom/mod.ts";
 * import { predictVolume } from "./mod.ts";
 *
 * await initEngine();
 * const { scans } = generatePhantomCohort({ participants: 1, scansPerParticipant: 1, shape: [8, 8, 128] });
 * const scan = phantomToScanRecord(scans[0]!);
 * const segmentor = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 1 }); // trained, in practice
 * const labels = await predictVolume(scan.image, (x) => segmentor.apply(x), { inputSize: [64, 16] });
 * assert.deepEqual(labels.shape, scan.image.shape);
 * assert.ok(labels.data.every((c) => c < 7));
 * segmentor.dispose();
 * ```
 */
export async function predictVolume(
  image: Volume<Float32Array>,
  predict: SlicePredictor,
  options: PredictVolumeOptions,
): Promise<Volume<Uint8Array>> {
  const run = (x: ImageBatch) => ({ logits: predict(x), enhanced: null });
  return (await predictWith(image, run, options, null)).labels;
}

/**
 * Segments a 3-D volume with segmentation-guided enhancement, `S(G(x))`, as
 * {@linkcode predictVolume} does with `(x) => segment(enhance(x))`, and can return `G(x)` on the
 * volume's grid without computing it again: each slice batch goes through `G` once, and the
 * same `G(x)` is segmented and (for the slices of `enhancedDirection`) mapped back to the grid.
 *
 * @param image Volume to segment.
 * @param predictor `enhance` (G) and `segment` (S), both synchronous (they run in `tf.tidy`).
 * @param options As {@linkcode predictVolume}, plus `enhancedDirection`.
 * @returns The labels and, when asked for, `G(x)`.
 * @throws {RangeError} As {@linkcode predictVolume}, when `enhancedDirection` is not predicted,
 *   or when `enhance` changes the images' shape.
 *
 * @example S(G(x)) and G(x) in one pass
 * ```ts
 * import assert from "node:assert/strict";
 * import { initEngine, ResUNetGenerator, UNet } from "../mod.ts";
 * import { generatePhantomCohort, phantomToScanRecord } from "./phantom/mod.ts";
 * import { predictVolumeSge } from "./mod.ts";
 *
 * await initEngine();
 * const { scans } = generatePhantomCohort({ participants: 1, scansPerParticipant: 1, shape: [8, 8, 64] });
 * const scan = phantomToScanRecord(scans[0]!);
 * const s = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 1 });
 * const g = new ResUNetGenerator({ ngf: 4, downsamplings: 2, bottleneckBlocks: 1, seed: 1 });
 * const { labels, enhanced } = await predictVolumeSge(
 *   scan.image,
 *   { enhance: (x) => g.apply(x), segment: (x) => s.apply(x) },
 *   { inputSize: [64, 16], enhancedDirection: "coronal" },
 * );
 * assert.deepEqual(labels.shape, scan.image.shape);
 * assert.equal(enhanced!.length, scan.image.data.length);
 * s.dispose();
 * g.dispose();
 * ```
 */
export async function predictVolumeSge(
  image: Volume<Float32Array>,
  predictor: SgePredictor,
  options: PredictVolumeSgeOptions,
): Promise<SgeVolumePrediction> {
  const { enhance, segment } = predictor;
  const run = (x: ImageBatch, keep: boolean) => {
    const g = enhance(x);
    if (g.shape.some((n, i) => n !== x.shape[i])) {
      throw new RangeError(
        `Cannot predict a volume with SGE: enhance must return images of its input's shape [${x.shape}] (got ${
          JSON.stringify(g.shape)
        })`,
      );
    }
    return { logits: segment(g), enhanced: keep ? g : null };
  };
  return await predictWith(image, run, options, options.enhancedDirection ?? null);
}

/** One slice batch through the network(s): logits, and `G(x)` when `keep` asks for it. */
type BatchRun = (
  x: ImageBatch,
  keep: boolean,
) => { logits: LogitBatch; enhanced: ImageBatch | null };

async function predictWith(
  image: Volume<Float32Array>,
  run: BatchRun,
  options: PredictVolumeOptions,
  enhancedDirection: SliceDirection | null,
): Promise<SgeVolumePrediction> {
  const {
    inputSize,
    direction = "both",
    batchSize = 16,
    fit = "resize",
    percentiles = DEFAULT_PERCENTILES,
  } = options;
  const [height, width] = inputSize ?? [];
  if (!Number.isInteger(height) || height! <= 0 || !Number.isInteger(width) || width! <= 0) {
    throw new RangeError(
      `Cannot predict a volume: inputSize must be two positive integers (got ${
        JSON.stringify(inputSize)
      })`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot predict a volume: batchSize must be a positive integer (got ${batchSize})`,
    );
  }
  if (direction !== "both" && direction !== "coronal" && direction !== "sagittal") {
    throw new RangeError(
      `Cannot predict a volume: direction must be "coronal", "sagittal" or "both" (got ${
        JSON.stringify(direction)
      })`,
    );
  }
  if (fit !== "resize" && fit !== "pad") {
    throw new RangeError(
      `Cannot predict a volume: fit must be "resize" or "pad" (got ${JSON.stringify(fit)})`,
    );
  }
  const depthAxis = image.depthAxis ?? 2;
  const directions = direction === "both" ? SLICE_DIRECTIONS : [direction];
  if (enhancedDirection !== null && !directions.includes(enhancedDirection)) {
    throw new RangeError(
      `Cannot predict a volume: enhancedDirection must be one of the predicted directions ${
        JSON.stringify(directions)
      } (got ${JSON.stringify(enhancedDirection)})`,
    );
  }
  const normalised = applyWindow(image.data, robustWindow(image.data, percentiles));
  const voxels = image.data.length;
  const labels = new Uint8Array(voxels);
  const state: Accumulator = { classes: 0, sums: null, labels, accumulate: directions.length > 1 };
  const enhanced = enhancedDirection === null ? null : new Float32Array(voxels);

  for (const d of directions) {
    const geometry = sliceGeometry(image.shape, d, depthAxis);
    const keep = d === enhancedDirection ? enhanced : null;
    await predictDirection(normalised, geometry, run, height!, width!, batchSize, fit, state, keep);
  }
  if (state.sums) argmaxInto(state.sums, state.classes, labels);

  const out: Volume<Uint8Array> = {
    data: labels,
    shape: [image.shape[0], image.shape[1], image.shape[2]],
    spacing: [image.spacing[0], image.spacing[1], image.spacing[2]],
    affine: image.affine.map((row) => [...row]),
  };
  if (image.depthAxis !== undefined) out.depthAxis = image.depthAxis;
  return { labels: out, enhanced };
}

interface Accumulator {
  classes: number;
  /** Per-voxel probability sums `[voxel, class]` (only when accumulating directions). */
  sums: Float32Array | null;
  labels: Uint8Array;
  accumulate: boolean;
}

async function predictDirection(
  normalised: Float32Array,
  geometry: SliceGeometry,
  run: BatchRun,
  height: number,
  width: number,
  batchSize: number,
  fit: FitMode,
  acc: Accumulator,
  enhanced: Float32Array | null,
): Promise<void> {
  const { rows, cols, count, rowStride, colStride, fixedStride } = geometry;
  const pixels = height * width;
  const native = new Float32Array(rows * cols);
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const input = new Float32Array(b * pixels);
    for (let k = 0; k < b; k++) {
      readSlice(normalised, geometry, start + k, native);
      fitImageSlice(
        native,
        rows,
        cols,
        height,
        width,
        fit,
        -1,
        input.subarray(k * pixels, (k + 1) * pixels),
      );
    }
    const { logits, g } = tf.tidy((): { logits: tf.Tensor4D; g?: tf.Tensor4D } => {
      const { logits: out, enhanced: image } = run(
        tf.tensor4d(input, [b, height, width, 1]),
        enhanced !== null,
      );
      const s = out.shape;
      if (s.length !== 4 || s[0] !== b || s[1] !== height || s[2] !== width) {
        throw new RangeError(
          `Cannot predict a volume: predict must return logits [${b}, ${height}, ${width}, C] (got ${
            JSON.stringify(s)
          })`,
        );
      }
      const cast = tf.cast(out, "float32");
      return image === null ? { logits: cast } : { logits: cast, g: tf.cast(image, "float32") };
    });
    let values: Float32Array;
    try {
      values = (await logits.data()) as Float32Array;
      if (g !== undefined && enhanced !== null) {
        const gv = (await g.data()) as Float32Array;
        for (let k = 0; k < b; k++) {
          const back = unfitChannels(
            gv.subarray(k * pixels, (k + 1) * pixels),
            height,
            width,
            1,
            rows,
            cols,
            fit,
          );
          writeSlice(enhanced, geometry, start + k, back);
        }
      }
    } finally {
      logits.dispose();
      g?.dispose();
    }
    const classes = logits.shape[3];
    // Softmax in place over the class axis (faster here than a tfjs op on the cpu backend).
    softmaxInPlace(values, classes);
    if (acc.classes === 0) {
      if (classes > 256) {
        throw new RangeError(
          `Cannot predict a volume: at most 256 classes fit a Uint8Array label (got ${classes})`,
        );
      }
      acc.classes = classes;
      if (acc.accumulate) acc.sums = new Float32Array(acc.labels.length * classes);
    } else if (classes !== acc.classes) {
      throw new RangeError(
        `Cannot predict a volume: the number of classes changed between batches (got ${classes} after ${acc.classes})`,
      );
    }
    const stride = pixels * classes;
    for (let k = 0; k < b; k++) {
      const back = unfitChannels(
        values.subarray(k * stride, (k + 1) * stride),
        height,
        width,
        classes,
        rows,
        cols,
        fit,
      );
      const base = (start + k) * fixedStride;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const voxel = base + r * rowStride + c * colStride;
          const p = (r * cols + c) * classes;
          if (acc.sums) {
            const o = voxel * classes;
            for (let q = 0; q < classes; q++) acc.sums[o + q]! += back[p + q]!;
          } else {
            let best = 0;
            let bestValue = back[p]!;
            for (let q = 1; q < classes; q++) {
              if (back[p + q]! > bestValue) {
                bestValue = back[p + q]!;
                best = q;
              }
            }
            acc.labels[voxel] = best;
          }
        }
      }
    }
  }
}

/** Softmax over the last axis of a `[..., classes]` array, in place (max-shifted). */
function softmaxInPlace(values: Float32Array, classes: number): void {
  for (let o = 0; o < values.length; o += classes) {
    let max = values[o]!;
    for (let q = 1; q < classes; q++) if (values[o + q]! > max) max = values[o + q]!;
    let sum = 0;
    for (let q = 0; q < classes; q++) {
      const e = Math.exp(values[o + q]! - max);
      values[o + q] = e;
      sum += e;
    }
    for (let q = 0; q < classes; q++) values[o + q]! /= sum;
  }
}

/** Per-voxel argmax (first maximum wins) of `[voxel, class]` scores. */
function argmaxInto(scores: Float32Array, classes: number, out: Uint8Array): void {
  for (let v = 0; v < out.length; v++) {
    const o = v * classes;
    let best = 0;
    let bestValue = scores[o]!;
    for (let q = 1; q < classes; q++) {
      if (scores[o + q]! > bestValue) {
        bestValue = scores[o + q]!;
        best = q;
      }
    }
    out[v] = best;
  }
}
