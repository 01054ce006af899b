/**
 * The dataset fingerprint of a run folder (`dataset.fingerprint.json`): `grn train` records
 * the fingerprint of the scans its split uses, and `grn train --resume` and `grn eval` compute
 * it again and refuse, naming each changed file, when the data changed under the run.
 * @module
 */
import { join } from "node:path";
import {
  compareDatasetFingerprints,
  type DatasetFingerprint,
  datasetFingerprint,
} from "../data/dataset_fingerprint.ts";
import { loadDatasetManifest } from "../data/dataset_manifest.ts";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { RUN_FILES, type RunSplit } from "./run_config.ts";

/** The command-line flag that accepts changed data. */
export const ALLOW_CHANGED_DATA_FLAG = "--allow-changed-data";

/**
 * The scans a run's fingerprint covers: every scan of its split (train, validation and test
 * sides, in this order, without repeats).
 *
 * @param split The run's split (`split.json`).
 * @returns The scan ids.
 */
export function runFingerprintIds(split: Pick<RunSplit, "scans">): string[] {
  return [...new Set([...split.scans.train, ...split.scans.validation, ...split.scans.test])];
}

/**
 * Reads the fingerprint a run recorded (`dataset.fingerprint.json`).
 *
 * @param dir The run folder.
 * @returns The fingerprint, or `null` when the run has none (a run of an older grn).
 * @throws {Error} When the file exists but cannot be read or is not a fingerprint; the message
 *   names the file.
 */
export async function readRunFingerprint(dir: string): Promise<DatasetFingerprint | null> {
  const path = join(dir, RUN_FILES.fingerprint);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(
      `Cannot read the dataset fingerprint of run ${dir}: ${
        (error as Error).message
      } (got ${path})`,
    );
  }
  let json: Partial<DatasetFingerprint> | null;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Cannot read the dataset fingerprint of run ${dir}: invalid JSON in ${path} (${
        (error as Error).message
      })`,
    );
  }
  if (
    json === null || typeof json !== "object" || json.version !== 1 ||
    typeof json.hash !== "string" || typeof json.settingsSha256 !== "string" ||
    typeof json.scans !== "object" || json.scans === null
  ) {
    throw new Error(
      `Cannot read the dataset fingerprint of run ${dir}: ${path} is not a version-1 dataset ` +
        `fingerprint (got ${text.slice(0, 60).trim()})`,
    );
  }
  return json as DatasetFingerprint;
}

/**
 * Records a fingerprint in a run folder (`dataset.fingerprint.json`, written atomically).
 *
 * @param dir The run folder.
 * @param fingerprint The fingerprint of the run's scans.
 */
export async function writeRunFingerprint(
  dir: string,
  fingerprint: DatasetFingerprint,
): Promise<void> {
  await writeFileAtomic(
    join(dir, RUN_FILES.fingerprint),
    JSON.stringify(fingerprint, null, 2) + "\n",
  );
}

/**
 * The data of a run changed since it recorded its fingerprint (and changed data were not
 * allowed). A data problem, not a usage error: the CLI exits with code 1.
 */
export class DatasetChangedError extends Error {
  /** One line per change, each naming the scan or the file (see `compareDatasetFingerprints`). */
  readonly changes: readonly string[];

  /**
   * The error naming the dataset and its first three changes, and the flag that goes ahead.
   *
   * @param what What could not be done, e.g. `"Cannot evaluate runs/a"`.
   * @param datasetDir The dataset folder.
   * @param changes The changes.
   */
  constructor(what: string, datasetDir: string, changes: readonly string[]) {
    const n = changes.length;
    const shown = changes.slice(0, 3).join("; ") + (n > 3 ? `; and ${n - 3} more` : "");
    super(
      `${what}: the dataset ${datasetDir} changed since the run recorded its fingerprint ` +
        `(got ${n} change${n === 1 ? "" : "s"}: ${shown}); pass ${ALLOW_CHANGED_DATA_FLAG} ` +
        "to use it anyway",
    );
    this.name = "DatasetChangedError";
    this.changes = changes;
  }
}

/** Options of {@linkcode checkRunDataset}. */
export interface CheckRunDatasetOptions {
  /** The dataset folder the run reads now. */
  dataset: string;
  /** Start of the error message, e.g. `"Cannot evaluate runs/a"`. */
  what: string;
  /** Prefix of the notes, e.g. `"grn eval"`. */
  command: string;
  /** Follow symbolic links that leave the dataset folder. @default {false} */
  allowExternalLinks?: boolean;
  /**
   * Go ahead when the data changed (the changes are reported as notes); without it a change
   * is an error. @default {false}
   */
  allowChangedData?: boolean;
  /** Notes: one line per change, or that the run records no fingerprint. @default {discarded} */
  log?: (line: string) => void;
}

/** What {@linkcode checkRunDataset} found. */
export interface RunDatasetCheck {
  /** The fingerprint the run recorded (`null`: none, a run of an older grn). */
  recorded: DatasetFingerprint | null;
  /** The fingerprint of the same scans now (`null` when the run recorded none). */
  current: DatasetFingerprint | null;
  /** The changes, one line each (empty when the data are the same). */
  changes: string[];
}

/**
 * Checks that the data of a run are the ones it recorded: computes the fingerprint of the
 * recorded scans in `dataset` now and compares it with `dataset.fingerprint.json`. Each change
 * is reported as one note naming the file (`<command>: dataset changed: <change>`); then,
 * unless `allowChangedData`, a {@linkcode DatasetChangedError} is thrown. A run without a
 * recorded fingerprint (trained by an older grn) gets one note and passes. A scan no longer
 * listed in `dataset.json` is a change, as is a file that can no longer be read.
 *
 * @param dir The run folder.
 * @param options See {@linkcode CheckRunDatasetOptions}.
 * @returns The recorded and current fingerprints and the changes.
 * @throws {DatasetChangedError} When the data changed and `allowChangedData` is false.
 * @throws {Error} When `dataset.fingerprint.json` or `dataset.json` cannot be read.
 */
export async function checkRunDataset(
  dir: string,
  options: CheckRunDatasetOptions,
): Promise<RunDatasetCheck> {
  const { dataset, what, command, allowExternalLinks = false, allowChangedData = false } = options;
  const log = options.log ?? (() => {});
  const recorded = await readRunFingerprint(dir);
  if (recorded === null) {
    log(
      `${command}: note: ${dir} records no dataset fingerprint (a run of an older grn), so ` +
        `changes to its data cannot be detected`,
    );
    return { recorded, current: null, changes: [] };
  }
  const manifest = await loadDatasetManifest(dataset);
  const listed = new Set(manifest.scans.map((s) => s.id));
  const ids = Object.keys(recorded.scans).filter((id) => listed.has(id));
  let current: DatasetFingerprint | null = null;
  let changes: string[];
  try {
    current = await datasetFingerprint(dataset, { ids, allowExternalLinks });
    changes = compareDatasetFingerprints(recorded, current);
  } catch (error) {
    // A listed file that is missing or refused: the data changed (the reason names the file).
    changes = [(error as Error).message];
  }
  if (changes.length === 0) return { recorded, current, changes };
  for (const change of changes) log(`${command}: dataset changed: ${change}`);
  if (!allowChangedData) throw new DatasetChangedError(what, dataset, changes);
  log(
    `${command}: going ahead with the changed data of ${dataset} (${ALLOW_CHANGED_DATA_FLAG})`,
  );
  return { recorded, current, changes };
}
