/**
 * The dataset folder manifest (`dataset.json`), in the spirit of nnU-Net:
 *
 * ```text
 * MyDataset/
 *   dataset.json
 *   imagesTr/         <id>_0000.nii.gz   images of labeled scans
 *   labelsTr/         <id>.nii.gz        their label volumes (uint8, 0..6)
 *   imagesUnlabeled/  <id>_0000.nii.gz   images without labels
 * ```
 *
 * @module
 */
import { join } from "node:path";
import type { Axis } from "./volume.ts";
import { readErrorReason, readRegularFile, show } from "./_file_io.ts";

/** File name of the manifest inside a dataset folder. */
export const DATASET_MANIFEST_FILE = "dataset.json";

/** The standard label names, index → name (written to every `dataset.json`). */
export const DATASET_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "0": "background",
  "1": "dermis",
  "2": "superficial fat",
  "3": "superficial fascial membrane",
  "4": "deep fat",
  "5": "deep fascial membrane",
  "6": "muscle",
});

/** File endings a dataset may use for its NIfTI files. */
export type DatasetFileEnding = ".nii.gz" | ".nii";

/** One scan listed in `dataset.json`. */
export interface DatasetScanEntry {
  /** Unique scan id (letters, digits, `.`, `_`, `-`; starts with a letter or digit). */
  id: string;
  /** Participant (subject) id; splits keep all scans of a participant together. */
  participant: string;
  /**
   * Image path relative to the dataset folder, e.g. `imagesTr/s01_0000.nii.gz`; NRRD
   * (`.nrrd`, `.nhdr`) and MATLAB (`.mat`) files may be listed too.
   */
  image: string;
  /**
   * Label path relative to the dataset folder (NIfTI, NRRD, a 3D Slicer `.seg.nrrd` whose
   * segments are named after the classes, or MAT); present exactly when the scan is labeled.
   */
  label?: string;
}

/** The parsed `dataset.json` of a dataset folder. */
export interface DatasetManifest {
  /** Dataset name. */
  name: string;
  /** Free-text description. */
  description?: string;
  /** Label index → name for labels 0..6 (see {@linkcode DATASET_LABELS}). */
  labels: Record<string, string>;
  /**
   * Default voxel size in mm along x, y, z, used for files whose header gives none (a positive
   * header spacing overrides it).
   */
  spacing?: [number, number, number];
  /** Axis along which ultrasound depth runs (skin at index 0). @default {2} */
  depthAxis?: Axis;
  /** Ending of the dataset's NIfTI files. */
  fileEnding: DatasetFileEnding;
  /** The scans. */
  scans: DatasetScanEntry[];
}

// `dataset.json` may also hold `numLabeled` and `numUnlabeled` (written by `writeDataset` for
// readers' convenience); when present they must match the scan list.

/** Result of {@linkcode checkDatasetManifest}. */
export interface ManifestCheck {
  /** The manifest, when the JSON has no problems. */
  manifest?: DatasetManifest;
  /** One-line problem messages, each naming the `dataset.json` field and the offending value. */
  problems: string[];
  /**
   * Scan entries usable for file checks (valid id and image path) even when other fields have
   * problems, with their index in `scans`.
   */
  usableScans: Array<
    { index: number; entry: Partial<DatasetScanEntry> & { id: string; image: string } }
  >;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** True for a scan id that is safe to use in file names. */
export function isValidScanId(id: unknown): id is string {
  return typeof id === "string" && ID_PATTERN.test(id);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : show(value);
}

/** Endings of the files a dataset may list: NIfTI, NRRD (and 3D Slicer `.seg.nrrd`), MAT. */
const SCAN_FILE_ENDINGS = [".nii.gz", ".nii", ".seg.nrrd", ".nrrd", ".nhdr", ".mat"];

/** Why `path` is not a usable relative scan path, or `undefined` when it is fine. */
function pathProblem(path: unknown): string | undefined {
  const endings = ".nii, .nii.gz, .nrrd, .nhdr, .seg.nrrd or .mat";
  if (typeof path !== "string" || path.length === 0) {
    return `expected a relative path to a ${endings} file (got ${show(path)})`;
  }
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.split(/[\\/]/).includes("..")) {
    return `expected a path inside the dataset folder (got ${show(path)})`;
  }
  if (!SCAN_FILE_ENDINGS.some((e) => path.toLowerCase().endsWith(e))) {
    return `expected a path ending in ${endings} (got ${show(path)})`;
  }
  return undefined;
}

/**
 * Checks a parsed `dataset.json` value field by field and collects every problem (it does
 * not stop at the first). Unknown extra fields are allowed; the optional counts `numLabeled`
 * and `numUnlabeled` must match the scan list when present.
 *
 * @param json The parsed JSON.
 * @returns The manifest when valid, the problems, and the scan entries usable for file checks.
 */
export function checkDatasetManifest(json: unknown): ManifestCheck {
  const f = DATASET_MANIFEST_FILE;
  const problems: string[] = [];
  const usableScans: ManifestCheck["usableScans"] = [];
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    problems.push(`${f}: expected a JSON object (got ${typeName(json)})`);
    return { problems, usableScans };
  }
  const m = json as Record<string, unknown>;
  if (typeof m.name !== "string" || m.name.trim() === "") {
    problems.push(`${f} name: expected a non-empty string (got ${show(m.name)})`);
  }
  if (m.description !== undefined && typeof m.description !== "string") {
    problems.push(`${f} description: expected a string (got ${show(m.description)})`);
  }
  if (typeof m.labels !== "object" || m.labels === null || Array.isArray(m.labels)) {
    problems.push(`${f} labels: expected an object of label index → name (got ${show(m.labels)})`);
  } else {
    const labels = m.labels as Record<string, unknown>;
    for (const key of Object.keys(labels)) {
      if (!/^[0-6]$/.test(key)) {
        problems.push(`${f} labels: label index outside 0-6 (got ${show(key)})`);
      } else if (typeof labels[key] !== "string" || (labels[key] as string).trim() === "") {
        problems.push(
          `${f} labels["${key}"]: expected a non-empty name (got ${show(labels[key])})`,
        );
      }
    }
    for (let i = 0; i <= 6; i++) {
      if (!(String(i) in labels)) {
        problems.push(`${f} labels: missing label ${i} (got keys ${show(Object.keys(labels))})`);
      }
    }
  }
  if (
    m.spacing !== undefined &&
    !(Array.isArray(m.spacing) && m.spacing.length === 3 &&
      m.spacing.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0))
  ) {
    problems.push(`${f} spacing: expected three positive numbers in mm (got ${show(m.spacing)})`);
  }
  if (m.depthAxis !== undefined && ![0, 1, 2].includes(m.depthAxis as number)) {
    problems.push(`${f} depthAxis: expected 0, 1 or 2 (got ${show(m.depthAxis)})`);
  }
  if (m.fileEnding !== ".nii.gz" && m.fileEnding !== ".nii") {
    problems.push(`${f} fileEnding: expected ".nii.gz" or ".nii" (got ${show(m.fileEnding)})`);
  }
  if (!Array.isArray(m.scans)) {
    problems.push(`${f} scans: expected an array of scans (got ${show(m.scans)})`);
  } else if (m.scans.length === 0) {
    problems.push(`${f} scans: the dataset has no scans (got [])`);
  } else {
    const seen = new Map<string, number>();
    m.scans.forEach((scan: unknown, index: number) => {
      const at = `${f} scans[${index}]`;
      if (typeof scan !== "object" || scan === null || Array.isArray(scan)) {
        problems.push(`${at}: expected an object (got ${show(scan)})`);
        return;
      }
      const s = scan as Record<string, unknown>;
      let idOk = false;
      if (!isValidScanId(s.id)) {
        problems.push(
          `${at}.id: expected letters, digits, ".", "_" or "-", starting with a letter or digit ` +
            `(got ${show(s.id)})`,
        );
      } else if (seen.has(s.id)) {
        problems.push(`${at}.id: duplicate scan id ${show(s.id)} (also scans[${seen.get(s.id)}])`);
      } else {
        seen.set(s.id, index);
        idOk = true;
      }
      if (typeof s.participant !== "string" || s.participant.trim() === "") {
        problems.push(`${at}.participant: scan has no participant (got ${show(s.participant)})`);
      }
      const imageProblem = pathProblem(s.image);
      if (imageProblem) problems.push(`${at}.image: ${imageProblem}`);
      let labelOk = true;
      if (s.label !== undefined) {
        const labelProblem = pathProblem(s.label);
        if (labelProblem) {
          problems.push(`${at}.label: ${labelProblem}`);
          labelOk = false;
        }
      }
      if (idOk && !imageProblem) {
        const entry: ManifestCheck["usableScans"][number]["entry"] = {
          id: s.id as string,
          image: s.image as string,
        };
        if (typeof s.participant === "string") entry.participant = s.participant;
        if (s.label !== undefined && labelOk) entry.label = s.label as string;
        usableScans.push({ index, entry });
      }
    });
  }
  if (Array.isArray(m.scans)) {
    const scans = m.scans as unknown[];
    const isObj = (s: unknown): s is Record<string, unknown> => typeof s === "object" && s !== null;
    const labeled = scans.filter((s) => isObj(s) && s.label !== undefined).length;
    for (
      const [key, count] of [["numLabeled", labeled], [
        "numUnlabeled",
        scans.length - labeled,
      ]] as const
    ) {
      if (m[key] !== undefined && m[key] !== count) {
        const kind = key === "numLabeled" ? "labeled" : "unlabeled";
        problems.push(
          `${f} ${key}: does not match the ${count} ${kind} scans listed (got ${show(m[key])})`,
        );
      }
    }
  }
  if (problems.length > 0) return { problems, usableScans };
  const manifest: DatasetManifest = {
    name: m.name as string,
    labels: { ...(m.labels as Record<string, string>) },
    fileEnding: m.fileEnding as DatasetFileEnding,
    scans: (m.scans as Record<string, unknown>[]).map((s) => {
      const entry: DatasetScanEntry = {
        id: s.id as string,
        participant: s.participant as string,
        image: s.image as string,
      };
      if (s.label !== undefined) entry.label = s.label as string;
      return entry;
    }),
  };
  if (m.description !== undefined) manifest.description = m.description as string;
  if (m.spacing !== undefined) {
    manifest.spacing = [...(m.spacing as number[])] as [number, number, number];
  }
  if (m.depthAxis !== undefined) manifest.depthAxis = m.depthAxis as Axis;
  return { manifest, problems, usableScans };
}

/** Largest `dataset.json` read, in bytes (64 MiB); a larger file is refused unread. */
export const DATASET_MANIFEST_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Reads and checks the `dataset.json` of a dataset folder. Only a regular file of at most
 * {@linkcode DATASET_MANIFEST_MAX_BYTES} is read (a FIFO or `/dev/zero` is refused).
 *
 * @example List the labeled scans
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDatasetManifest } from "./mod.ts";
 * import { writePhantomDataset } from "./phantom/mod.ts";
 *
 * const dir = await Deno.makeTempDir(); // your folder, e.g. "datasets/Lumbar"
 * await writePhantomDataset(dir, { participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] });
 * const manifest = await loadDatasetManifest(dir);
 * assert.deepEqual(manifest.scans.filter((s) => s.label).map((s) => s.id), ["p00_s00", "p01_s00"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The dataset folder.
 * @returns The manifest.
 * @throws {Error} When `dataset.json` is missing, is not valid JSON, or has problems; the
 * message names the file and lists every problem (run `validateDataset` for a full report
 * including the image files).
 */
export async function loadDatasetManifest(dir: string): Promise<DatasetManifest> {
  const path = join(dir, DATASET_MANIFEST_FILE);
  let text: string;
  try {
    text = new TextDecoder().decode(
      await readRegularFile(path, { maxBytes: DATASET_MANIFEST_MAX_BYTES }),
    );
  } catch (error) {
    throw new Error(`Cannot load dataset manifest ${path}: ${readErrorReason(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot load dataset manifest ${path}: invalid JSON (${(error as Error).message})`,
    );
  }
  const { manifest, problems } = checkDatasetManifest(json);
  if (!manifest) {
    throw new Error(
      `Cannot load dataset manifest ${path}: ${problems.length} problem${
        problems.length === 1 ? "" : "s"
      }: ${problems.join("; ")}`,
    );
  }
  return manifest;
}
