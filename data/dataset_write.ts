/**
 * Writing in-memory scans as a dataset folder (NIfTI files plus `dataset.json`).
 *
 * @module
 */
import { join } from "node:path";
import type { ScanRecord } from "./scan.ts";
import type { Axis } from "./volume.ts";
import { exists, show, writeTextFileAtomic } from "./_file_io.ts";
import { countNonFinite, labelOutliers } from "./_label_values.ts";
import {
  DATASET_LABELS,
  DATASET_MANIFEST_FILE,
  type DatasetFileEnding,
  type DatasetManifest,
  type DatasetScanEntry,
  isValidScanId,
} from "./dataset_manifest.ts";
import { writeNifti } from "./nifti_write.ts";

/** Dataset-level fields for {@linkcode writeDataset}. */
export interface DatasetInfo {
  /** Dataset name. */
  name: string;
  /**
   * Free-text description.
   * @default {undefined}
   */
  description?: string;
  /**
   * Default voxel size in mm recorded in the manifest.
   * @default {the scans' common image spacing, omitted when they differ}
   */
  spacing?: [number, number, number];
  /**
   * Depth axis recorded in the manifest; scans whose image sets another `depthAxis` are
   * rejected.
   * @default {the first image's depthAxis, else 2}
   */
  depthAxis?: Axis;
  /**
   * Ending of the NIfTI files.
   * @default {".nii.gz"}
   */
  fileEnding?: DatasetFileEnding;
  /**
   * Label index → name for 0..6.
   * @default {DATASET_LABELS}
   */
  labels?: Record<string, string>;
}

/** Options of {@linkcode writeDataset}. */
export interface WriteDatasetOptions {
  /**
   * Replace an existing dataset in `dir`. Its `dataset.json` and the `imagesTr`, `labelsTr`
   * and `imagesUnlabeled` folders are deleted first.
   * @default {false}
   */
  overwrite?: boolean;
  /**
   * Gzip level (1 fast .. 9 small) for `.nii.gz` files.
   * @default {6}
   */
  level?: number;
}

const FOLDERS = ["imagesTr", "labelsTr", "imagesUnlabeled"] as const;
/** Marks a dataset folder whose write has not finished (removed once dataset.json is written). */
const PARTIAL_MARKER = ".grn-dataset-partial";

/**
 * Writes scans as a dataset folder: each labeled scan's image to `imagesTr/<id>_0000<ending>`
 * and its label (uint8) to `labelsTr/<id><ending>`, each unlabeled scan's image to
 * `imagesUnlabeled/<id>_0000<ending>`, then `dataset.json`. Every file is written atomically and
 * the manifest is written last, so an interrupted run leaves no manifest. Scans are consumed
 * one at a time, so a generator can stream volumes without holding them all in memory.
 *
 * @example Save two scans, one labeled and one unlabeled
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeDataset } from "./mod.ts";
 * import { generatePhantomCohort, phantomToScanRecord } from "./phantom/mod.ts";
 *
 * const { scans } = generatePhantomCohort({ participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] });
 * const labeledScan = phantomToScanRecord(scans[0]!);
 * const unlabeledScan = phantomToScanRecord(scans[1]!, false);
 * const dir = await Deno.makeTempDir(); // e.g. "datasets/Demo"
 * const manifest = await writeDataset(dir, { name: "Demo" }, [labeledScan, unlabeledScan]);
 * assert.deepEqual(manifest.scans.map((s) => s.label !== undefined), [true, false]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The dataset folder (created when missing).
 * @param info Dataset-level fields.
 * @param scans The scans, as an array, iterable or async iterable.
 * @param options Writing options.
 * @returns The manifest written to `dataset.json`.
 * @throws {Error} When `dir` already holds a dataset and `overwrite` is false, `dir` is a
 *   non-empty folder without a dataset (whatever `overwrite` says), or a scan is
 * invalid (bad or duplicate id, no participant, label values outside 0..6 or a label shape
 * that differs from the image, non-finite image values, another depth axis); the message
 * names the scan.
 */
export async function writeDataset(
  dir: string,
  info: DatasetInfo,
  scans: Iterable<ScanRecord> | AsyncIterable<ScanRecord>,
  options: WriteDatasetOptions = {},
): Promise<DatasetManifest> {
  const what = `Cannot write dataset ${dir}`;
  const { overwrite = false, level = 6 } = options;
  const fileEnding = info.fileEnding ?? ".nii.gz";
  if (typeof info.name !== "string" || info.name.trim() === "") {
    throw new TypeError(`${what}: name must be a non-empty string (got ${show(info.name)})`);
  }
  if (fileEnding !== ".nii.gz" && fileEnding !== ".nii") {
    throw new RangeError(
      `${what}: fileEnding must be ".nii.gz" or ".nii" (got ${show(fileEnding)})`,
    );
  }
  if (
    info.spacing !== undefined &&
    !(info.spacing.length === 3 && info.spacing.every((s) => Number.isFinite(s) && s > 0))
  ) {
    throw new RangeError(
      `${what}: spacing must be three positive numbers (got ${show(info.spacing)})`,
    );
  }
  if (info.depthAxis !== undefined && ![0, 1, 2].includes(info.depthAxis)) {
    throw new RangeError(`${what}: depthAxis must be 0, 1 or 2 (got ${show(info.depthAxis)})`);
  }
  const labels = { ...(info.labels ?? DATASET_LABELS) };
  for (let i = 0; i <= 6; i++) {
    if (typeof labels[String(i)] !== "string" || labels[String(i)]!.trim() === "") {
      throw new TypeError(`${what}: labels must name every label 0..6 (got ${show(info.labels)})`);
    }
  }

  const manifestPath = join(dir, DATASET_MANIFEST_FILE);
  // A folder that is not a dataset is never written into (nor its folders removed): its files
  // are the user's. A write interrupted before dataset.json leaves the marker
  // `.grn-dataset-partial`, so it can be written again.
  const partial = join(dir, PARTIAL_MARKER);
  if (!await exists(manifestPath) && !await exists(partial)) {
    const names = await Array.fromAsync(Deno.readDir(dir)).then(
      (entries) => entries.map((e) => e.name).sort(),
      (error) => {
        if (error instanceof Deno.errors.NotFound) return [];
        throw error;
      },
    );
    if (names.length > 0) {
      throw new Error(
        `${what}: the folder is not empty and holds no dataset (got ${
          names.slice(0, 5).join(", ")
        }${names.length > 5 ? ", ..." : ""}); choose a new or empty folder`,
      );
    }
  }
  if (await exists(manifestPath)) {
    if (!overwrite) {
      throw new Error(
        `${what}: the folder already holds a dataset; pass overwrite: true to replace it (got ${manifestPath})`,
      );
    }
    await Deno.remove(manifestPath);
  }
  for (const folder of FOLDERS) {
    const path = join(dir, folder);
    if (overwrite && await exists(path)) await Deno.remove(path, { recursive: true });
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeTextFileAtomic(partial, "a grn dataset write in progress (or interrupted)\n");

  const entries: DatasetScanEntry[] = [];
  const ids = new Set<string>();
  const made = new Set<string>();
  let depthAxis: Axis | undefined = info.depthAxis;
  let commonSpacing: [number, number, number] | null | undefined;
  for await (const scan of scans) {
    const at = `${what}: scan ${show(scan?.id)}`;
    if (!isValidScanId(scan?.id)) {
      throw new TypeError(
        `${what}: scan id must be letters, digits, ".", "_" or "-", starting with a letter or ` +
          `digit (got ${show(scan?.id)})`,
      );
    }
    if (ids.has(scan.id)) throw new Error(`${at}: duplicate scan id (got ${show(scan.id)})`);
    ids.add(scan.id);
    if (typeof scan.participant !== "string" || scan.participant.trim() === "") {
      throw new TypeError(
        `${at}: participant must be a non-empty string (got ${show(scan.participant)})`,
      );
    }
    const image = scan.image;
    const scanAxis = image.depthAxis ?? 2;
    depthAxis ??= scanAxis;
    if (scanAxis !== depthAxis) {
      throw new RangeError(
        `${at}: image depthAxis differs from the dataset's ${depthAxis} (got ${scanAxis})`,
      );
    }
    const { nan, infinite } = countNonFinite(image.data);
    if (nan + infinite > 0) {
      throw new RangeError(
        `${at}: image has ${
          nan + infinite
        } non-finite voxels (got ${nan} NaN, ${infinite} infinite)`,
      );
    }
    if (commonSpacing === undefined) commonSpacing = [...image.spacing];
    else if (commonSpacing !== null && commonSpacing.some((s, i) => s !== image.spacing[i])) {
      commonSpacing = null;
    }

    const labeled = scan.label !== undefined;
    const imageRel = `${labeled ? "imagesTr" : "imagesUnlabeled"}/${scan.id}_0000${fileEnding}`;
    const entry: DatasetScanEntry = { id: scan.id, participant: scan.participant, image: imageRel };
    if (scan.label !== undefined) {
      const label = scan.label;
      if (label.shape.some((n, i) => n !== image.shape[i])) {
        throw new RangeError(
          `${at}: label shape [${label.shape.join(", ")}] differs from image shape [${
            image.shape.join(", ")
          }] (got [${label.shape.join(", ")}])`,
        );
      }
      const outliers = labelOutliers(label.data);
      if (outliers.length > 0 || countNonFinite(label.data).nan > 0) {
        throw new RangeError(
          `${at}: label values must be integers 0..6 (got ${
            outliers.slice(0, 5).map(([v, c]) => `${v} in ${c} voxels`).join(", ") || "NaN"
          })`,
        );
      }
      entry.label = `labelsTr/${scan.id}${fileEnding}`;
    }
    for (const rel of [entry.image, entry.label]) {
      if (rel === undefined) continue;
      const folder = rel.slice(0, rel.indexOf("/"));
      if (!made.has(folder)) {
        await Deno.mkdir(join(dir, folder), { recursive: true });
        made.add(folder);
      }
    }
    await writeNifti(join(dir, imageRel), image, { level });
    if (scan.label !== undefined) {
      await writeNifti(join(dir, entry.label!), scan.label, { level, datatype: "uint8" });
    }
    entries.push(entry);
  }
  if (entries.length === 0) {
    throw new RangeError(`${what}: no scans to write (got 0)`);
  }

  const manifest: DatasetManifest = { name: info.name, labels, fileEnding, scans: entries };
  if (info.description !== undefined) manifest.description = info.description;
  const spacing = info.spacing ?? commonSpacing ?? undefined;
  if (spacing) manifest.spacing = [...spacing];
  manifest.depthAxis = depthAxis ?? 2;
  // Key order of the written JSON: dataset fields first, scans last.
  const ordered = {
    name: manifest.name,
    ...(manifest.description !== undefined ? { description: manifest.description } : {}),
    labels: manifest.labels,
    ...(manifest.spacing ? { spacing: manifest.spacing } : {}),
    depthAxis: manifest.depthAxis,
    fileEnding: manifest.fileEnding,
    numLabeled: entries.filter((e) => e.label !== undefined).length,
    numUnlabeled: entries.filter((e) => e.label === undefined).length,
    scans: manifest.scans,
  };
  await writeTextFileAtomic(manifestPath, JSON.stringify(ordered, null, 2) + "\n");
  await Deno.remove(partial);
  return manifest;
}
