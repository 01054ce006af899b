/**
 * The segments of a 3D Slicer segmentation (`.seg.nrrd`): the project's six tissue layers
 * with their names, label values and palette colours.
 *
 * @module
 */
import { DATASET_LABELS } from "../dataset_manifest.ts";
import { LAYER_PALETTE } from "../phantom/palette.ts";

/** One segment of a `.seg.nrrd` file (3D Slicer's `SegmentN_*` fields). */
export interface SegNrrdSegment {
  /** Unique identifier (`SegmentN_ID`). */
  id: string;
  /** Display name (`SegmentN_Name`). */
  name: string;
  /** Voxel value of the segment in its layer (`SegmentN_LabelValue`), 1..255. */
  labelValue: number;
  /** Display colour, red, green, blue in 0..1 (`SegmentN_Color`). */
  color: readonly [number, number, number];
  /** Layer (index along the list axis of a 4-D file; `SegmentN_Layer`). @default {0} */
  layer?: number;
}

/**
 * The six tissue layers as 3D Slicer segments: label values 1..6 (dermis, superficial fat,
 * superficial fascial membrane, deep fat, deep fascial membrane, muscle) with the names of
 * `DATASET_LABELS` and the colours of `LAYER_PALETTE`, all in layer 0. Background (0) is not
 * a segment: in a Slicer labelmap 0 is the voxels outside every segment.
 */
export const LAYER_SEGMENTS: readonly SegNrrdSegment[] = Object.freeze(
  [1, 2, 3, 4, 5, 6].map((label) => {
    const name = DATASET_LABELS[String(label)]!;
    const [r, g, b] = LAYER_PALETTE[label]!;
    return Object.freeze({
      id: name.replace(/ /g, "_"),
      name,
      labelValue: label,
      color: Object.freeze([r / 255, g / 255, b / 255] as const),
      layer: 0,
    });
  }),
);
