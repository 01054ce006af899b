/**
 * Writing a {@linkcode Volume} as a NIfTI single file (`.nii` or `.nii.gz`).
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import type { Volume, VolumeArray } from "./volume.ts";
import { show, writeFileAtomic } from "./_file_io.ts";
import { FileWriteError } from "../engine/atomic_write.ts";
import {
  NIFTI_DATATYPES,
  type NiftiDatatype,
  type NiftiHeader,
  type NiftiSpatialUnit,
} from "./nifti_header.ts";
import { affineToQform } from "./nifti_qform.ts";

/** Options of {@linkcode writeNifti} and {@linkcode encodeNifti}. */
export interface NiftiWriteOptions {
  /**
   * Voxel type to store. Integer types need integer values in range (they are checked).
   * @default {the type of `volume.data` (Uint8Array → uint8, Float32Array → float32, ...)}
   */
  datatype?: NiftiDatatype;
  /**
   * NIfTI version: 1 (348-byte header, sizes up to 32767), 2 (540-byte header), or `"auto"`:
   * 1 unless a size exceeds 32767, then 2.
   * @default {"auto"}
   */
  version?: 1 | 2 | "auto";
  /**
   * `qform_code` (0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI; 0 makes readers ignore
   * the qform). The qform fields always hold the volume's affine.
   * @default {2}
   */
  qformCode?: number;
  /**
   * `sform_code` (same codes; 0 makes readers ignore the sform). The sform rows always hold the
   * volume's affine. With both codes 0, readers use the voxel sizes only (a diagonal affine).
   * @default {2}
   */
  sformCode?: number;
  /**
   * Spatial unit of the file (`xyzt_units`). The volume is in mm; pixdim, qform offset and
   * sform are converted to this unit (`"unknown"` stores mm values, which readers assume).
   * @default {"mm"}
   */
  spatialUnit?: NiftiSpatialUnit;
  /**
   * Number of dimensions in `dim[0]`: 3, or 2 (needs `shape[2] === 1`), or 1 (needs
   * `shape[1] === shape[2] === 1`), so a 2-D input stays 2-D.
   * @default {3}
   */
  dims?: 1 | 2 | 3;
  /**
   * Gzip the file. `writeNifti` gzips when the path ends in `.gz`; `encodeNifti` does not.
   * @default {path ends in ".gz" (writeNifti), false (encodeNifti)}
   */
  gzip?: boolean;
  /**
   * Gzip compression level, 1 (fast) to 9 (small).
   * @default {6}
   */
  level?: number;
  /**
   * Text for the header's `descrip` field (at most 79 ASCII characters).
   * @default {"grn"}
   */
  description?: string;
  /**
   * Byte order of the file.
   * @default {true}
   */
  littleEndian?: boolean;
}

/**
 * The write options that give an output the header conventions of an input: its qform and
 * sform codes, spatial unit, number of dimensions (a 2-D input stays 2-D; a 4-D input with one
 * volume becomes 3-D) and NIfTI version (raised to 2 when a size needs it).
 *
 * @example Write a segmentation with the input's conventions
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, niftiWriteOptionsFromHeader, readNiftiFile, writeNifti } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const spacing: [number, number, number] = [0.3, 0.3, 0.1];
 * const scan = { data: new Float32Array(24), shape: [4, 3, 2] as [number, number, number], spacing };
 * await writeNifti(`${dir}/scan.nii.gz`, { ...scan, affine: affineFromSpacing(spacing) });
 *
 * const { volume, header } = await readNiftiFile(`${dir}/scan.nii.gz`);
 * const labels = { ...volume, data: new Uint8Array(volume.data.length) }; // a segmentation
 * const options = { datatype: "uint8" as const, ...niftiWriteOptionsFromHeader(header) };
 * await writeNifti(`${dir}/labels.nii.gz`, labels, options);
 * const written = await readNiftiFile(`${dir}/labels.nii.gz`);
 * assert.deepEqual([written.header.qformCode, written.header.sformCode], [header.qformCode, header.sformCode]);
 * assert.deepEqual(written.volume.affine, volume.affine);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param header The header of the input (from `readNiftiFile` or `decodeNifti`).
 * @returns Options for {@linkcode writeNifti} / {@linkcode encodeNifti}.
 */
export function niftiWriteOptionsFromHeader(
  header: Pick<NiftiHeader, "qformCode" | "sformCode" | "spatialUnit" | "dims" | "version">,
): Pick<NiftiWriteOptions, "qformCode" | "sformCode" | "spatialUnit" | "dims" | "version"> {
  const ndim = header.dims[0]!;
  return {
    qformCode: header.qformCode,
    sformCode: header.sformCode,
    spatialUnit: header.spatialUnit,
    dims: (ndim >= 3 ? 3 : ndim <= 1 ? 1 : 2) as 1 | 2 | 3,
    version: header.version === 2 ? 2 : "auto",
  };
}

const UNIT_CODES: Record<NiftiSpatialUnit, number> = { unknown: 0, meter: 1, mm: 2, micron: 3 };

const DATATYPE_OF: Array<[new (n: number) => VolumeArray, NiftiDatatype]> = [
  [Uint8Array, "uint8"],
  [Int8Array, "int8"],
  [Int16Array, "int16"],
  [Uint16Array, "uint16"],
  [Int32Array, "int32"],
  [Uint32Array, "uint32"],
  [Float32Array, "float32"],
  [Float64Array, "float64"],
];

const RANGES: Partial<Record<NiftiDatatype, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function datatypeOf(data: VolumeArray): NiftiDatatype | undefined {
  for (const [ctor, name] of DATATYPE_OF) if (data instanceof ctor) return name;
  return undefined;
}

function checkVolume(volume: Volume, what: string): void {
  const { shape, spacing, affine, data } = volume;
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    shape.some((n) => !Number.isInteger(n) || n < 1)
  ) {
    throw new TypeError(`${what}: shape must be three positive integers (got ${show(shape)})`);
  }
  const n = shape[0] * shape[1] * shape[2];
  if (!data || data.length !== n) {
    throw new RangeError(
      `${what}: data length does not match shape [${
        shape.join(", ")
      }] = ${n} voxels (got ${data?.length})`,
    );
  }
  if (
    !Array.isArray(spacing) || spacing.length !== 3 ||
    spacing.some((s) => !Number.isFinite(s) || s <= 0)
  ) {
    throw new RangeError(`${what}: spacing must be three positive numbers (got ${show(spacing)})`);
  }
  if (
    !Array.isArray(affine) || affine.length !== 4 ||
    affine.some((row) =>
      !Array.isArray(row) || row.length !== 4 || row.some((v) => !Number.isFinite(v))
    )
  ) {
    throw new TypeError(`${what}: affine must be a finite 4x4 matrix (got ${show(affine)})`);
  }
  for (let j = 0; j < 3; j++) {
    const len = Math.hypot(affine[0]![j]!, affine[1]![j]!, affine[2]![j]!);
    if (Math.abs(len - spacing[j]!) > 1e-3 * spacing[j]!) {
      throw new RangeError(
        `${what}: affine column ${j} has length ${len}, which does not match spacing[${j}] ` +
          `(got spacing ${show(spacing)})`,
      );
    }
  }
}

function writeString(bytes: Uint8Array, offset: number, length: number, text: string): void {
  for (let i = 0; i < Math.min(text.length, length - 1); i++) {
    const c = text.charCodeAt(i);
    bytes[offset + i] = c < 128 ? c : 63; // "?"
  }
}

/**
 * Encodes a volume as the bytes of a NIfTI single file: header (`vox_offset` 352 for NIfTI-1,
 * 544 for NIfTI-2, no extensions), then the voxels in NIfTI order. By default spatial units
 * are mm, `sform_code` and `qform_code` are 2 (aligned), `dim[0]` is 3 and the version is 1
 * unless a size exceeds 32767 (then 2); each is an option (see
 * {@linkcode niftiWriteOptionsFromHeader} to copy them from an input). The sform rows are the
 * volume's affine and the qform is the rotation, offset and voxel sizes of the same affine
 * (with `qfac = -1` for a left-handed grid), both in the file's spatial unit.
 *
 * @param volume The volume to encode.
 * @param options Encoding options.
 * @returns The file contents (gzipped when `options.gzip`).
 * @throws {TypeError} When the shape, affine or data type is invalid.
 * @throws {RangeError} When data and shape disagree, spacing is not positive or does not match
 * the affine, a size exceeds NIfTI-1's 32767, or a value does not fit the integer datatype.
 */
export function encodeNifti(volume: Volume, options: NiftiWriteOptions = {}): Uint8Array {
  return encode(volume, options, "Cannot encode NIfTI");
}

function encode(volume: Volume, options: NiftiWriteOptions, what: string): Uint8Array {
  checkVolume(volume, what);
  const {
    gzip = false,
    level = 6,
    description = "grn",
    littleEndian = true,
    qformCode = 2,
    sformCode = 2,
    spatialUnit = "mm",
    dims: ndim = 3,
  } = options;
  const requested = options.version ?? "auto";
  if (requested !== 1 && requested !== 2 && requested !== "auto") {
    throw new RangeError(`${what}: version must be 1, 2 or "auto" (got ${show(requested)})`);
  }
  const version = requested === "auto" ? (volume.shape.some((n) => n > 32767) ? 2 : 1) : requested;
  for (const [name, code] of [["qformCode", qformCode], ["sformCode", sformCode]] as const) {
    if (!Number.isInteger(code) || code < 0 || code > 32767) {
      throw new RangeError(`${what}: ${name} must be an integer 0..4 (got ${show(code)})`);
    }
  }
  if (!(spatialUnit in UNIT_CODES)) {
    throw new RangeError(
      `${what}: spatialUnit must be "mm", "meter", "micron" or "unknown" (got ${
        show(spatialUnit)
      })`,
    );
  }
  if (ndim !== 1 && ndim !== 2 && ndim !== 3) {
    throw new RangeError(`${what}: dims must be 1, 2 or 3 (got ${show(ndim)})`);
  }
  if (volume.shape.slice(ndim).some((n) => n !== 1)) {
    throw new RangeError(
      `${what}: a ${ndim}-D file needs size 1 beyond axis ${ndim - 1} (got shape [${
        volume.shape.join(", ")
      }])`,
    );
  }
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new RangeError(`${what}: level must be an integer 1..9 (got ${show(level)})`);
  }
  const sourceType = datatypeOf(volume.data);
  const datatype = options.datatype ?? sourceType;
  if (datatype === undefined || !(datatype in NIFTI_DATATYPES)) {
    throw new TypeError(
      `${what}: unsupported data type (got ${options.datatype ?? volume.data?.constructor?.name})`,
    );
  }
  const { shape } = volume;
  // From mm to the file's unit.
  const scale = spatialUnit === "meter" ? 1e-3 : spatialUnit === "micron" ? 1e3 : 1;
  const spacing = volume.spacing.map((v) => v * scale) as [number, number, number];
  const affine = volume.affine.map((row, r) => r < 3 ? row.map((v) => v * scale) : [...row]);
  if (version === 1 && shape.some((n) => n > 32767)) {
    throw new RangeError(
      `${what}: NIfTI-1 sizes are limited to 32767; use version 2 (got shape [${
        shape.join(", ")
      }])`,
    );
  }
  const { code, bitpix } = NIFTI_DATATYPES[datatype];
  const n = shape[0] * shape[1] * shape[2];
  const voxOffset = version === 1 ? 352 : 544;
  const bytes = new Uint8Array(voxOffset + n * (bitpix / 8));
  const view = new DataView(bytes.buffer);
  const le = littleEndian;
  const q = affineToQform(affine);

  if (version === 1) {
    view.setInt32(0, 348, le);
    bytes[38] = 0x72; // regular = 'r'
    const dims = [ndim, shape[0], shape[1], shape[2], 1, 1, 1, 1];
    dims.forEach((d, i) => view.setInt16(40 + 2 * i, d, le));
    view.setInt16(70, code, le);
    view.setInt16(72, bitpix, le);
    const pixdim = [q.qfac, spacing[0], spacing[1], spacing[2], 0, 0, 0, 0];
    pixdim.forEach((p, i) => view.setFloat32(76 + 4 * i, p, le));
    view.setFloat32(108, voxOffset, le);
    view.setFloat32(112, 1, le); // scl_slope
    view.setFloat32(116, 0, le); // scl_inter
    bytes[123] = UNIT_CODES[spatialUnit]; // xyzt_units
    writeString(bytes, 148, 80, description);
    view.setInt16(252, qformCode, le);
    view.setInt16(254, sformCode, le);
    view.setFloat32(256, q.quaternB, le);
    view.setFloat32(260, q.quaternC, le);
    view.setFloat32(264, q.quaternD, le);
    q.offset.forEach((o, i) => view.setFloat32(268 + 4 * i, o, le));
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) view.setFloat32(280 + 4 * (4 * r + c), affine[r]![c]!, le);
    }
    bytes.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  } else {
    view.setInt32(0, 540, le);
    bytes.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4); // "n+2\0\r\n\032\n"
    view.setInt16(12, code, le);
    view.setInt16(14, bitpix, le);
    const dims = [ndim, shape[0], shape[1], shape[2], 1, 1, 1, 1];
    dims.forEach((d, i) => view.setBigInt64(16 + 8 * i, BigInt(d), le));
    const pixdim = [q.qfac, spacing[0], spacing[1], spacing[2], 0, 0, 0, 0];
    pixdim.forEach((p, i) => view.setFloat64(104 + 8 * i, p, le));
    view.setBigInt64(168, BigInt(voxOffset), le);
    view.setFloat64(176, 1, le); // scl_slope
    view.setFloat64(184, 0, le); // scl_inter
    writeString(bytes, 240, 80, description);
    view.setInt32(344, qformCode, le);
    view.setInt32(348, sformCode, le);
    view.setFloat64(352, q.quaternB, le);
    view.setFloat64(360, q.quaternC, le);
    view.setFloat64(368, q.quaternD, le);
    q.offset.forEach((o, i) => view.setFloat64(376 + 8 * i, o, le));
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) view.setFloat64(400 + 8 * (4 * r + c), affine[r]![c]!, le);
    }
    view.setInt32(500, UNIT_CODES[spatialUnit], le); // xyzt_units
  }
  // Extension flag bytes (4 zeros) are already in place before vox_offset.

  const data = volume.data;
  const range = RANGES[datatype];
  if (range !== undefined && sourceType !== datatype) {
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
        throw new RangeError(
          `${what}: value at index ${i} does not fit ${datatype} (got ${v})`,
        );
      }
    }
  }
  const step = bitpix / 8;
  const hostLe = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (sourceType === datatype && (le === hostLe || step === 1)) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, n * step), voxOffset);
  } else {
    const setters: Record<NiftiDatatype, (o: number, v: number) => void> = {
      uint8: (o, v) => view.setUint8(o, v),
      int8: (o, v) => view.setInt8(o, v),
      int16: (o, v) => view.setInt16(o, v, le),
      uint16: (o, v) => view.setUint16(o, v, le),
      int32: (o, v) => view.setInt32(o, v, le),
      uint32: (o, v) => view.setUint32(o, v, le),
      float32: (o, v) => view.setFloat32(o, v, le),
      float64: (o, v) => view.setFloat64(o, v, le),
    };
    const set = setters[datatype];
    for (let i = 0; i < n; i++) set(voxOffset + i * step, data[i]!);
  }
  if (!gzip) return bytes;
  const out = gzipSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Writes a volume as a NIfTI single file, atomically and durably (temporary file in the same
 * folder, fsync, rename, fsync of the folder). A path ending in `.gz` is gzipped. See {@linkcode encodeNifti} for the header.
 *
 * @example Save a label volume
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, readNifti, writeNifti } from "./mod.ts";
 *
 * const labelVolume = {
 *   data: new Uint8Array(4 * 3 * 2).fill(6),
 *   shape: [4, 3, 2] as [number, number, number],
 *   spacing: [0.2, 0.2, 0.1] as [number, number, number],
 *   affine: affineFromSpacing([0.2, 0.2, 0.1]),
 * };
 * const dir = await Deno.makeTempDir(); // e.g. "labelsTr"
 * await writeNifti(`${dir}/case01.nii.gz`, labelVolume); // gzipped: the name ends in .gz
 * assert.deepEqual((await readNifti(`${dir}/case01.nii.gz`)).data, labelVolume.data);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path Destination `.nii` or `.nii.gz` path; its folder must exist.
 * @param volume The volume to write.
 * @param options Writing options.
 * @throws {TypeError | RangeError} When the volume cannot be encoded (the message names the
 * file).
 * @throws {Error} When the file cannot be written.
 */
export async function writeNifti(
  path: string,
  volume: Volume,
  options: NiftiWriteOptions = {},
): Promise<void> {
  const what = `Cannot write NIfTI file ${path}`;
  const bytes = encode(volume, { ...options, gzip: options.gzip ?? path.endsWith(".gz") }, what);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    const reason = error instanceof FileWriteError ? error.reason : (error as Error).message;
    throw new Error(`${what}: ${reason}`, { cause: error });
  }
}
