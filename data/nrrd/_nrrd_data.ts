/**
 * Private parts of the NRRD reader: the samples of a parsed header (raw, gzip or ascii, with
 * `line skip` and `byte skip`, bounded like the NIfTI reader), and the geometry of its spatial
 * axes in the NIfTI world (RAS, millimetres).
 *
 * @module
 */
import { gunzipLimited, show } from "../_file_io.ts";
import { ELEMENT_BYTES, newTypedArray, typedFromBytes } from "../_typed_bytes.ts";
import type { VolumeArray } from "../volume.ts";
import type { NrrdHeader } from "./nrrd_header.ts";

/**
 * Bytes an NRRD file (or detached data file) may hold beyond what its header implies before
 * reading stops with an error: 1 MiB, as for NIfTI. Decompression of gzip data stops there.
 */
export const NRRD_SIZE_MARGIN = 1 << 20;

/** Largest number of characters per sample accepted in ascii-encoded data. */
const ASCII_CHARS_PER_SAMPLE = 64;

/** Number of samples and bytes of the data a header announces. */
export function nrrdDataSize(header: NrrdHeader): { samples: number; bytes: number } {
  const samples = header.sizes.reduce((a, b) => a * b, 1);
  return { samples, bytes: samples * ELEMENT_BYTES[header.type] };
}

/** Offset after `lines` newline characters from `start` (or -1 when there are fewer). */
function skipLines(bytes: Uint8Array, start: number, lines: number): number {
  let at = start;
  for (let k = 0; k < lines; k++) {
    const nl = bytes.indexOf(0x0a, at);
    if (nl < 0) return -1;
    at = nl + 1;
  }
  return at;
}

/**
 * The largest number of bytes a file holding this header's data may have (the header bytes
 * `headerBytes` before the data, 0 for a detached data file): for raw data the skips, the
 * data and {@linkcode NRRD_SIZE_MARGIN}; for gzip that plus 1 % and 64 KiB; for ascii
 * {@linkcode ASCII_CHARS_PER_SAMPLE} characters per sample plus the margin.
 */
export function nrrdMaxFileBytes(header: NrrdHeader, headerBytes: number): number {
  const { samples, bytes } = nrrdDataSize(header);
  const skip = Math.max(0, header.byteSkip);
  if (header.encoding === "ascii") {
    return headerBytes + skip + samples * ASCII_CHARS_PER_SAMPLE + NRRD_SIZE_MARGIN;
  }
  const limit = headerBytes + skip + bytes + NRRD_SIZE_MARGIN;
  return header.encoding === "gzip" ? limit + Math.ceil(limit / 100) + 65536 : limit;
}

/**
 * Decodes the samples of an NRRD file: `bytes` from `start` hold the data (after the header
 * of an attached file, or a whole detached data file).
 *
 * @throws {Error} Naming `file` when the data are truncated, hold or inflate to more than the
 *   header implies plus {@linkcode NRRD_SIZE_MARGIN}, or are not valid for the encoding.
 */
export function decodeNrrdSamples(
  header: NrrdHeader,
  bytes: Uint8Array,
  start: number,
  file: string,
): VolumeArray {
  const what = `Cannot read NRRD file ${file}`;
  const { samples, bytes: dataBytes } = nrrdDataSize(header);
  const shape = `sizes [${header.sizes.join(", ")}] ${header.type}`;
  let at = skipLines(bytes, start, header.lineSkip);
  if (at < 0) {
    throw new Error(
      `${what}: truncated data: fewer than the ${header.lineSkip} lines of line skip (got ${
        bytes.length - start
      } bytes)`,
    );
  }
  const little = header.endian !== "big";
  if (header.encoding === "ascii") {
    const text = new TextDecoder("latin1").decode(bytes.subarray(at + header.byteSkip));
    const tokens = text.split(/[\s,]+/).filter((s) => s !== "");
    if (tokens.length < samples) {
      throw new Error(
        `${what}: truncated data: expected ${samples} ascii values for ${shape} (got ${tokens.length})`,
      );
    }
    const values = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const v = Number(tokens[i]);
      if (Number.isNaN(v) && !/^[-+]?nan$/i.test(tokens[i]!)) {
        throw new Error(`${what}: ascii value ${i} is not a number (got ${show(tokens[i])})`);
      }
      values[i] = v;
    }
    if (header.type === "int64" || header.type === "uint64") return values;
    const out = newTypedArray(header.type, samples);
    out.set(values);
    return out;
  }
  let data: Uint8Array;
  if (header.encoding === "gzip") {
    const limit = header.byteSkip + dataBytes + NRRD_SIZE_MARGIN;
    data = gunzipLimited(
      bytes.subarray(at),
      limit,
      `NRRD file ${file}`,
      `byte skip ${header.byteSkip} + ${dataBytes} bytes of data for ${shape} + a margin of ${NRRD_SIZE_MARGIN}`,
    );
    at = header.byteSkip;
  } else {
    data = bytes;
    if (header.byteSkip === -1) {
      at = bytes.length - dataBytes;
    } else {
      at += header.byteSkip;
      const extra = bytes.length - at - dataBytes;
      if (extra > NRRD_SIZE_MARGIN) {
        throw new Error(
          `${what}: the data are larger than the header implies (expected ${dataBytes} bytes for ${shape} + a margin of ${NRRD_SIZE_MARGIN}; got ${
            bytes.length - at
          })`,
        );
      }
    }
  }
  const available = data.length - at;
  if (at < 0 || available < dataBytes) {
    throw new Error(
      `${what}: truncated data: expected ${dataBytes} bytes for ${shape} (got ${
        Math.max(0, at < 0 ? data.length : available)
      })`,
    );
  }
  return typedFromBytes(data.subarray(at, at + dataBytes), header.type, samples, little, what);
}

/** Kinds of an axis that holds positions in space (or an unknown kind). */
const SPATIAL_KINDS = new Set(["domain", "space", "???", "none"]);

/** Per-space sign flips from the named space to NIfTI's RAS. */
function flipsToRas(space: string | undefined, what: string): [number, number, number] {
  switch (space) {
    case undefined:
    case "right-anterior-superior":
    case "scanner-xyz":
    case "3d-right-handed":
    case "3d-left-handed":
      return [1, 1, 1];
    case "left-posterior-superior":
      return [-1, -1, 1];
    case "left-anterior-superior":
      return [-1, 1, 1];
    default:
      throw new Error(
        `${what}: a volume needs a 3-D space, not a space with time (got space ${show(space)})`,
      );
  }
}

/** Millimetres per unit of `space units`. */
function unitScale(units: string[] | undefined, what: string): number[] {
  const table: Record<string, number> = {
    mm: 1,
    m: 1000,
    cm: 10,
    um: 1e-3,
    "µm": 1e-3,
    micron: 1e-3,
  };
  return [0, 1, 2].map((i) => {
    const unit = units?.[i];
    if (unit === undefined || unit === "" || unit === "???") return 1;
    const scale = table[unit.toLowerCase()];
    if (scale === undefined) {
      throw new Error(`${what}: space units must be mm, cm, m or um (got ${show(units)})`);
    }
    return scale;
  });
}

/** The geometry {@linkcode nrrdGeometry} returns. */
export interface NrrdGeometry {
  /** The header axes that are the volume's x, y, z (fewer than 3 for a 2-D or 1-D image). */
  spatialAxes: number[];
  /** The volume shape. */
  shape: [number, number, number];
  /** Voxel size in mm. */
  spacing: [number, number, number];
  /** Voxel-to-RAS affine in mm. */
  affine: number[][];
}

/**
 * The volume geometry of an NRRD header: its spatial axes (those with a space direction, or
 * without a non-spatial kind) as x, y, z, the space directions and origin converted to RAS
 * millimetres (LPS and LAS flip their axes; `scanner-xyz` and the `3D-*-handed` spaces are
 * taken as RAS), or, without space directions, `spacings` on the diagonal with `axis mins` as
 * origin. `extraAxes` lists the non-spatial axes (which must have size 1 unless the caller
 * handles them).
 *
 * @throws {Error} Naming `file` when there are more than 3 spatial axes, a space has time, a
 *   unit is unknown, or a spacing is missing and `fallback` does not give it.
 */
export function nrrdGeometry(
  header: NrrdHeader,
  file: string,
  fallback: [number, number, number] | undefined,
): NrrdGeometry & { extraAxes: number[] } {
  const what = `Cannot read NRRD file ${file}`;
  const axes = header.sizes.map((_, i) => i);
  const spatial = header.spaceDirections
    ? axes.filter((i) => header.spaceDirections![i] !== null)
    : axes.filter((i) => SPATIAL_KINDS.has(header.kinds?.[i] ?? "domain"));
  const extraAxes = axes.filter((i) => !spatial.includes(i));
  if (spatial.length > 3 || spatial.length === 0) {
    throw new Error(
      `${what}: a volume has 1 to 3 spatial axes (got ${spatial.length} of sizes [${
        header.sizes.join(", ")
      }]${header.kinds ? `, kinds ${header.kinds.join(" ")}` : ""})`,
    );
  }
  const shape = [1, 1, 1] as [number, number, number];
  spatial.forEach((axis, k) => (shape[k] = header.sizes[axis]!));
  const spacing = [NaN, NaN, NaN] as [number, number, number];
  const affine = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]];
  if (header.spaceDirections) {
    if (header.spaceDimension !== 3) {
      throw new Error(
        `${what}: a volume needs a 3-D space (got space dimension ${header.spaceDimension})`,
      );
    }
    const flip = flipsToRas(header.space, what);
    const scale = unitScale(header.spaceUnits, what);
    const columns = spatial.map((axis) =>
      header.spaceDirections![axis]!.map((v, r) => v * flip[r]! * scale[r]!)
    );
    while (columns.length < 3) {
      // A 2-D (or 1-D) image: a unit normal to the given axes, one voxel thick.
      const k = columns.length;
      const z = fallback?.[k] ?? 1;
      let normal = [0, 0, 0];
      if (columns.length === 2) {
        const [a, b] = columns as [number[], number[]];
        normal = [
          a[1]! * b[2]! - a[2]! * b[1]!,
          a[2]! * b[0]! - a[0]! * b[2]!,
          a[0]! * b[1]! - a[1]! * b[0]!,
        ];
      }
      const n = Math.hypot(...normal);
      columns.push(
        n > 0 ? normal.map((v) => (v / n) * z) : [0, 1, 2].map((r) => (r === k ? z : 0)),
      );
    }
    const origin = (header.spaceOrigin ?? [0, 0, 0]).map((v, r) => v * flip[r]! * scale[r]!);
    for (let r = 0; r < 3; r++) {
      // `+ 0` turns the -0 of a flipped zero into 0.
      for (let c = 0; c < 3; c++) affine[r]![c] = columns[c]![r]! + 0;
      affine[r]![3] = origin[r]! + 0;
    }
    for (let c = 0; c < 3; c++) spacing[c] = Math.hypot(...columns[c]!);
    const zero = spacing.findIndex((s) => !(s > 0));
    if (zero >= 0) {
      throw new Error(
        `${what}: space direction of axis ${spatial[zero]} has length 0 (got ${
          show(header.spaceDirections[spatial[zero]!])
        })`,
      );
    }
    return { spatialAxes: spatial, extraAxes, shape, spacing, affine };
  }
  for (let k = 0; k < 3; k++) {
    const axis = spatial[k];
    const s = axis === undefined ? NaN : header.spacings?.[axis] ?? NaN;
    spacing[k] = s > 0 && Number.isFinite(s) ? s : axis === undefined ? (fallback?.[k] ?? 1) : NaN;
  }
  const missing = [0, 1, 2].filter((k) => !(spacing[k]! > 0));
  if (missing.length > 0) {
    if (
      fallback === undefined ||
      missing.some((k) => !(Number.isFinite(fallback[k]) && fallback[k]! > 0))
    ) {
      throw new Error(
        `${what}: missing voxel spacing: the header has no space directions and spacings ${
          show(header.spacings ?? "none")
        }, and no positive fallback spacing was given (got ${show(fallback)})`,
      );
    }
    for (const k of missing) spacing[k] = fallback[k]!;
  }
  for (let k = 0; k < 3; k++) {
    affine[k]![k] = spacing[k]!;
    const min = spatial[k] === undefined ? 0 : header.axisMins?.[spatial[k]!] ?? 0;
    affine[k]![3] = Number.isFinite(min) ? min : 0;
  }
  return { spatialAxes: spatial, extraAxes, shape, spacing, affine };
}
