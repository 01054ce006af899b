import type { ScanRecord } from "../scan.ts";
import type { PhantomScan } from "./generate_scan.ts";

/**
 * Views a phantom scan as the dataset layer's {@linkcode ScanRecord} (same volumes, no copy),
 * so phantom cohorts flow into slicing, splits and `writeDataset` like scans read from disk.
 *
 * @param scan A scan from `generatePhantomScan` / `generatePhantomCohort`.
 * @param labeled Keep the label volume (`false` gives an unlabeled record). @default {true}
 */
export function phantomToScanRecord(scan: PhantomScan, labeled = true): ScanRecord {
  return {
    id: scan.id,
    participant: scan.participantId,
    image: scan.image,
    ...(labeled ? { label: scan.labels } : {}),
  };
}
