/**
 * CSV export of layer read-outs.
 * @module
 */
import type { ScanReadout } from "./layer_readout.ts";
import { toCsv } from "./to_csv.ts";

/** The columns of {@linkcode readoutToCsv}, in order. */
export const READOUT_CSV_COLUMNS: readonly string[] = Object.freeze([
  "id",
  "label",
  "name",
  "present_fraction",
  "columns_present",
  "thickness_median_mm",
  "thickness_mean_mm",
  "thickness_min_mm",
  "thickness_max_mm",
  "thickness_p5_mm",
  "thickness_p95_mm",
  "voxels",
  "volume_mm3",
  "echo_mean",
  "echo_sd",
]);

/**
 * Formats one or more scan read-outs (from `layerReadout`) as CSV: one line per scan and layer
 * with the columns of {@linkcode READOUT_CSV_COLUMNS}. Absent values are spelled `NaN`; the
 * echogenicity cells are empty when no image was given. Write it with `writeCsvAtomic`-style
 * atomic writes, or save the typed object itself with `writeJsonAtomic`.
 *
 * @param readouts One read-out or a list of them.
 * @returns CSV text with a header line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerReadout, readoutToCsv } from "./mod.ts";
 * import { affineFromSpacing } from "../data/mod.ts";
 * const spacing: [number, number, number] = [1, 1, 0.5];
 * const labels = {
 *   data: new Uint8Array([1, 1, 6]),
 *   shape: [1, 1, 3] as [number, number, number],
 *   spacing,
 *   affine: affineFromSpacing(spacing),
 * };
 * const csv = readoutToCsv(layerReadout(labels, undefined, { id: "s01", layers: [1] }));
 * assert.equal(csv.split("\n")[1], "s01,1,dermis,1,1,1,1,1,1,1,1,2,1,,");
 * ```
 */
export function readoutToCsv(readouts: ScanReadout | readonly ScanReadout[]): string {
  const list: readonly ScanReadout[] = Array.isArray(readouts)
    ? (readouts as readonly ScanReadout[])
    : [readouts as ScanReadout];
  const rows = list.flatMap((r) =>
    r.layers.map((l) => ({
      id: r.id ?? "",
      label: l.label,
      name: l.name,
      present_fraction: l.presentFraction,
      columns_present: l.columnsPresent,
      thickness_median_mm: l.thicknessMm.median,
      thickness_mean_mm: l.thicknessMm.mean,
      thickness_min_mm: l.thicknessMm.min,
      thickness_max_mm: l.thicknessMm.max,
      thickness_p5_mm: l.thicknessMm.p5,
      thickness_p95_mm: l.thicknessMm.p95,
      voxels: l.voxels,
      volume_mm3: l.volumeMm3,
      echo_mean: l.echogenicity?.mean,
      echo_sd: l.echogenicity?.sd,
    }))
  );
  return toCsv(rows, READOUT_CSV_COLUMNS);
}
