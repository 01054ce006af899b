/**
 * Loading scans from a dataset folder (see `dataset_manifest.ts` for the layout).
 *
 * @module
 */
import { join } from "node:path";
import type { ScanRecord } from "./scan.ts";
import type { Volume } from "./volume.ts";
import { readErrorReason, readRegularFile, show } from "./_file_io.ts";
import { countNonFinite, labelOutliers, toLabelArray } from "./_label_values.ts";
import { type DatasetManifest, loadDatasetManifest } from "./dataset_manifest.ts";
import { decodeNifti, niftiFileSizeCheck } from "./nifti_read.ts";
import { readVolumeFile, volumeFormatFromPath } from "./volume_file.ts";

/** Options of {@linkcode loadDataset}. */
export interface LoadDatasetOptions {
  /**
   * Which scans to load: all, only labeled ones, or only unlabeled ones.
   * @default {"all"}
   */
  which?: "all" | "labeled" | "unlabeled";
  /**
   * Follow symbolic links whose real target leaves the dataset folder (refused otherwise,
   * see {@linkcode LoadScanOptions}).
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/** Options of {@linkcode loadScan}. */
export interface LoadScanOptions {
  /**
   * Follow symbolic links (a file, or a folder on its path) whose real target leaves the
   * dataset folder. Off, such a file is refused with an error naming it and its target.
   * Files must be regular files either way (a FIFO or `/dev/zero` is refused).
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/**
 * Loads one scan of a dataset folder: the image as float32 (with `scl_slope`/`scl_inter`
 * applied) and, for a labeled scan, the label volume as uint8. A positive spacing in a file's
 * header wins; otherwise the manifest's `spacing` is used. Both volumes get the manifest's
 * `depthAxis` (default 2).
 *
 * @example Load every labeled scan
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDatasetManifest, loadScan } from "./mod.ts";
 * import { writePhantomDataset } from "./phantom/mod.ts";
 *
 * const dir = await Deno.makeTempDir(); // your folder, e.g. "datasets/Lumbar"
 * await writePhantomDataset(dir, { participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] });
 * const manifest = await loadDatasetManifest(dir);
 * for (const s of manifest.scans.filter((s) => s.label)) {
 *   const scan = await loadScan(dir, manifest, s.id);
 *   assert.deepEqual(scan.label?.shape, scan.image.shape);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The dataset folder.
 * @param manifest Its manifest (from `loadDatasetManifest`).
 * @param id The scan id.
 * @param options Whether symbolic links may leave the dataset folder.
 * @returns The scan record.
 * @throws {Error} When the id is unknown, a file cannot be read, is not a regular file, is a
 * symbolic link leaving the folder, or decompresses to more than its header implies, the image has NaN or infinite
 * voxels, the label has values outside 0..6, or image and label shapes differ; the message
 * names the scan and the file.
 */
export async function loadScan(
  dir: string,
  manifest: DatasetManifest,
  id: string,
  options: LoadScanOptions = {},
): Promise<ScanRecord> {
  const { allowExternalLinks = false } = options;
  const entry = manifest.scans.find((s) => s.id === id);
  const what = `Cannot load scan ${show(id)} from ${dir}`;
  if (entry === undefined) {
    throw new Error(`${what}: no scan with this id in dataset.json (got ${show(id)})`);
  }
  const depthAxis = manifest.depthAxis ?? 2;
  const read = async (rel: string, dtype: "float32" | "native"): Promise<Volume> => {
    const path = join(dir, rel);
    if (volumeFormatFromPath(rel) !== "nifti") {
      // NRRD, .seg.nrrd and MAT files: the one entry point, confined to the folder.
      try {
        return (await readVolumeFile(path, {
          root: dir,
          allowExternalLinks,
          dtype,
          depthAxis,
          ...(manifest.spacing ? { spacing: manifest.spacing } : {}),
        })).volume;
      } catch (error) {
        throw new Error(`${what}: cannot read ${rel}: ${readErrorReason(error)}`, { cause: error });
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = await readRegularFile(path, {
        root: dir,
        allowExternalLinks,
        checkHead: niftiFileSizeCheck(path),
      });
    } catch (error) {
      throw new Error(`${what}: cannot read ${rel}: ${readErrorReason(error)}`, { cause: error });
    }
    const options = { file: path, dtype, depthAxis } as const;
    return decodeNifti(
      bytes,
      manifest.spacing ? { ...options, spacing: manifest.spacing } : options,
    ).volume;
  };
  const image = await read(entry.image, "float32") as Volume<Float32Array>;
  // The same rule as validateDataset: a non-finite voxel would make every loss NaN.
  const bad = countNonFinite(image.data);
  if (bad.nan + bad.infinite > 0) {
    throw new Error(
      `${what}: image ${entry.image} has non-finite voxels (got ${bad.nan} NaN, ${bad.infinite} ` +
        "infinite); grn validate lists every problem",
    );
  }
  const record: ScanRecord = { id: entry.id, participant: entry.participant, image };
  if (entry.label !== undefined) {
    const label = await read(entry.label, "native");
    if (label.shape.some((n, i) => n !== image.shape[i])) {
      throw new Error(
        `${what}: label ${entry.label} has shape [${
          label.shape.join(", ")
        }] but image ${entry.image} ` +
          `has shape [${image.shape.join(", ")}] (got [${label.shape.join(", ")}])`,
      );
    }
    const outliers = labelOutliers(label.data);
    const { nan } = countNonFinite(label.data);
    if (outliers.length > 0 || nan > 0) {
      const list = outliers.slice(0, 5).map(([v, c]) => `${v} (${c} voxels)`);
      if (nan > 0) list.push(`NaN (${nan} voxels)`);
      throw new Error(
        `${what}: label ${entry.label} has values outside 0-6 (got ${list.join(", ")}${
          outliers.length > 5 ? ", ..." : ""
        })`,
      );
    }
    record.label = { ...label, data: toLabelArray(label.data) };
  }
  return record;
}

/**
 * Loads the manifest and every scan of a dataset folder into memory (see
 * {@linkcode loadScan}).
 *
 * @param dir The dataset folder.
 * @param options Which scans to load, and whether symbolic links may leave the folder.
 * @returns The manifest and the scans, in manifest order.
 * @throws {Error} As `loadDatasetManifest` and `loadScan` do.
 */
export async function loadDataset(
  dir: string,
  options: LoadDatasetOptions = {},
): Promise<{ manifest: DatasetManifest; scans: ScanRecord[] }> {
  const { which = "all", allowExternalLinks = false } = options;
  if (!["all", "labeled", "unlabeled"].includes(which)) {
    throw new RangeError(
      `Cannot load dataset ${dir}: which must be "all", "labeled" or "unlabeled" (got ${
        show(which)
      })`,
    );
  }
  const manifest = await loadDatasetManifest(dir);
  const scans: ScanRecord[] = [];
  for (const entry of manifest.scans) {
    const labeled = entry.label !== undefined;
    if (which === "labeled" && !labeled) continue;
    if (which === "unlabeled" && labeled) continue;
    scans.push(await loadScan(dir, manifest, entry.id, { allowExternalLinks }));
  }
  return { manifest, scans };
}
