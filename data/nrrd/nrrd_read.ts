/**
 * Reading NRRD images (`.nrrd` with attached data, `.nhdr` with a detached data file) into a
 * {@linkcode Volume} with the geometry the NIfTI reader gives: RAS millimetres.
 *
 * @module
 */
import { show } from "../_file_io.ts";
import type { Axis, Volume, VolumeArray } from "../volume.ts";
import { decodeNrrdSamples, nrrdGeometry } from "./_nrrd_data.ts";
import { readNrrdSamples } from "./_nrrd_file.ts";
import { type NrrdHeader, parseNrrdHeader } from "./nrrd_header.ts";

export { NRRD_SIZE_MARGIN } from "./_nrrd_data.ts";
export { nrrdFileSizeCheck } from "./_nrrd_file.ts";

/** Options of {@linkcode readNrrd}, {@linkcode readNrrdFile} and {@linkcode decodeNrrd}. */
export interface NrrdReadOptions {
  /**
   * Voxel size in mm for axes the header gives no size for (no `space directions` and no
   * `spacings`), and the thickness of a 2-D image's third axis. Without it such a 3-D file is
   * an error and a 2-D image is 1 mm thick.
   * @default {undefined}
   */
  spacing?: [number, number, number];
  /**
   * Element type of the returned data: `native` keeps the stored type (64-bit integers become
   * float64), `float32` always returns a `Float32Array`.
   * @default {"native"}
   */
  dtype?: "native" | "float32";
  /**
   * Axis along which ultrasound depth runs in the returned volume.
   * @default {2}
   */
  depthAxis?: Axis;
}

/** Options of {@linkcode readNrrdFile} beyond the decoding ones. */
export interface NrrdFileOptions {
  /**
   * Folder the file (and a detached data file) must stay in: a symbolic link whose real target
   * leaves it is refused unless `allowExternalLinks`.
   * @default {no confinement}
   */
  root?: string;
  /**
   * Follow symbolic links leaving `root`.
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/** Result of {@linkcode readNrrdFile} and {@linkcode decodeNrrd}. */
export interface DecodedNrrd {
  /** The image, with spacing and affine in RAS millimetres. */
  volume: Volume;
  /** The parsed header (its `keyValues` hold, e.g., 3D Slicer's segment metadata). */
  header: NrrdHeader;
}

/** Builds the volume from a header and its decoded samples. */
function toVolume(
  header: NrrdHeader,
  samples: VolumeArray,
  file: string,
  options: NrrdReadOptions,
): Volume {
  const { dtype = "native", depthAxis = 2 } = options;
  if (dtype !== "native" && dtype !== "float32") {
    throw new RangeError(
      `Cannot read NRRD file ${file}: dtype must be "native" or "float32" (got ${show(dtype)})`,
    );
  }
  const geometry = nrrdGeometry(header, file, options.spacing);
  const multi = geometry.extraAxes.filter((a) => header.sizes[a]! > 1);
  if (multi.length > 0) {
    throw new Error(
      `Cannot read NRRD file ${file}: a volume holds one value per voxel, but axis ${
        multi[0]
      } has ${header.sizes[multi[0]!]} (kind ${header.kinds?.[multi[0]!] ?? "none"}; got sizes [${
        header.sizes.join(", ")
      }])`,
    );
  }
  // Axes of size 1 between spatial ones do not change the order of the samples.
  const data = dtype === "float32" && !(samples instanceof Float32Array)
    ? Float32Array.from(samples)
    : samples;
  return {
    data,
    shape: geometry.shape,
    spacing: geometry.spacing,
    affine: geometry.affine,
    depthAxis,
  };
}

/**
 * Decodes an NRRD file with attached data (or a detached header with its data file's bytes
 * given as `data`).
 *
 * @param bytes The `.nrrd` file (or the `.nhdr` header with `data`).
 * @param options Reading options, plus `file` (the name in messages) and `data`.
 * @returns The volume and the header.
 * @throws {Error} Naming the file when it is not NRRD, is truncated, holds more than its
 *   header implies plus `NRRD_SIZE_MARGIN`, has no voxel size, or has more than one value
 *   per voxel.
 */
export function decodeNrrd(
  bytes: Uint8Array,
  options: NrrdReadOptions & { file?: string; data?: Uint8Array } = {},
): DecodedNrrd {
  const file = options.file ?? "<buffer>";
  const header = parseNrrdHeader(bytes, file, options.data !== undefined);
  if (header.dataFile !== undefined && options.data === undefined) {
    throw new Error(
      `Cannot read NRRD file ${file}: the data are in a detached file (${header.dataFile}); read it with readNrrd (got no data)`,
    );
  }
  const samples = options.data !== undefined
    ? decodeNrrdSamples(header, options.data, 0, header.dataFile ?? file)
    : decodeNrrdSamples(header, bytes, header.headerBytes, file);
  return { volume: toVolume(header, samples, file, options), header };
}

/**
 * Reads an NRRD image like {@linkcode readNrrd} and returns its parsed header too.
 *
 * @param path The `.nrrd` or `.nhdr` file.
 * @param options Reading options and confinement.
 * @returns The volume and the header.
 * @throws {Error} As {@linkcode readNrrd}.
 */
export async function readNrrdFile(
  path: string,
  options: NrrdReadOptions & NrrdFileOptions = {},
): Promise<DecodedNrrd> {
  const { header, samples } = await readNrrdSamples(path, options);
  return { volume: toVolume(header, samples, path, options), header };
}

/**
 * Reads an NRRD image (`.nrrd`, or a `.nhdr` header with its detached data file) into a
 * {@linkcode Volume}.
 *
 * Supported: `raw`, `gzip` and `ascii` encodings in either byte order, every integer type of
 * 8 to 64 bits (64-bit ones as float64), float and double; `line skip` and `byte skip`
 * (including -1); 1 to 3 spatial axes plus axes of size 1. The geometry is the NIfTI
 * reader's: `space directions` and `space origin` are converted from the file's space to RAS
 * millimetres (`left-posterior-superior`, 3D Slicer's usual space, flips x and y), so a scan
 * read from NRRD and from NIfTI has the same affine. Without space directions, `spacings`
 * give a diagonal affine.
 *
 * Reads are bounded like the NIfTI reader's: only regular files are read, a detached data file
 * must stay in the header's folder (or `root`), and decompression stops at the size the
 * header implies plus `NRRD_SIZE_MARGIN`.
 *
 * @example Write and read back a scan in 3D Slicer's LPS space
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNrrd, writeNrrd } from "./mod.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".nrrd" }); // e.g. "scan.nrrd"
 * const affine = [[-0.2, 0, 0, 10], [0, 0.3, 0, -4], [0, 0, 0.1, 2], [0, 0, 0, 1]];
 * const data = Float32Array.from({ length: 24 }, (_, i) => i / 2);
 * await writeNrrd(path, { data, shape: [4, 3, 2], spacing: [0.2, 0.3, 0.1], affine });
 * const scan = await readNrrd(path);
 * assert.deepEqual([scan.affine, scan.data], [affine, data]);
 * await Deno.remove(path);
 * ```
 *
 * @param path The `.nrrd` or `.nhdr` file.
 * @param options Reading options and confinement.
 * @returns The volume.
 * @throws {Error} Naming the file when it (or its data file) is missing, not a regular file,
 *   not NRRD, truncated, larger than its header implies, of an unsupported type, encoding or
 *   space, without a voxel size, or with more than one value per voxel.
 */
export async function readNrrd(
  path: string,
  options: NrrdReadOptions & NrrdFileOptions = {},
): Promise<Volume> {
  return (await readNrrdFile(path, options)).volume;
}
