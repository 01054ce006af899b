/**
 * A fingerprint of a dataset folder: hashes of the manifest settings and of every listed
 * file's bytes, cheap enough to compute each time a run trains, resumes or is evaluated, so a
 * run can refuse data that changed under it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { hashRegularFile, readErrorReason, show } from "./_file_io.ts";
import { loadDatasetManifest } from "./dataset_manifest.ts";

/** Hashes of one scan's entry and files in a {@linkcode DatasetFingerprint}. */
export interface ScanFingerprint {
  /** Participant of the scan. */
  participant: string;
  /** Image path relative to the dataset folder. */
  image: string;
  /** SHA-256 (hex) of the image file's bytes. */
  imageSha256: string;
  /** Label path relative to the dataset folder (labeled scans only). */
  label?: string;
  /** SHA-256 (hex) of the label file's bytes (labeled scans only). */
  labelSha256?: string;
}

/**
 * What {@linkcode datasetFingerprint} returns: JSON-serialisable, to store in a run folder and
 * compare later with {@linkcode compareDatasetFingerprints}.
 */
export interface DatasetFingerprint {
  /** Format version of this object. */
  version: 1;
  /**
   * `sha256:<hex>` over the settings and every scan's entry and file hashes; equal hashes
   * mean the same data.
   */
  hash: string;
  /**
   * SHA-256 (hex) of the manifest settings that change how scans are read: `labels`,
   * `spacing` and `depthAxis` (the name, the description and the counts do not count).
   */
  settingsSha256: string;
  /** Per scan id (only the scans asked for), its entry and file hashes. */
  scans: Record<string, ScanFingerprint>;
}

/** Options of {@linkcode datasetFingerprint}. */
export interface DatasetFingerprintOptions {
  /**
   * Only these scans (e.g. a run's split); an id not in `dataset.json` is an error.
   * @default {every scan of dataset.json}
   */
  ids?: readonly string[];
  /**
   * Follow symbolic links whose target leaves the dataset folder (refused otherwise, as when
   * loading).
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/** JSON with object keys sorted, so equal values always give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${
      keys
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
        .join(",")
    }}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Fingerprints a dataset folder: reads `dataset.json` (it must be valid) and hashes the bytes
 * of every listed image and label file (SHA-256, streamed in 1 MiB chunks, so memory stays
 * small; about 2 s per GB of files on a 2-core machine). Only regular files inside the folder are read, as when
 * loading. Two fingerprints are equal exactly when the reading settings, the scan list (ids,
 * participants, paths) and every file's bytes are equal.
 *
 * @example Record the fingerprint of a run's scans, then check it before evaluating
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareDatasetFingerprints, datasetFingerprint } from "./mod.ts";
 * import { writePhantomDataset } from "./phantom/mod.ts";
 *
 * const dir = await Deno.makeTempDir(); // your folder, e.g. "datasets/Lumbar"
 * const cohort = { participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] as [number, number, number] };
 * await writePhantomDataset(dir, cohort);
 * const recorded = await datasetFingerprint(dir, { ids: ["p00_s00", "p01_s00"] });
 * // ... later (eval, --resume):
 * const now = await datasetFingerprint(dir, { ids: Object.keys(recorded.scans) });
 * const changes = compareDatasetFingerprints(recorded, now);
 * if (changes.length > 0) throw new Error(`The dataset changed: ${changes.join("; ")}`);
 * // Other scans under the same ids are a change.
 * await writePhantomDataset(dir, { ...cohort, seed: 1, overwrite: true });
 * const after = await datasetFingerprint(dir, { ids: Object.keys(recorded.scans) });
 * assert.ok(compareDatasetFingerprints(recorded, after).length > 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The dataset folder.
 * @param options Which scans, and whether links may leave the folder.
 * @returns The fingerprint.
 * @throws {Error} When `dataset.json` is missing or invalid, an id is unknown, or a file is
 *   missing or refused; the message names the folder and the file.
 */
export async function datasetFingerprint(
  dir: string,
  options: DatasetFingerprintOptions = {},
): Promise<DatasetFingerprint> {
  const { ids, allowExternalLinks = false } = options;
  const what = `Cannot fingerprint dataset ${dir}`;
  const manifest = await loadDatasetManifest(dir);
  const byId = new Map(manifest.scans.map((s) => [s.id, s]));
  const wanted = ids === undefined ? manifest.scans.map((s) => s.id) : [...ids];
  const scans: Record<string, ScanFingerprint> = {};
  const hashFile = async (rel: string, id: string): Promise<string> => {
    try {
      return await hashRegularFile(join(dir, rel), { root: dir, allowExternalLinks });
    } catch (error) {
      throw new Error(
        `${what}: cannot read ${rel} of scan ${show(id)}: ${readErrorReason(error)}`,
        {
          cause: error,
        },
      );
    }
  };
  for (const id of wanted) {
    const entry = byId.get(id);
    if (entry === undefined) {
      throw new Error(`${what}: no scan with this id in dataset.json (got ${show(id)})`);
    }
    const scan: ScanFingerprint = {
      participant: entry.participant,
      image: entry.image,
      imageSha256: await hashFile(entry.image, id),
    };
    if (entry.label !== undefined) {
      scan.label = entry.label;
      scan.labelSha256 = await hashFile(entry.label, id);
    }
    scans[id] = scan;
  }
  const settingsSha256 = sha256(canonicalJson({
    labels: manifest.labels,
    spacing: manifest.spacing ?? null,
    depthAxis: manifest.depthAxis ?? 2,
  }));
  const hash = `sha256:${sha256(canonicalJson({ settingsSha256, scans }))}`;
  return { version: 1, hash, settingsSha256, scans };
}

/**
 * Lists how a dataset changed between two fingerprints (e.g. the one a run recorded and the
 * one computed now), one line per difference naming the scan and the file; empty when the
 * fingerprints are equal.
 *
 * @param recorded The earlier fingerprint.
 * @param current The fingerprint now.
 * @returns The differences, most specific first per scan (at most one line per scan and file).
 */
export function compareDatasetFingerprints(
  recorded: DatasetFingerprint,
  current: DatasetFingerprint,
): string[] {
  if (recorded.hash === current.hash) return [];
  const lines: string[] = [];
  const short = (h: string | undefined) => (h === undefined ? "none" : `${h.slice(0, 12)}...`);
  if (recorded.settingsSha256 !== current.settingsSha256) {
    lines.push("dataset.json: labels, spacing or depthAxis changed");
  }
  for (const [id, was] of Object.entries(recorded.scans)) {
    const now = current.scans[id];
    if (now === undefined) {
      lines.push(`scan ${show(id)}: no longer listed (was ${was.image})`);
      continue;
    }
    if (now.participant !== was.participant) {
      lines.push(
        `scan ${show(id)}: participant changed (recorded ${show(was.participant)}, got ${
          show(now.participant)
        })`,
      );
    }
    for (const kind of ["image", "label"] as const) {
      const key = kind === "image" ? "imageSha256" : "labelSha256";
      if (was[kind] !== now[kind]) {
        lines.push(
          `scan ${show(id)}: ${kind} path changed (recorded ${show(was[kind])}, got ${
            show(now[kind])
          })`,
        );
      } else if (was[key] !== now[key]) {
        lines.push(
          `${now[kind]}: content changed (${kind} of scan ${show(id)}: recorded sha256 ${
            short(was[key])
          }, got ${short(now[key])})`,
        );
      }
    }
  }
  for (const [id, now] of Object.entries(current.scans)) {
    if (!(id in recorded.scans)) lines.push(`scan ${show(id)}: newly listed (${now.image})`);
  }
  if (lines.length === 0) {
    lines.push(`fingerprint changed (recorded ${recorded.hash}, got ${current.hash})`);
  }
  return lines;
}
