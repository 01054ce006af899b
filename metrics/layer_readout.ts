/**
 * Clinical read-out of a segmented scan: layer thickness along depth and echogenicity.
 * @module
 */
import { DATASET_LABELS } from "../data/dataset_manifest.ts";
import type { Axis, Volume } from "../data/volume.ts";
import { toGrid } from "./_grid.ts";
import { quantileSorted } from "./_quantile.ts";

/** Options of {@linkcode layerReadout}. */
export interface LayerReadoutOptions {
  /**
   * Labels to report, in order.
   * @default {[1, 2, 3, 4, 5, 6]}
   */
  layers?: number[];
  /**
   * Name of each label (index = label).
   * @default {the dataset label names: dermis, superficial fat, superficial fascial membrane, deep fat, deep fascial membrane, muscle}
   */
  names?: Record<number, string>;
  /**
   * Axis of depth (skin at index 0) in `[x, y, z]`.
   * @default {labels.depthAxis ?? 2}
   */
  depthAxis?: Axis;
  /** Scan identifier copied into the result (and the CSV). */
  id?: string;
}

/** Thickness statistics of one layer across the depth columns where it is present, in mm. */
export interface ThicknessStats {
  /** Median thickness. */
  median: number;
  /** Mean thickness. */
  mean: number;
  /** Smallest thickness. */
  min: number;
  /** Largest thickness. */
  max: number;
  /** 5th percentile (linear interpolation between order statistics). */
  p5: number;
  /** 95th percentile (linear interpolation between order statistics). */
  p95: number;
}

/** Mean and spread of the image intensity inside one layer. */
export interface Echogenicity {
  /** Mean image intensity over the layer's voxels (`NaN` when the layer is absent). */
  mean: number;
  /** Sample standard deviation (n − 1 denominator; `NaN` below 2 voxels). */
  sd: number;
}

/** Read-out of one layer. */
export interface LayerReadout {
  /** The label. */
  label: number;
  /** Its name. */
  name: string;
  /** Fraction of depth columns that contain at least one voxel of the layer, in `[0, 1]`. */
  presentFraction: number;
  /** Number of depth columns that contain the layer. */
  columnsPresent: number;
  /**
   * Thickness per column (voxels of the layer in that column × depth spacing) summarised over
   * the columns where it is present; all `NaN` when the layer is absent.
   */
  thicknessMm: ThicknessStats;
  /** Number of voxels of the layer. */
  voxels: number;
  /** Volume of the layer in mm³ (voxels × voxel volume). */
  volumeMm3: number;
  /** Echogenicity, or `null` when no image was given. */
  echogenicity: Echogenicity | null;
}

/** Read-out of one scan. */
export interface ScanReadout {
  /** Scan identifier, when one was given. */
  id?: string;
  /** Depth axis used, in `[x, y, z]`. */
  depthAxis: Axis;
  /** Voxel size along depth in mm. */
  depthSpacingMm: number;
  /** Number of depth columns (voxels of the plane orthogonal to depth). */
  columns: number;
  /** One entry per reported layer, in the order of `layers`. */
  layers: LayerReadout[];
}

/**
 * Measures each tissue layer of a label volume, per scan: its thickness in mm along the depth
 * axis and, given the image, its echogenicity (mean and sd of the image intensity).
 *
 * Thickness is measured per depth column (each line of voxels along depth): the number of
 * voxels of the layer in that column × the depth spacing. It is summarised by median, mean,
 * min, max, p5 and p95 over the columns where the layer is present, and `presentFraction` gives
 * the share of columns that contain it. Counting voxels makes the value robust to small label
 * islands being split from the band; it equals the band's extent when the layer is one
 * contiguous band per column.
 *
 * @param labels Label volume (`Volume`, NIfTI order), labels 0..6 by default.
 * @param image Image volume of the same shape, or `undefined` to skip echogenicity.
 * @param options See {@linkcode LayerReadoutOptions}.
 * @returns The read-out of every requested layer.
 * @throws {TypeError} When the image shape differs from the label shape or a volume is
 *   malformed.
 * @throws {RangeError} When a label is not a non-negative integer or an option is out of range.
 *
 * @example A two-layer column volume
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerReadout } from "./mod.ts";
 * import { affineFromSpacing } from "../data/mod.ts";
 * const spacing: [number, number, number] = [0.2, 0.2, 0.1];
 * // 1 x 1 x 5 column: 2 voxels of dermis, 3 of superficial fat.
 * const labels = {
 *   data: new Uint8Array([1, 1, 2, 2, 2]),
 *   shape: [1, 1, 5] as [number, number, number],
 *   spacing,
 *   affine: affineFromSpacing(spacing),
 * };
 * const r = layerReadout(labels, undefined, { layers: [1, 2] });
 * assert.equal(r.layers[0]!.thicknessMm.median, 0.2);
 * assert.equal(r.layers[1]!.thicknessMm.median.toFixed(2), "0.30");
 * ```
 */
export function layerReadout(
  labels: Volume,
  image?: Volume,
  options: LayerReadoutOptions = {},
): ScanReadout {
  const what = "compute the layer read-out";
  const layers = options.layers ?? [1, 2, 3, 4, 5, 6];
  const depthAxis = options.depthAxis ?? labels.depthAxis ?? 2;
  if (depthAxis !== 0 && depthAxis !== 1 && depthAxis !== 2) {
    throw new RangeError(`Cannot ${what}: depthAxis must be 0, 1 or 2 (got ${depthAxis})`);
  }
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new TypeError(`Cannot ${what}: layers must be a non-empty array (got ${layers})`);
  }
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0) {
      throw new RangeError(
        `Cannot ${what}: layers must be non-negative integers (got [${layers.join(", ")}])`,
      );
    }
  }
  const grid = toGrid(what, labels.data.length, labels.shape, labels.spacing, "F");
  if (image !== undefined) {
    const same = image.shape.length === 3 && image.shape.every((n, a) => n === labels.shape[a]);
    if (!same || image.data.length !== labels.data.length) {
      throw new TypeError(
        `Cannot ${what}: image and labels must have the same shape (got [${
          image.shape.join(", ")
        }] and [${labels.shape.join(", ")}])`,
      );
    }
  }
  const maxLabel = Math.max(...layers);
  const slot = new Int32Array(maxLabel + 1).fill(-1);
  layers.forEach((l, k) => (slot[l] = k));
  const nl = layers.length;
  // Row-major view of the NIfTI volume: [nz, ny, nx]; depth axis d of [x, y, z] is 2 - d.
  const a = 2 - depthAxis;
  const n = grid.shape[a]!;
  const stride = grid.strides[a]!;
  const outer = grid.size / (n * stride);
  const columns = grid.size / n;
  const perColumn = new Int32Array(columns * nl);
  const voxels = new Float64Array(nl);
  const sum = new Float64Array(nl);
  const data = labels.data;
  const img = image?.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * stride;
      for (let j = 0; j < stride; j++) {
        const v = data[base + j]!;
        if (!(v >= 0 && v === Math.floor(v))) {
          throw new RangeError(
            `Cannot ${what}: labels must be non-negative integers (got ${v} at index ${base + j})`,
          );
        }
        if (v > maxLabel) continue;
        const s = slot[v]!;
        if (s < 0) continue;
        perColumn[(o * stride + j) * nl + s]++;
        voxels[s]++;
        if (img) sum[s] += img[base + j]!;
      }
    }
  }
  const mean = new Float64Array(nl);
  const ss = new Float64Array(nl);
  if (img) {
    for (let s = 0; s < nl; s++) mean[s] = voxels[s]! > 0 ? sum[s]! / voxels[s]! : NaN;
    for (let i = 0; i < grid.size; i++) {
      const v = data[i]!;
      if (v > maxLabel) continue;
      const s = slot[v]!;
      if (s < 0) continue;
      const d = img[i]! - mean[s]!;
      ss[s] += d * d;
    }
  }
  const dz = labels.spacing[depthAxis];
  const voxelVolume = labels.spacing[0] * labels.spacing[1] * labels.spacing[2];
  const names = options.names ?? DATASET_LABELS;
  const out: LayerReadout[] = layers.map((label, s) => {
    const thick: number[] = [];
    for (let c = 0; c < columns; c++) {
      const count = perColumn[c * nl + s]!;
      if (count > 0) thick.push(count * dz);
    }
    const sorted = Float64Array.from(thick).sort();
    let total = 0;
    for (const t of sorted) total += t;
    return {
      label,
      name: (names as Record<number, string>)[label] ?? `label ${label}`,
      presentFraction: sorted.length / columns,
      columnsPresent: sorted.length,
      thicknessMm: {
        median: quantileSorted(sorted, 0.5),
        mean: sorted.length > 0 ? total / sorted.length : NaN,
        min: sorted.length > 0 ? sorted[0]! : NaN,
        max: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
        p5: quantileSorted(sorted, 0.05),
        p95: quantileSorted(sorted, 0.95),
      },
      voxels: voxels[s]!,
      volumeMm3: voxels[s]! * voxelVolume,
      echogenicity: img
        ? {
          mean: mean[s]!,
          sd: voxels[s]! > 1 ? Math.sqrt(ss[s]! / (voxels[s]! - 1)) : NaN,
        }
        : null,
    };
  });
  const result: ScanReadout = { depthAxis, depthSpacingMm: dz, columns, layers: out };
  return options.id === undefined ? result : { id: options.id, ...result };
}
