/**
 * Reading NIfTI-1 / NIfTI-2 images (`.nii` and `.nii.gz`) into a {@linkcode Volume}.
 *
 * @module
 */
import { affineFromSpacing, type Axis, type Volume, type VolumeArray } from "./volume.ts";
import {
  DecompressedSizeError,
  FileReadError,
  gunzipLimited,
  gunzipPrefix,
  isGzip,
  readRegularFile,
  show,
} from "./_file_io.ts";
import { type NiftiDatatype, type NiftiHeader, parseNiftiHeader } from "./nifti_header.ts";

/** Options of {@linkcode readNifti} and {@linkcode decodeNifti}. */
export interface NiftiReadOptions {
  /**
   * Voxel size in mm for axes the header gives no positive size for (neither `pixdim` nor
   * the sform). Without it such a file is an error.
   * @default {undefined}
   */
  spacing?: [number, number, number];
  /**
   * Element type of the returned data. `native` keeps the stored type (uint8 labels stay a
   * `Uint8Array`); a scaled image (`scl_slope`/`scl_inter`) becomes a `Float32Array` (or
   * `Float64Array` for float64 data). `float32` always returns a `Float32Array`.
   * @default {"native"}
   */
  dtype?: "native" | "float32";
  /**
   * Apply `scl_slope` and `scl_inter` (`value = slope * stored + inter`) when the header sets a
   * non-zero slope other than the identity.
   * @default {true}
   */
  applyScaling?: boolean;
  /**
   * Axis along which ultrasound depth runs in the returned volume.
   * @default {2}
   */
  depthAxis?: Axis;
}

/**
 * Bytes a NIfTI file may hold beyond what its header implies (`vox_offset` + voxel bytes)
 * before reading stops with an error: 1 MiB. Decompression of `.nii.gz` stops there, so a
 * gzip bomb costs at most that much memory more than a genuine file of the same header.
 */
export const NIFTI_SIZE_MARGIN = 1 << 20;

/** Options of {@linkcode readNiftiFile} (and {@linkcode readNifti}) beyond the decoding ones. */
export interface NiftiFileOptions {
  /**
   * Folder the file must stay in: a symbolic link whose real target leaves it is refused
   * unless `allowExternalLinks`.
   * @default {no confinement}
   */
  root?: string;
  /**
   * Follow symbolic links leaving `root`.
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/** Result of {@linkcode decodeNifti}: the volume and the parsed header. */
export interface DecodedNifti {
  /** The image, with spacing and affine in millimetres. */
  volume: Volume;
  /** The header it was read from. */
  header: NiftiHeader;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Ctor = {
  new (buffer: ArrayBuffer): VolumeArray;
  new (length: number): VolumeArray;
};

const CTORS: Record<NiftiDatatype, Ctor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

function readSwapped(
  view: DataView,
  datatype: NiftiDatatype,
  n: number,
  littleEndian: boolean,
): VolumeArray {
  const out = new CTORS[datatype](n);
  const getters: Record<NiftiDatatype, (offset: number) => number> = {
    uint8: (o) => view.getUint8(o),
    int8: (o) => view.getInt8(o),
    int16: (o) => view.getInt16(o, littleEndian),
    uint16: (o) => view.getUint16(o, littleEndian),
    int32: (o) => view.getInt32(o, littleEndian),
    uint32: (o) => view.getUint32(o, littleEndian),
    float32: (o) => view.getFloat32(o, littleEndian),
    float64: (o) => view.getFloat64(o, littleEndian),
  };
  const get = getters[datatype];
  const step = out.BYTES_PER_ELEMENT;
  for (let i = 0; i < n; i++) out[i] = get(i * step);
  return out;
}

/**
 * Uncompresses (when gzipped) and parses a NIfTI single file with bounded memory: the header
 * is read from the first inflated bytes, then decompression stops at `vox_offset` + the voxel
 * bytes the header announces + {@linkcode NIFTI_SIZE_MARGIN}. An uncompressed file longer than
 * that limit is refused the same way.
 *
 * @param bytes The file contents, gzipped or not.
 * @param file The name used in error messages.
 * @returns The uncompressed bytes and the parsed header.
 * @throws {Error} Naming `file` when the data is corrupt, not NIfTI, or larger than its
 *   header implies (with the expected and the exceeded size).
 */
export function inflateNifti(
  bytes: Uint8Array,
  file = "<buffer>",
): { raw: Uint8Array; header: NiftiHeader } {
  const gz = isGzip(bytes);
  const first = gz ? gunzipPrefix(bytes, 540, `NIfTI file ${file}`) : bytes;
  const header = parseNiftiHeader(first, file);
  const limit = header.voxOffset + header.dataBytes + NIFTI_SIZE_MARGIN;
  const detail = `vox_offset ${header.voxOffset} + ${header.dataBytes} bytes of voxels for ` +
    `shape [${header.shape.join(", ")}] ${header.datatype} + a margin of ${NIFTI_SIZE_MARGIN}`;
  if (!gz) {
    if (bytes.length > limit) {
      throw new DecompressedSizeError(`NIfTI file ${file}`, limit, detail);
    }
    return { raw: bytes, header };
  }
  const raw = gunzipLimited(bytes, limit, `NIfTI file ${file}`, detail);
  return { raw, header };
}

/**
 * A `checkHead` for `readRegularFile` that refuses, before the rest is read, a NIfTI file
 * larger than its header implies: an uncompressed file above `vox_offset` + voxel bytes +
 * {@linkcode NIFTI_SIZE_MARGIN}, a gzipped one above that plus 1 % and 64 KiB (deflate never
 * grows genuine data by that much). A head that does not parse is left to the full decode.
 *
 * @param file The name used in error messages.
 * @returns The check; it throws a `FileReadError` naming the expected and the actual size.
 */
export function niftiFileSizeCheck(file: string): (head: Uint8Array, size: number) => void {
  return (head, size) => {
    const gz = isGzip(head);
    let header: NiftiHeader;
    try {
      header = parseNiftiHeader(gz ? gunzipPrefix(head, 540, file) : head, file);
    } catch {
      return; // The full decode reports it.
    }
    const limit = header.voxOffset + header.dataBytes + NIFTI_SIZE_MARGIN;
    const max = gz ? limit + Math.ceil(limit / 100) + 65536 : limit;
    if (size > max) {
      throw new FileReadError(
        file,
        `the file is larger than its header implies (expected at most ${max} bytes${
          gz ? " of gzip data" : ""
        }: vox_offset ${header.voxOffset} + ${header.dataBytes} bytes of voxels for shape [${
          header.shape.join(", ")
        }] ${header.datatype} + a margin of ${NIFTI_SIZE_MARGIN}${
          gz ? ", + 1 % and 65536 for gzip" : ""
        }; got ${size}); it was not read`,
      );
    }
  };
}

/**
 * Decodes the bytes of a NIfTI single file (`.nii`, or `.nii.gz` with one or more gzip
 * members) into a volume.
 *
 * @param bytes The file contents, gzipped or not.
 * @param options Reading options, plus `file`, the name used in error messages.
 * @returns The volume and its parsed header.
 * @throws {Error} With a message naming the file when the data is not a readable NIfTI
 * image, is truncated, holds (or inflates to) more than its header implies plus
 * {@linkcode NIFTI_SIZE_MARGIN} (decompression stops there), or has no voxel size and no
 * fallback `spacing` was given.
 */
export function decodeNifti(
  bytes: Uint8Array,
  options: NiftiReadOptions & { file?: string } = {},
): DecodedNifti {
  const file = options.file ?? "<buffer>";
  const { dtype = "native", applyScaling = true, depthAxis = 2 } = options;
  if (dtype !== "native" && dtype !== "float32") {
    throw new RangeError(
      `Cannot read NIfTI file ${file}: dtype must be "native" or "float32" (got ${show(dtype)})`,
    );
  }
  const { raw, header } = inflateNifti(bytes, file);
  const n = header.shape[0] * header.shape[1] * header.shape[2];
  const available = raw.length - header.voxOffset;
  if (available < header.dataBytes) {
    throw new Error(
      `Cannot read NIfTI file ${file}: truncated data: expected ${header.dataBytes} bytes of ` +
        `voxels after offset ${header.voxOffset} for shape [${
          header.shape.join(", ")
        }] ${header.datatype} (got ${Math.max(0, available)})`,
    );
  }

  const spacing = header.spacing.slice() as [number, number, number];
  const missing = [0, 1, 2].filter((i) => !(spacing[i]! > 0));
  if (missing.length > 0) {
    const fallback = options.spacing;
    if (
      fallback === undefined ||
      missing.some((i) => !(Number.isFinite(fallback[i]) && fallback[i]! > 0))
    ) {
      throw new Error(
        `Cannot read NIfTI file ${file}: missing voxel spacing: pixdim[1..3] is ${
          show(header.pixdim.slice(1, 4))
        } and no positive fallback spacing was given (got ${show(fallback)})`,
      );
    }
    for (const i of missing) spacing[i] = fallback[i]!;
  }

  let data: VolumeArray;
  if (header.littleEndian === LITTLE_ENDIAN_HOST || header.datatype.endsWith("int8")) {
    const start = raw.byteOffset + header.voxOffset;
    data = new CTORS[header.datatype](
      raw.buffer.slice(start, start + header.dataBytes) as ArrayBuffer,
    );
  } else {
    const view = new DataView(raw.buffer, raw.byteOffset + header.voxOffset, header.dataBytes);
    data = readSwapped(view, header.datatype, n, header.littleEndian);
  }

  if (applyScaling && header.scaled) {
    const out = header.datatype === "float64" && dtype === "native"
      ? new Float64Array(n)
      : new Float32Array(n);
    const slope = header.sclSlope;
    const inter = header.sclInter;
    for (let i = 0; i < n; i++) out[i] = slope * data[i]! + inter;
    data = out;
  } else if (dtype === "float32" && !(data instanceof Float32Array)) {
    data = Float32Array.from(data);
  }

  const volume: Volume = {
    data,
    shape: header.shape.slice() as [number, number, number],
    spacing,
    affine: header.affine ?? affineFromSpacing(spacing),
    depthAxis,
  };
  return { volume, header };
}

/**
 * Reads a NIfTI file like {@linkcode readNifti} and returns its parsed header too (for
 * writing an output with the same codes, units and dimensionality, see
 * `niftiWriteOptionsFromHeader`).
 *
 * @param path Path of the `.nii` or `.nii.gz` file.
 * @param options Reading options, plus the confinement of {@linkcode NiftiFileOptions}.
 * @returns The volume and the header.
 * @throws {Error} As {@linkcode readNifti}.
 */
export async function readNiftiFile(
  path: string,
  options: NiftiReadOptions & NiftiFileOptions = {},
): Promise<DecodedNifti> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, {
      ...(options.root !== undefined ? { root: options.root } : {}),
      allowExternalLinks: options.allowExternalLinks ?? false,
      checkHead: niftiFileSizeCheck(path),
    });
  } catch (error) {
    const reason = error instanceof FileReadError ? error.reason : (error as Error).message;
    throw new Error(`Cannot read NIfTI file ${path}: ${reason}`, { cause: error });
  }
  return decodeNifti(bytes, { ...options, file: path });
}

/**
 * Reads a NIfTI-1 or NIfTI-2 image (`.nii`, or `.nii.gz` including multi-member gzip) into a
 * {@linkcode Volume}.
 *
 * Supported: 1-D to 3-D images and 4-D images with a single volume; uint8, int8, int16,
 * uint16, int32, uint32, float32 and float64 voxels in either byte order. `scl_slope` and
 * `scl_inter` are applied. The spacing comes from `pixdim` (converted to mm from the header's
 * spatial unit), the affine from the sform, else the qform, else the spacing diagonal.
 * NIfTI-1 header floats are read back as the shortest decimal that rounds to the stored
 * float32 (a spacing of `0.1` written by {@linkcode writeNifti} reads back as `0.1`).
 *
 * Reads are bounded and safe: only a regular file is read (a FIFO or a device such as
 * `/dev/zero`, even behind a symbolic link, is refused before it is opened), and
 * decompression stops at the size the header implies plus {@linkcode NIFTI_SIZE_MARGIN}.
 *
 * @example Read a label volume
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, readNifti, writeNifti } from "./mod.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".nii.gz" }); // e.g. "labelsTr/case01.nii.gz"
 * const shape: [number, number, number] = [4, 3, 2];
 * const spacing: [number, number, number] = [0.1, 0.5, 0.1];
 * const data = Uint8Array.from({ length: 24 }, (_, i) => i % 7);
 * await writeNifti(path, { data, shape, spacing, affine: affineFromSpacing(spacing) });
 * const label = await readNifti(path);
 * assert.deepEqual([label.shape, label.spacing], [shape, spacing]);
 * assert.deepEqual(label.data, data);
 * await Deno.remove(path);
 * ```
 *
 * @param path Path of the `.nii` or `.nii.gz` file.
 * @param options Reading options.
 * @returns The volume.
 * @throws {Error} With a message naming the file when it is missing, not a regular file,
 * not a NIfTI file, truncated, larger than its header implies, of an unsupported datatype or
 * dimensionality, or without a voxel size.
 */
export async function readNifti(
  path: string,
  options: NiftiReadOptions & NiftiFileOptions = {},
): Promise<Volume> {
  return (await readNiftiFile(path, options)).volume;
}
