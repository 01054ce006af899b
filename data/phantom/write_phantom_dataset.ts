import { writeDataset } from "../dataset_write.ts";
import type { DatasetManifest } from "../dataset_manifest.ts";
import { iteratePhantomCohort, type PhantomCohortOptions } from "./cohort.ts";
import { phantomToScanRecord } from "./to_scan_record.ts";

/** Options of {@linkcode writePhantomDataset}. */
export interface WritePhantomDatasetOptions extends PhantomCohortOptions {
  /** Dataset name in `dataset.json`. @default {"LumbarPhantom"} */
  name?: string;
  /** Replace an existing dataset in the folder. @default {false} */
  overwrite?: boolean;
}

/**
 * Generates a phantom cohort scan by scan (bounded memory) and writes it as a dataset folder
 * (`dataset.json`, `imagesTr/`, `labelsTr/`, NIfTI `.nii.gz`) that `loadDataset`,
 * `validateDataset` and the CLI read like a real one. Every scan is labeled; labeled
 * fractions are chosen later, at split time.
 *
 * @param dir Destination folder.
 * @param options Cohort size, seed and phantom knobs; see {@linkcode WritePhantomDatasetOptions}.
 * @returns The manifest written.
 */
export function writePhantomDataset(
  dir: string,
  options: WritePhantomDatasetOptions = {},
): Promise<DatasetManifest> {
  const { name = "LumbarPhantom", overwrite = false, ...cohort } = options;
  const scans = (function* () {
    for (const scan of iteratePhantomCohort(cohort)) yield phantomToScanRecord(scan);
  })();
  return writeDataset(
    dir,
    {
      name,
      description: `Synthetic lumbar B-mode phantom (grn), seed ${cohort.seed ?? 0}`,
    },
    scans,
    { overwrite },
  );
}
