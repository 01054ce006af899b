/**
 * Turning scans into fitted, normalised 2-D training slices.
 *
 * @module
 */
import type { ScanRecord } from "./scan.ts";
import { type SliceInfo, SliceSet } from "./slices.ts";
import { fitImageSlice, fitLabelSlice, type FitMode } from "./slices_fit.ts";
import {
  readSlice,
  SLICE_DIRECTIONS,
  type SliceDirection,
  sliceGeometry,
  sliceIndices,
} from "./slices_geometry.ts";
import { applyWindow, DEFAULT_PERCENTILES, robustWindow } from "./slices_normalize.ts";

/** Options of {@linkcode extractSlices}. */
export interface SliceOptions {
  /** Network input size `[height, width]` (multiples of 16 are typical; not enforced). */
  inputSize: readonly [number, number];
  /** How native slices are brought to `inputSize` (see `slices_fit.ts`). @default {"resize"} */
  fit?: FitMode;
  /**
   * Slice directions, taken in this order for each scan (see `slices_geometry.ts` for the
   * naming). @default {["coronal", "sagittal"]}
   */
  directions?: readonly SliceDirection[];
  /** Keep every n-th slice (indices `0, n, 2n, ...`) to thin correlated neighbours. @default {1} */
  every?: number;
  /** Percentiles of the per-volume robust intensity window. @default {[0.5, 99.5]} */
  percentiles?: readonly [number, number];
  /**
   * Label handling: `"auto"` keeps labels when every scan has one and drops them otherwise;
   * `"require"` throws when a scan has none; `"drop"` always yields an unlabeled set.
   * @default {"auto"}
   */
  labels?: "auto" | "require" | "drop";
}

/**
 * Slices scans into a {@linkcode SliceSet}: for each scan (in order), each direction (in
 * order) and each kept index (ascending), the B-mode plane is read with rows from skin down,
 * normalised to `[-1, 1]` with the scan's own robust window, and fitted to `inputSize`
 * (bilinear for images, nearest for labels, or pad/crop).
 *
 * @param scans Scans to slice; a label volume must have its image's shape.
 * @param options See {@linkcode SliceOptions}.
 * @returns The slices with their `(scanId, participant, direction, index)` origin.
 * @throws {RangeError} On invalid options, a label whose shape differs from the image's, or
 *   a missing label with `labels: "require"`.
 *
 * @example Slice a small volume
 * ```ts
 * import { affineFromSpacing, extractSlices } from "./mod.ts";
 * const image = {
 *   data: Float32Array.from({ length: 4 * 3 * 5 }, (_, i) => i),
 *   shape: [4, 3, 5] as [number, number, number],
 *   spacing: [1, 1, 1] as [number, number, number],
 *   affine: affineFromSpacing([1, 1, 1]),
 * };
 * const set = extractSlices([{ id: "s", participant: "p", image }], { inputSize: [8, 8] });
 * console.assert(set.size === 3 + 4); // 3 coronal (fix y) + 4 sagittal (fix x)
 * ```
 */
export function extractSlices(scans: readonly ScanRecord[], options: SliceOptions): SliceSet {
  const {
    inputSize,
    fit = "resize",
    directions = SLICE_DIRECTIONS,
    every = 1,
    percentiles = DEFAULT_PERCENTILES,
    labels: labelMode = "auto",
  } = options;
  const [height, width] = inputSize ?? [];
  if (
    !Number.isInteger(height) || height! <= 0 || !Number.isInteger(width) || width! <= 0
  ) {
    throw new RangeError(
      `Cannot extract slices: inputSize must be two positive integers (got ${
        JSON.stringify(inputSize)
      })`,
    );
  }
  if (directions.length === 0) {
    throw new RangeError("Cannot extract slices: directions must not be empty (got [])");
  }
  if (labelMode !== "auto" && labelMode !== "require" && labelMode !== "drop") {
    throw new RangeError(
      `Cannot extract slices: labels must be "auto", "require" or "drop" (got ${
        JSON.stringify(labelMode)
      })`,
    );
  }
  const missing = scans.filter((s) => s.label === undefined).map((s) => s.id);
  if (labelMode === "require" && missing.length > 0) {
    throw new RangeError(
      `Cannot extract slices: labels are required but ${missing.length} scans have none (got ${
        missing.slice(0, 5).join(", ")
      }${missing.length > 5 ? ", ..." : ""})`,
    );
  }
  const withLabels = labelMode !== "drop" && missing.length === 0;

  // Plan first so that the output arrays are allocated once.
  const plans = scans.map((scan) => {
    const depthAxis = scan.image.depthAxis ?? 2;
    if (withLabels) {
      const ls = scan.label!.shape;
      const is = scan.image.shape;
      if (ls[0] !== is[0] || ls[1] !== is[1] || ls[2] !== is[2]) {
        throw new RangeError(
          `Cannot extract slices: label shape must equal image shape for scan ${scan.id} (got ${
            JSON.stringify(ls)
          } vs ${JSON.stringify(is)})`,
        );
      }
    }
    return directions.map((d) => {
      const geometry = sliceGeometry(scan.image.shape, d, depthAxis);
      return { geometry, indices: sliceIndices(geometry.count, every) };
    });
  });
  const total = plans.reduce((n, p) => n + p.reduce((m, d) => m + d.indices.length, 0), 0);
  const pixels = height! * width!;
  const images = new Float32Array(total * pixels);
  const labels = withLabels ? new Uint8Array(total * pixels) : undefined;
  const info: SliceInfo[] = [];

  let k = 0;
  scans.forEach((scan, s) => {
    const normalised = applyWindow(scan.image.data, robustWindow(scan.image.data, percentiles));
    for (const { geometry, indices } of plans[s]!) {
      const { rows, cols } = geometry;
      const imageSlice = new Float32Array(rows * cols);
      const labelSlice = withLabels ? new Uint8Array(rows * cols) : undefined;
      for (const index of indices) {
        readSlice(normalised, geometry, index, imageSlice);
        fitImageSlice(
          imageSlice,
          rows,
          cols,
          height!,
          width!,
          fit,
          -1,
          images.subarray(k * pixels, (k + 1) * pixels),
        );
        if (labels && labelSlice) {
          readSlice(scan.label!.data, geometry, index, labelSlice);
          fitLabelSlice(
            labelSlice,
            rows,
            cols,
            height!,
            width!,
            fit,
            labels.subarray(k * pixels, (k + 1) * pixels),
          );
        }
        info.push({
          scanId: scan.id,
          participant: scan.participant,
          direction: geometry.direction,
          index,
          rows,
          cols,
        });
        k++;
      }
    }
  });
  return new SliceSet({ images, labels, info, height: height!, width: width! });
}
