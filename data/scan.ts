/**
 * The in-memory record of one 3-D scan, as the dataset reader produces it and as splitting,
 * slicing and evaluation consume it.
 *
 * @module
 */
import type { Volume } from "./volume.ts";

/**
 * One 3-D ultrasound scan with its participant and, when annotated, its label volume.
 *
 * `label`, when present, has the same shape as `image` and holds class indices
 * (0 background, 1 dermis, 2 superficial fat, 3 SFM, 4 deep fat, 5 DFM, 6 muscle).
 */
export interface ScanRecord {
  /** Unique scan identifier. */
  id: string;
  /** Participant (subject) identifier; splits never put one participant on two sides. */
  participant: string;
  /** B-mode intensities. */
  image: Volume<Float32Array>;
  /** Class-index volume with the image's shape, when the scan is annotated. */
  label?: Volume<Uint8Array>;
}
