/**
 * Full check of a dataset folder: the manifest and every image and label file.
 *
 * @module
 */
import { join } from "node:path";
import type { Volume } from "./volume.ts";
import { gunzipIfNeeded, show } from "./_file_io.ts";
import { countNonFinite, labelOutliers } from "./_label_values.ts";
import { checkDatasetManifest, DATASET_MANIFEST_FILE } from "./dataset_manifest.ts";
import { parseNiftiHeader } from "./nifti_header.ts";
import { decodeNifti } from "./nifti_read.ts";

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
 * voxels, label values outside 0..6 (each value with its voxel count), and label volumes
 * whose shape or spacing differs from their image.
 *
 * @example Check a folder before training
 * ```ts ignore
 * import { validateDataset } from "./validate_dataset.ts";
 * const report = await validateDataset("datasets/Lumbar");
 * if (!report.ok) throw new Error(report.problems.join("\n"));
 * ```
 *
 * @param dir The dataset folder.
 * @returns The report; it never throws for problems in the data.
 */
export async function validateDataset(dir: string): Promise<ValidationReport> {
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
    text = await Deno.readTextFile(join(dir, f));
  } catch (error) {
    problems.push(
      error instanceof Deno.errors.NotFound
        ? `${f}: file not found (got no ${f} in ${dir})`
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

  for (const { entry } of check.usableScans) {
    const image = await checkFile(dir, entry.image, entry.id, manifestSpacing, "image", problems);
    if (entry.label === undefined) continue;
    const label = await checkFile(dir, entry.label, entry.id, manifestSpacing, "label", problems);
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
    }
  }
  report.ok = problems.length === 0;
  return report;
}

/**
 * Reads and checks one file; returns its shape and spacing for the image/label comparison
 * (`spacingKnown` is false when neither header nor manifest gave one), or undefined.
 */
async function checkFile(
  dir: string,
  rel: string,
  id: string,
  manifestSpacing: [number, number, number] | undefined,
  kind: "image" | "label",
  problems: string[],
): Promise<
  { shape: Volume["shape"]; spacing: Volume["spacing"]; spacingKnown: boolean } | undefined
> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, rel));
  } catch (error) {
    problems.push(
      error instanceof Deno.errors.NotFound
        ? `${rel}: file not found (${kind} of scan ${show(id)})`
        : `${rel}: cannot read the file (got ${(error as Error).message})`,
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
    const raw = gunzipIfNeeded(bytes, rel);
    const header = parseNiftiHeader(raw, rel);
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
  return { shape: volume.shape, spacing: volume.spacing, spacingKnown };
}
