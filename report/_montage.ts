/**
 * Overlay montages for the report: for one test scan of a trained run, the middle coronal and
 * sagittal slices as the image, the ground truth, the prediction `S(x)`, the SGE prediction
 * `S(G(x))` and the generator's enhanced image `G(x)`, each a PNG.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadScan } from "../data/dataset_load.ts";
import { loadDatasetManifest } from "../data/dataset_manifest.ts";
import { encodeRgbaPng, type RgbaImage } from "../data/phantom/montage.ts";
import { LAYER_PALETTE } from "../data/phantom/palette.ts";
import { extractSlices } from "../data/slices_extract.ts";
import type { SliceDirection } from "../data/slices_geometry.ts";
import { loadRunModel } from "../run/load_run_model.ts";
import { readRunSplit } from "../run/run_config.ts";

/** The panels of one slice (PNG bytes; `null` when the model has no generator). */
export interface OverlayRow {
  /** Slice direction. */
  direction: SliceDirection;
  /** Slice index along the fixed lateral axis. */
  index: number;
  /** Display width / height of the slice in millimetres (the tiles are at network size). */
  aspect: number;
  /** B-mode slice as the network sees it. */
  image: Uint8Array;
  /** Ground truth over the image. */
  truth: Uint8Array;
  /** `S(x)` over the image. */
  plain: Uint8Array;
  /** `S(G(x))` over the image. */
  sge: Uint8Array | null;
  /** `G(x)` (the enhanced image). */
  enhanced: Uint8Array | null;
  /** Pixel accuracy of `S(x)` and `S(G(x))` on this slice (foreground and background). */
  accuracy: { plain: number; sge: number | null };
}

/** The overlays of one run. */
export interface RunOverlays {
  /** Scan shown. */
  scan: string;
  /** Tile size `[height, width]`. */
  size: [number, number];
  /** One row per slice direction. */
  rows: OverlayRow[];
}

/** Gray pixels from network input values in `[-1, 1]`. */
function grayImage(values: Float32Array, h: number, w: number): RgbaImage {
  const data = new Uint8Array(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const g = Math.round(Math.min(1, Math.max(0, (values[i]! + 1) / 2)) * 255);
    data[4 * i] = g;
    data[4 * i + 1] = g;
    data[4 * i + 2] = g;
    data[4 * i + 3] = 255;
  }
  return { width: w, height: h, data };
}

/** The image with the label colours blended in at `alpha` (background left as is). */
export function overlayLabels(base: RgbaImage, labels: ArrayLike<number>, alpha = 0.5): RgbaImage {
  const data = base.data.slice();
  for (let i = 0; i < base.width * base.height; i++) {
    const c = labels[i]!;
    if (c <= 0) continue;
    const rgb = LAYER_PALETTE[c] ?? [255, 255, 255];
    for (let k = 0; k < 3; k++) {
      data[4 * i + k] = Math.round((1 - alpha) * data[4 * i + k]! + alpha * rgb[k]!);
    }
  }
  return { width: base.width, height: base.height, data };
}

function argmax(logits: tf.Tensor4D): Uint8Array[] {
  const a = tf.tidy(() => tf.argMax(logits, 3).cast("int32"));
  const flat = a.dataSync() as Int32Array;
  const [n, h, w] = a.shape as [number, number, number];
  a.dispose();
  return Array.from(
    { length: n },
    (_, i) => Uint8Array.from(flat.subarray(i * h * w, (i + 1) * h * w)),
  );
}

function accuracy(pred: Uint8Array, truth: Uint8Array): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) ok++;
  return ok / pred.length;
}

/**
 * Renders the overlays of a trained run on the first scan of its test split (start the engine
 * first). The same scan and slices are chosen for every run of the same split, so montages of
 * different methods line up.
 *
 * @param dir The run folder.
 * @param options `dataset`: the dataset folder when it moved. @default {the run's}
 * @returns PNG tiles for the middle coronal and sagittal slices.
 * @throws {Error} When the run has no model or its test split has no labeled scan.
 */
export async function renderRunOverlays(
  dir: string,
  options: { dataset?: string } = {},
): Promise<RunOverlays> {
  const { config, method } = await loadRunModel(dir);
  try {
    const split = await readRunSplit(dir);
    const datasetDir = options.dataset ?? config.dataset.path;
    const manifest = await loadDatasetManifest(datasetDir);
    const id = split.scans.test.find((s) => manifest.scans.find((e) => e.id === s)?.label);
    if (id === undefined) {
      throw new Error(
        `Cannot render overlays of ${dir}: no labeled test scan (got ${split.scans.test.length} test scans)`,
      );
    }
    const scan = await loadScan(datasetDir, manifest, id);
    const [h, w] = config.slices.inputSize;
    const depthAxis = manifest.depthAxis ?? 2;
    const lateral = [0, 1, 2].filter((a) => a !== depthAxis) as [number, number];
    const { shape, spacing } = scan.image;
    const depthMm = shape[depthAxis] * spacing[depthAxis];
    const rows: OverlayRow[] = [];
    for (const [k, direction] of (["coronal", "sagittal"] as const).entries()) {
      const set = extractSlices([scan], {
        inputSize: [h, w],
        directions: [direction],
        every: 1,
        fit: config.slices.fit,
        labels: "require",
      });
      const m = Math.floor(set.size / 2);
      const image = set.image(m);
      const truth = set.labels!.subarray(m * h * w, (m + 1) * h * w);
      const x = tf.tensor4d(image, [1, h, w, 1]);
      try {
        const plainLogits = method.trainer.predict(x, { sge: false });
        const plain = argmax(plainLogits)[0]!;
        plainLogits.dispose();
        let sge: Uint8Array | null = null;
        let enhanced: Float32Array | null = null;
        if (method.hasGenerator) {
          const sgeLogits = method.trainer.predict(x, { sge: true });
          sge = argmax(sgeLogits)[0]!;
          sgeLogits.dispose();
          const g = method.trainer.enhance(x);
          enhanced = Float32Array.from(g.dataSync());
          g.dispose();
        }
        const base = grayImage(image, h, w);
        const otherAxis = lateral[k === 0 ? 0 : 1];
        rows.push({
          direction,
          index: set.info[m]!.index,
          aspect: (shape[otherAxis] * spacing[otherAxis]) / depthMm,
          image: encodeRgbaPng(base),
          truth: encodeRgbaPng(overlayLabels(base, truth)),
          plain: encodeRgbaPng(overlayLabels(base, plain)),
          sge: sge ? encodeRgbaPng(overlayLabels(base, sge)) : null,
          enhanced: enhanced ? encodeRgbaPng(grayImage(enhanced, h, w)) : null,
          accuracy: { plain: accuracy(plain, truth), sge: sge ? accuracy(sge, truth) : null },
        });
      } finally {
        x.dispose();
      }
    }
    return { scan: id, size: [h, w], rows };
  } finally {
    method.dispose();
  }
}
