/**
 * Reading a 3D Slicer segmentation (`.seg.nrrd`) into a label volume of the project's classes.
 *
 * @module
 */
import { show } from "../_file_io.ts";
import { DATASET_LABELS } from "../dataset_manifest.ts";
import { LAYER_NAMES } from "../phantom/labels.ts";
import type { Axis, Volume } from "../volume.ts";
import { nrrdGeometry } from "./_nrrd_data.ts";
import { readNrrdSamples } from "./_nrrd_file.ts";
import type { NrrdHeader } from "./nrrd_header.ts";
import type { NrrdFileOptions } from "./nrrd_read.ts";
import type { SegNrrdSegment } from "./seg_nrrd_segments.ts";

/** Options of {@linkcode readSegNrrd}. */
export interface SegNrrdReadOptions extends NrrdFileOptions {
  /**
   * Map each segment to a class by its name: a segment named like a class of
   * `DATASET_LABELS` or `LAYER_NAMES` (case and `_` versus space ignored, e.g. `Deep fat`,
   * `SFM`) gets that class index, whatever label value Slicer gave it. Off, the stored label
   * values are kept (a file with one layer only).
   * @default {true}
   */
  remap?: boolean;
  /**
   * Axis along which ultrasound depth runs in the returned volume.
   * @default {2}
   */
  depthAxis?: Axis;
}

/** Result of {@linkcode readSegNrrd}. */
export interface DecodedSegNrrd {
  /** The label volume (uint8; class indices when `remap`). */
  volume: Volume<Uint8Array>;
  /** The segments as the file describes them. */
  segments: SegNrrdSegment[];
  /** The parsed header. */
  header: NrrdHeader;
}

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/[_\s]+/g, " ");
}

/** Class index of each known class name (full and short). */
const CLASS_OF = new Map<string, number>();
for (const [k, name] of Object.entries(DATASET_LABELS)) CLASS_OF.set(normalise(name), Number(k));
LAYER_NAMES.forEach((name, k) => CLASS_OF.set(normalise(name), k));

/** The `SegmentN_*` entries of a header, in order. */
function segmentsOf(header: NrrdHeader, file: string): SegNrrdSegment[] {
  const kv = header.keyValues;
  const out: SegNrrdSegment[] = [];
  for (let n = 0; kv[`Segment${n}_ID`] !== undefined; n++) {
    const at = `Segment${n}`;
    const labelValue = Number(kv[`${at}_LabelValue`] ?? n + 1);
    const layer = Number(kv[`${at}_Layer`] ?? n);
    if (!Number.isInteger(labelValue) || labelValue < 1 || !Number.isInteger(layer) || layer < 0) {
      throw new Error(
        `Cannot read segmentation ${file}: ${at}_LabelValue must be a positive integer and ${at}_Layer a non-negative one (got ${
          show(kv[`${at}_LabelValue`])
        } and ${show(kv[`${at}_Layer`])})`,
      );
    }
    const color = (kv[`${at}_Color`] ?? "0 0 0").trim().split(/\s+/).map(Number);
    out.push({
      id: kv[`${at}_ID`]!,
      name: kv[`${at}_Name`] ?? kv[`${at}_ID`]!,
      labelValue,
      color: [color[0] ?? 0, color[1] ?? 0, color[2] ?? 0],
      layer,
    });
  }
  return out;
}

/**
 * Reads a 3D Slicer segmentation (`.seg.nrrd` or `.seg.nhdr`; a plain label NRRD too) into a
 * label volume with the NRRD reader's geometry (RAS millimetres). Segments are matched to the
 * project's classes by name (see {@linkcode SegNrrdReadOptions.remap}), so an annotation made
 * in Slicer, where label values follow the order the segments were created in, reads back
 * with dermis = 1, ..., muscle = 6. Files whose segments overlap (several layers along a
 * `list` axis) are merged when no voxel is in two segments.
 *
 * @param path The segmentation file.
 * @param options Remapping, depth axis and confinement.
 * @returns The labels, the segments and the header.
 * @throws {Error} Naming the file when it cannot be read as NRRD (see `readNrrd`), a segment
 *   name matches no class (listing the names), a voxel value has no segment, or a voxel is in
 *   two segments of different classes.
 */
export async function readSegNrrd(
  path: string,
  options: SegNrrdReadOptions = {},
): Promise<DecodedSegNrrd> {
  const { remap = true, depthAxis = 2 } = options;
  const what = `Cannot read segmentation ${path}`;
  const { header, samples } = await readNrrdSamples(path, options);
  const geometry = nrrdGeometry(header, path, undefined);
  const segments = segmentsOf(header, path);
  const list = geometry.extraAxes.filter((a) => header.sizes[a]! > 1);
  if (list.length > 1 || (list.length === 1 && list[0] !== 0)) {
    throw new Error(
      `${what}: layers must be the first axis and the only non-spatial one (got sizes [${
        header.sizes.join(", ")
      }], kinds ${show(header.kinds)})`,
    );
  }
  const layers = list.length === 1 ? header.sizes[0]! : 1;
  if (!remap && layers > 1) {
    throw new Error(`${what}: a file with ${layers} layers needs remap (got remap: false)`);
  }
  // (layer, value) → output label.
  const table = new Map<number, number>();
  if (remap && segments.length > 0) {
    const unknown = segments.filter((s) => !CLASS_OF.has(normalise(s.name)));
    if (unknown.length > 0) {
      throw new Error(
        `${what}: segment names must name the classes (${
          Object.values(DATASET_LABELS).slice(1).join(", ")
        }; or pass remap: false) (got ${show(unknown.map((s) => s.name))})`,
      );
    }
    for (const s of segments) {
      table.set((s.layer ?? 0) * 65536 + s.labelValue, CLASS_OF.get(normalise(s.name))!);
    }
  }
  const voxels = geometry.shape[0] * geometry.shape[1] * geometry.shape[2];
  const out = new Uint8Array(voxels);
  for (let v = 0; v < voxels; v++) {
    let label = 0;
    for (let layer = 0; layer < layers; layer++) {
      const value = samples[v * layers + layer]!;
      if (value === 0) continue;
      let mapped = value;
      if (table.size > 0) {
        const m = table.get(layer * 65536 + value);
        if (m === undefined) {
          throw new Error(
            `${what}: voxel ${v} has value ${value} in layer ${layer}, which no segment has (got segments ${
              show(segments.map((s) => `${s.name}=${s.labelValue}@${s.layer ?? 0}`))
            })`,
          );
        }
        mapped = m;
      }
      if (!Number.isInteger(mapped) || mapped < 0 || mapped > 255) {
        throw new Error(
          `${what}: voxel ${v} holds a value that is not a label 0..255 (got ${value})`,
        );
      }
      if (label !== 0 && mapped !== label) {
        throw new Error(
          `${what}: voxel ${v} is in two segments of different classes (got ${label} and ${mapped}); a label volume holds one class per voxel`,
        );
      }
      label = mapped;
    }
    out[v] = label;
  }
  return {
    volume: {
      data: out,
      shape: geometry.shape,
      spacing: geometry.spacing,
      affine: geometry.affine,
      depthAxis,
    },
    segments,
    header,
  };
}
