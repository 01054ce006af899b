/**
 * Full check of a dataset folder: the manifest and every image and label file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Volume } from "./volume.ts";
import { exists, FileReadError, readErrorReason, readRegularFile, show } from "./_file_io.ts";
import { countNonFinite, labelOutliers } from "./_label_values.ts";
import {
  checkDatasetManifest,
  DATASET_MANIFEST_FILE,
  DATASET_MANIFEST_MAX_BYTES,
} from "./dataset_manifest.ts";
import { decodeNifti, inflateNifti, niftiFileSizeCheck } from "./nifti_read.ts";
import { readVolumeFile, volumeFormatFromPath } from "./volume_file.ts";

/** Options of {@linkcode validateDataset}. */
export interface ValidateDatasetOptions {
  /**
   * Follow symbolic links whose real target leaves the dataset folder; off, each such file
   * is reported as a problem.
   * @default {false}
   */
  allowExternalLinks?: boolean;
  /**
   * Largest difference allowed between an image's and its label's affine entries, as a
   * fraction of the image's largest voxel size (rotation/scale columns and origin alike).
   * @default {1e-3}
   */
  affineTolerance?: number;
}

/** Result of {@linkcode validateDataset}. */
export interface ValidationReport {
  /** The folder checked. */
  dir: string;
  /** True when there are no problems. */
  ok: boolean;
  /**
   * Every problem found, one line each, starting with the file (relative to `dir`) or the
   * `dataset.json` field and ending with the offending value.
   */
  problems: string[];
  /** Number of scans listed in the manifest (0 when it cannot be read). */
  scans: number;
  /** Number of listed scans with a label. */
  labeled: number;
  /** Number of listed scans without a label. */
  unlabeled: number;
}

/** Distinct out-of-range label values reported one by one before they are summarised. */
const MAX_VALUES_LISTED = 5;

/**
 * Checks a dataset folder and reports every problem, not just the first: a missing or invalid
 * `dataset.json`, manifest fields (name, labels 0..6, spacing, depth axis, file ending), an
 * empty dataset, duplicate scan ids, scans without participant, missing or unreadable files,
 * files without a positive spacing in either the header or the manifest, NaN or infinite
 * voxels, label values outside 0..6 (each value with its voxel count), label volumes whose
 * shape, spacing or affine (orientation and origin, e.g. a flipped axis) differs from their
 * image, and images with the same voxel data listed for several scans (a SHA-256 of the
 * decoded voxels; the same image under two participants leaks between training and test).
 * Files that are not regular files (a FIFO, `/dev/zero`), symbolic links leaving the folder
 * (unless `allowExternalLinks`) and `.nii.gz` files inflating to more than their header
 * implies are reported without being read in full.
 *
 * @example Check a folder before training
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateDataset } from "./mod.ts";
 * import { writePhantomDataset } from "./phantom/mod.ts";
 *
 * const dir = await Deno.makeTempDir(); // your folder, e.g. "datasets/Lumbar"
 * await writePhantomDataset(dir, { participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] });
 * const report = await validateDataset(dir);
 * if (!report.ok) throw new Error(report.problems.join("\n"));
 * assert.equal(report.labeled, 2);
 * // A missing label file is reported, naming the file.
 * await Deno.remove(`${dir}/labelsTr/p01_s00.nii.gz`);
 * assert.match((await validateDataset(dir)).problems.join("\n"), /labelsTr\/p01_s00\.nii\.gz/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The dataset folder.
 * @param options Symbolic links and the affine tolerance.
 * @returns The report; it never throws for problems in the data.
 */
export async function validateDataset(
  dir: string,
  options: ValidateDatasetOptions = {},
): Promise<ValidationReport> {
  const { allowExternalLinks = false, affineTolerance = 1e-3 } = options;
  if (!(Number.isFinite(affineTolerance) && affineTolerance >= 0)) {
    throw new RangeError(
      `Cannot validate dataset ${dir}: affineTolerance must be a non-negative number (got ${
        show(affineTolerance)
      })`,
    );
  }
  const report: ValidationReport = {
    dir,
    ok: false,
    problems: [],
    scans: 0,
    labeled: 0,
    unlabeled: 0,
  };
  const problems = report.problems;
  const f = DATASET_MANIFEST_FILE;
  let text: string;
  try {
    text = new TextDecoder().decode(
      await readRegularFile(join(dir, f), { maxBytes: DATASET_MANIFEST_MAX_BYTES }),
    );
  } catch (error) {
    problems.push(
      error instanceof Deno.errors.NotFound
        ? `${f}: file not found (got no ${f} in ${dir})`
        : error instanceof FileReadError
        ? `${f}: ${error.reason}`
        : `${f}: cannot read the file (got ${(error as Error).message})`,
    );
    return report;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push(`${f}: invalid JSON (got ${(error as Error).message})`);
    return report;
  }
  const check = checkDatasetManifest(json);
  problems.push(...check.problems);
  const m = json as Record<string, unknown>;
  const manifestSpacing = Array.isArray(m?.spacing) && m.spacing.length === 3 &&
      m.spacing.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0)
    ? (m.spacing as [number, number, number])
    : undefined;
  if (Array.isArray(m?.scans)) {
    report.scans = m.scans.length;
    report.labeled = (m.scans as Array<Record<string, unknown> | null>).filter((s) =>
      typeof s === "object" && s !== null && s.label !== undefined
    ).length;
    report.unlabeled = report.scans - report.labeled;
  }

  const ctx = { dir, manifestSpacing, problems, allowExternalLinks };
  const seen = new Map<string, { rel: string; id: string; participant?: string }>();
  for (const { entry } of check.usableScans) {
    const image = await checkFile(ctx, entry.image, entry.id, "image");
    if (image !== undefined) {
      const first = seen.get(image.hash);
      if (first === undefined) {
        seen.set(image.hash, {
          rel: entry.image,
          id: entry.id,
          ...(entry.participant !== undefined ? { participant: entry.participant } : {}),
        });
      } else if (first.rel !== entry.image || first.id !== entry.id) {
        const leak = first.participant !== entry.participant
          ? "; the same scan under two participants leaks between training and test"
          : "";
        problems.push(
          `${entry.image}: same voxel data as ${first.rel} (scan ${show(entry.id)} of ` +
            `participant ${show(entry.participant)} duplicates scan ${show(first.id)} of ` +
            `participant ${show(first.participant)}${leak}; got SHA-256 ${
              image.hash.slice(0, 16)
            }...)`,
        );
      }
    }
    if (entry.label === undefined) continue;
    const label = await checkFile(ctx, entry.label, entry.id, "label");
    if (image === undefined || label === undefined) continue;
    if (label.shape.some((n, i) => n !== image.shape[i])) {
      problems.push(
        `${entry.label}: label shape [${label.shape.join(", ")}] does not match image shape [${
          image.shape.join(", ")
        }] of ${entry.image}`,
      );
    } else if (
      image.spacingKnown && label.spacingKnown &&
      label.spacing.some((s, i) => Math.abs(s - image.spacing[i]!) > 1e-3 * image.spacing[i]!)
    ) {
      problems.push(
        `${entry.label}: label spacing ${show(label.spacing)} does not match image spacing ${
          show(image.spacing)
        } of ${entry.image}`,
      );
    } else if (image.spacingKnown && label.spacingKnown) {
      const tol = affineTolerance * Math.max(...image.spacing);
      const diff = largestDifference(label.affine, image.affine);
      if (diff.value > tol) {
        problems.push(
          `${entry.label}: label affine ${showAffine(label.affine)} does not match image affine ${
            showAffine(image.affine)
          } of ${entry.image} (got a difference of ${round(diff.value)} mm at row ${diff.row}, ` +
            `column ${diff.col}; tolerance ${round(tol)} mm)`,
        );
      }
    }
  }
  report.ok = problems.length === 0;
  return report;
}

/** What {@linkcode checkFile} needs besides the file. */
interface CheckContext {
  dir: string;
  manifestSpacing: [number, number, number] | undefined;
  problems: string[];
  allowExternalLinks: boolean;
}

/** What {@linkcode checkFile} returns for a readable file. */
interface CheckedFile {
  shape: Volume["shape"];
  spacing: Volume["spacing"];
  affine: number[][];
  /** False when neither header nor manifest gave a spacing. */
  spacingKnown: boolean;
  /** SHA-256 (hex) of the shape, element type and decoded voxel bytes. */
  hash: string;
}

/** Largest absolute difference between the first three rows of two affines. */
function largestDifference(
  a: number[][],
  b: number[][],
): { value: number; row: number; col: number } {
  let best = { value: 0, row: 0, col: 0 };
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      const d = Math.abs(a[r]![c]! - b[r]![c]!);
      if (!(d <= best.value)) best = { value: d, row: r, col: c };
    }
  }
  return best;
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}

/** The three affine rows rounded to 4 significant digits, for a message. */
function showAffine(affine: number[][]): string {
  return `[${affine.slice(0, 3).map((row) => `[${row.map(round).join(", ")}]`).join(", ")}]`;
}

/** SHA-256 of a volume's shape, element type and voxel bytes. */
export function volumeContentHash(volume: Pick<Volume, "data" | "shape">): string {
  const { data, shape } = volume;
  return createHash("sha256")
    .update(`${data.constructor.name}[${shape.join(",")}]`)
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest("hex");
}

/**
 * Reads and checks one file; returns its geometry and content hash for the image/label
 * comparison and the duplicate check, or undefined when it cannot be read.
 */
async function checkFile(
  ctx: CheckContext,
  rel: string,
  id: string,
  kind: "image" | "label",
): Promise<CheckedFile | undefined> {
  const { dir, manifestSpacing, problems } = ctx;
  if (volumeFormatFromPath(rel) !== "nifti") return await checkOtherFile(ctx, rel, id, kind);
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(join(dir, rel), {
      root: dir,
      allowExternalLinks: ctx.allowExternalLinks,
      checkHead: niftiFileSizeCheck(rel),
    });
  } catch (error) {
    problems.push(
      error instanceof Deno.errors.NotFound
        ? `${rel}: file not found (${kind} of scan ${show(id)})`
        : error instanceof FileReadError
        ? `${rel}: ${error.reason}`
        : `${rel}: cannot read the file (got ${readErrorReason(error)})`,
    );
    return undefined;
  }
  const strip = (message: string): string => {
    for (const prefix of [`Cannot read NIfTI file ${rel}: `, `Cannot read ${rel}: `]) {
      if (message.startsWith(prefix)) return message.slice(prefix.length);
    }
    return message;
  };
  let volume: Volume;
  let spacingKnown = true;
  try {
    const { raw, header } = inflateNifti(bytes, rel);
    let fallback = manifestSpacing;
    if (header.spacing.some((s) => !(s > 0)) && manifestSpacing === undefined) {
      problems.push(
        `${rel}: missing spacing: header pixdim[1..3] is ${
          show(header.pixdim.slice(1, 4))
        } and ${DATASET_MANIFEST_FILE} has no spacing (got ${show(header.spacing)})`,
      );
      fallback = [1, 1, 1]; // Only so the voxel checks below can run.
      spacingKnown = false;
    }
    const options = fallback ? { file: rel, spacing: fallback } : { file: rel };
    volume = decodeNifti(raw, options).volume;
  } catch (error) {
    problems.push(`${rel}: ${strip((error as Error).message)}`);
    return undefined;
  }
  return checkValues(problems, rel, kind, volume, spacingKnown);
}

/** The voxel checks of an image or label, and what the image/label comparison needs. */
function checkValues(
  problems: string[],
  rel: string,
  kind: "image" | "label",
  volume: Volume,
  spacingKnown: boolean,
): CheckedFile {
  const { nan, infinite } = countNonFinite(volume.data);
  if (nan + infinite > 0) {
    problems.push(`${rel}: ${nan + infinite} non-finite voxels (${nan} NaN, ${infinite} infinite)`);
  }
  if (kind === "label") {
    const outliers = labelOutliers(volume.data);
    for (const [value, count] of outliers.slice(0, MAX_VALUES_LISTED)) {
      problems.push(`${rel}: label value ${value} outside 0-6 (${count} voxels)`);
    }
    if (outliers.length > MAX_VALUES_LISTED) {
      const rest = outliers.slice(MAX_VALUES_LISTED);
      const voxels = rest.reduce((sum, [, c]) => sum + c, 0);
      problems.push(
        `${rel}: ${rest.length} more label values outside 0-6 (${voxels} voxels, values ${
          rest[0]![0]
        } to ${rest[rest.length - 1]![0]})`,
      );
    }
  }
  return {
    shape: volume.shape,
    spacing: volume.spacing,
    affine: volume.affine,
    spacingKnown,
    hash: volumeContentHash(volume),
  };
}

/**
 * {@linkcode checkFile} for NRRD, `.seg.nrrd` and MAT files, read through `readVolumeFile`
 * (confined to the folder, bounded like the NIfTI reads).
 */
async function checkOtherFile(
  ctx: CheckContext,
  rel: string,
  id: string,
  kind: "image" | "label",
): Promise<CheckedFile | undefined> {
  const { dir, manifestSpacing, problems } = ctx;
  const path = join(dir, rel);
  const read = (spacing: [number, number, number] | undefined) =>
    readVolumeFile(path, {
      root: dir,
      allowExternalLinks: ctx.allowExternalLinks,
      ...(spacing ? { spacing } : {}),
    });
  const strip = (message: string): string =>
    message.replace(
      new RegExp(`^Cannot read (scan|NRRD file|MAT file|segmentation) ${escape(path)}: `),
      "",
    );
  if (!(await exists(path))) {
    problems.push(`${rel}: file not found (${kind} of scan ${show(id)})`);
    return undefined;
  }
  let volume: Volume;
  let spacingKnown = true;
  try {
    volume = (await read(manifestSpacing)).volume;
  } catch (error) {
    const message = readErrorReason(error);
    if (manifestSpacing === undefined && /missing voxel spacing|no voxel spacing/.test(message)) {
      problems.push(
        `${rel}: missing spacing: the file gives none and ${DATASET_MANIFEST_FILE} has no spacing (got ${
          strip(message)
        })`,
      );
      spacingKnown = false;
      try {
        volume = (await read([1, 1, 1])).volume; // Only so the voxel checks below can run.
      } catch (again) {
        problems.push(`${rel}: ${strip(readErrorReason(again))}`);
        return undefined;
      }
    } else {
      problems.push(`${rel}: ${strip(message)}`);
      return undefined;
    }
  }
  return checkValues(problems, rel, kind, volume, spacingKnown);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
