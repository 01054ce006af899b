/**
 * Parsing and checking of NIfTI-1 and NIfTI-2 headers (single-file `.nii`, either byte order),
 * with the geometry resolved the way the NIfTI standard says: the sform when `sform_code > 0`,
 * else the qform when `qform_code > 0`, else the voxel sizes on the diagonal.
 *
 * @module
 */
import * as nifti from "nifti-reader-js";
import { formatNumber, shortestFloat32, show } from "./_file_io.ts";
import { qformToAffine } from "./nifti_qform.ts";

/** Voxel data types the readers and writer support. */
export type NiftiDatatype =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

/** NIfTI datatype code, bits per voxel and name of each supported type. */
export const NIFTI_DATATYPES: Readonly<
  Record<NiftiDatatype, { readonly code: number; readonly bitpix: number }>
> = {
  uint8: { code: 2, bitpix: 8 },
  int16: { code: 4, bitpix: 16 },
  int32: { code: 8, bitpix: 32 },
  float32: { code: 16, bitpix: 32 },
  float64: { code: 64, bitpix: 64 },
  int8: { code: 256, bitpix: 8 },
  uint16: { code: 512, bitpix: 16 },
  uint32: { code: 768, bitpix: 32 },
};

const UNSUPPORTED_NAMES: Record<number, string> = {
  0: "unknown",
  1: "binary",
  32: "complex64",
  128: "rgb24",
  1024: "int64",
  1280: "uint64",
  1536: "float128",
  1792: "complex128",
  2048: "complex256",
  2304: "rgba32",
};

/** Spatial unit of the header (`xyzt_units & 7`). `unknown` is read as millimetres. */
export type NiftiSpatialUnit = "unknown" | "meter" | "mm" | "micron";

/** A parsed and checked NIfTI header, with geometry converted to millimetres. */
export interface NiftiHeader {
  /** NIfTI format version: 1 (348-byte header) or 2 (540-byte header). */
  version: 1 | 2;
  /** Byte order of the file. */
  littleEndian: boolean;
  /** Raw `dim[0..7]`. */
  dims: number[];
  /** `[nx, ny, nz]` (a 1-D or 2-D image gets 1 for the missing sizes). */
  shape: [number, number, number];
  /** Voxel data type. */
  datatype: NiftiDatatype;
  /** NIfTI datatype code (e.g. 2 for uint8, 16 for float32). */
  datatypeCode: number;
  /** Raw `pixdim[0..7]`. */
  pixdim: number[];
  /**
   * Voxel size in millimetres from `|pixdim[1..3]|`, or from the length of the sform's
   * column when that pixdim is not positive. An axis the header gives no positive size for
   * holds `0` (the caller decides on a fallback).
   */
  spacing: [number, number, number];
  /** Spatial unit the header declares; spacing and affine are converted from it to mm. */
  spatialUnit: NiftiSpatialUnit;
  /** Byte offset of the voxel data in the (uncompressed) file. */
  voxOffset: number;
  /** `scl_slope` (0 or non-finite means no scaling). */
  sclSlope: number;
  /** `scl_inter`. */
  sclInter: number;
  /** True when the stored values must be mapped through `slope * v + inter`. */
  scaled: boolean;
  /** `qform_code`. */
  qformCode: number;
  /** `sform_code`. */
  sformCode: number;
  /**
   * Voxel-to-world affine in mm from the sform or the qform, or `null` when both codes are 0
   * (the caller builds a diagonal affine from the spacing).
   */
  affine: number[][] | null;
  /** Where `affine` came from. */
  affineSource: "sform" | "qform" | "none";
  /** The `descrip` text field. */
  description: string;
  /** Number of bytes of voxel data the header announces. */
  dataBytes: number;
}

/** Names the datatype of a NIfTI datatype code, or `undefined` for an unsupported code. */
export function niftiDatatypeFromCode(code: number): NiftiDatatype | undefined {
  for (const [name, info] of Object.entries(NIFTI_DATATYPES)) {
    if (info.code === code) return name as NiftiDatatype;
  }
  return undefined;
}

function toArrayBuffer(bytes: Uint8Array, length: number): ArrayBuffer {
  const out = new ArrayBuffer(length);
  new Uint8Array(out).set(bytes.subarray(0, length));
  return out;
}

function unitScale(unit: NiftiSpatialUnit): number {
  return unit === "meter" ? 1000 : unit === "micron" ? 0.001 : 1;
}

/**
 * Parses the header of an uncompressed NIfTI-1 or NIfTI-2 single file and checks that this
 * library can read its voxels: a 1-D to 3-D image (or 4-D with a single volume), one of the
 * supported datatypes, a consistent `bitpix` and a sane `vox_offset`. Gunzip `.nii.gz` bytes
 * first (see `readNifti`, which does it).
 *
 * @param bytes The uncompressed file bytes (at least the header).
 * @param file The file name used in error messages.
 * @returns The header, with spacing and affine in millimetres.
 * @throws {Error} With a message naming `file` when the bytes are not a NIfTI single file
 * or the image cannot be read (unsupported datatype, more than one volume, bad dimensions).
 */
export function parseNiftiHeader(bytes: Uint8Array, file = "<buffer>"): NiftiHeader {
  const fail = (what: string): never => {
    throw new Error(`Cannot read NIfTI file ${file}: ${what}`);
  };
  if (bytes.length < 348) {
    fail(`file is too short for a NIfTI header (got ${bytes.length} bytes, expected >= 348)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLe = view.getInt32(0, true);
  const sizeBe = view.getInt32(0, false);
  let version: 1 | 2;
  if (sizeLe === 348 || sizeBe === 348) version = 1;
  else if (sizeLe === 540 || sizeBe === 540) version = 2;
  else {
    return fail(`not a NIfTI file: sizeof_hdr must be 348 or 540 (got ${sizeLe})`);
  }
  const headerSize = version === 1 ? 348 : 540;
  if (bytes.length < headerSize) {
    fail(
      `file is too short for a NIfTI-2 header (got ${bytes.length} bytes, expected >= 540)`,
    );
  }
  const magicAt = version === 1 ? 344 : 4;
  const magic = String.fromCharCode(...bytes.subarray(magicAt, magicAt + 3));
  if (magic === `ni${version}`) {
    fail(
      `this is the header of a .hdr/.img pair, which is not supported (got magic "${magic}"); ` +
        `convert it to a single .nii file`,
    );
  }
  if (magic !== `n+${version}`) {
    fail(
      `not a NIfTI-${version} file: bad magic (got ${
        show(magic)
      }, expected "n+${version}"); ANALYZE 7.5 files are not supported`,
    );
  }

  let raw: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    raw = nifti.readHeader(toArrayBuffer(bytes, headerSize));
  } catch (error) {
    return fail(`unreadable header (${(error as Error).message})`);
  }
  const littleEndian = raw.littleEndian;
  const dims = Array.from({ length: 8 }, (_, i) => Number(raw.dims[i] ?? 0));
  const pixdim = Array.from({ length: 8 }, (_, i) => Number(raw.pixDims[i] ?? 0));
  const ndim = dims[0]!;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    fail(`dim[0] must be 1..7 (got ${ndim})`);
  }
  for (let i = 1; i <= ndim; i++) {
    if (!Number.isInteger(dims[i]) || dims[i]! < 1) {
      fail(`dim[${i}] must be a positive integer (got ${dims[i]})`);
    }
  }
  const extra = dims.slice(4, ndim + 1);
  if (extra.some((n) => n > 1)) {
    fail(
      `${ndim}-D image with dim [${
        dims.slice(1, ndim + 1).join(", ")
      }] is not supported (got dim[0]=${ndim}); only 3-D images or 4-D with a single volume`,
    );
  }
  const shape: [number, number, number] = [
    dims[1]!,
    ndim >= 2 ? dims[2]! : 1,
    ndim >= 3 ? dims[3]! : 1,
  ];

  const datatypeCode = raw.datatypeCode;
  const datatype = niftiDatatypeFromCode(datatypeCode);
  if (datatype === undefined) {
    const name = UNSUPPORTED_NAMES[datatypeCode];
    return fail(
      `unsupported datatype code ${datatypeCode}${name ? ` (${name})` : ""} (got ${datatypeCode}` +
        `, supported: uint8, int8, int16, uint16, int32, uint32, float32, float64)`,
    );
  }
  const bitpix = NIFTI_DATATYPES[datatype].bitpix;
  if (raw.numBitsPerVoxel !== bitpix) {
    fail(
      `bitpix does not match datatype ${datatype} (got ${raw.numBitsPerVoxel}, expected ${bitpix})`,
    );
  }
  const voxOffset = Number(raw.vox_offset);
  if (!Number.isFinite(voxOffset) || voxOffset < headerSize || !Number.isInteger(voxOffset)) {
    fail(`vox_offset must be an integer >= ${headerSize} (got ${formatNumber(voxOffset)})`);
  }

  const xyzt = Number(raw.xyzt_units) & 7;
  const spatialUnit: NiftiSpatialUnit = xyzt === 1
    ? "meter"
    : xyzt === 2
    ? "mm"
    : xyzt === 3
    ? "micron"
    : "unknown";
  const toMm = unitScale(spatialUnit);
  const f32 = version === 1 ? shortestFloat32 : (v: number) => v;

  const qformCode = raw.qform_code;
  const sformCode = raw.sform_code;
  let affine: number[][] | null = null;
  let affineSource: NiftiHeader["affineSource"] = "none";
  if (sformCode > 0) {
    affine = [];
    for (let r = 0; r < 3; r++) {
      const row: number[] = [];
      for (let c = 0; c < 4; c++) {
        const v = version === 1
          ? shortestFloat32(view.getFloat32(280 + (r * 4 + c) * 4, littleEndian))
          : view.getFloat64(400 + (r * 4 + c) * 8, littleEndian);
        row.push(f32(v * toMm));
      }
      affine.push(row);
    }
    affine.push([0, 0, 0, 1]);
    affineSource = "sform";
  } else if (qformCode > 0) {
    const q = qformToAffine({
      quaternB: raw.quatern_b,
      quaternC: raw.quatern_c,
      quaternD: raw.quatern_d,
      offset: [f32(raw.qoffset_x), f32(raw.qoffset_y), f32(raw.qoffset_z)],
      spacing: [Math.abs(pixdim[1]!), Math.abs(pixdim[2]!), Math.abs(pixdim[3]!)].map(f32) as [
        number,
        number,
        number,
      ],
      qfac: pixdim[0]! < 0 ? -1 : 1,
    });
    affine = q.map((row, r) => r < 3 ? row.map((v) => v * toMm) : row);
    affineSource = "qform";
  }
  if (affine !== null) {
    for (const row of affine) {
      if (row.some((v) => !Number.isFinite(v))) {
        fail(`${affineSource} affine has a non-finite entry (got ${show(affine.slice(0, 3))})`);
      }
    }
  }
  // Voxel sizes: pixdim where positive, else the length of the sform's column (a qform
  // with a zero pixdim says nothing about the size).
  const spacing = [1, 2, 3].map((i) => {
    const v = Math.abs(f32(pixdim[i]!));
    if (Number.isFinite(v) && v > 0) return f32(v * toMm);
    if (affine !== null && affineSource === "sform") {
      const len = Math.hypot(affine[0]![i - 1]!, affine[1]![i - 1]!, affine[2]![i - 1]!);
      if (len > 0) return len;
    }
    return 0;
  }) as [number, number, number];

  const slope = Number(raw.scl_slope);
  const inter = Number(raw.scl_inter);
  const scaled = Number.isFinite(slope) && slope !== 0 &&
    (slope !== 1 || (Number.isFinite(inter) && inter !== 0));
  const dataBytes = shape[0] * shape[1] * shape[2] * (bitpix / 8);
  return {
    version,
    littleEndian,
    dims,
    shape,
    datatype,
    datatypeCode,
    pixdim,
    spacing,
    spatialUnit,
    voxOffset,
    sclSlope: slope,
    sclInter: Number.isFinite(inter) ? inter : 0,
    scaled,
    qformCode,
    sformCode,
    affine,
    affineSource,
    description: String(raw.description ?? "").replace(/\0+$/, ""),
    dataBytes,
  };
}
