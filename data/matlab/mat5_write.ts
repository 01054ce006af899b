/**
 * Writing a {@linkcode Volume} as a Level 5 MAT-file (readable by MATLAB's `load`, scipy's
 * `loadmat` and {@linkcode readMat}).
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { FileWriteError } from "../../engine/atomic_write.ts";
import { show, writeFileAtomic } from "../_file_io.ts";
import { bytesOfTyped, elementTypeOf } from "../_typed_bytes.ts";
import type { Volume, VolumeArray } from "../volume.ts";

/** Options of {@linkcode writeMat} and {@linkcode encodeMat}. */
export interface MatWriteOptions {
  /**
   * Name of the variable holding the voxels.
   * @default {"img"}
   */
  variable?: string;
  /**
   * Compress each variable (`miCOMPRESSED`, MATLAB's default for `-v7`).
   * @default {true}
   */
  compress?: boolean;
}

// [MATLAB class code, MAT data type] of each element type.
const CODES: Record<string, [number, number]> = {
  float64: [6, 9],
  float32: [7, 7],
  int8: [8, 1],
  uint8: [9, 2],
  int16: [10, 3],
  uint16: [11, 4],
  int32: [12, 5],
  uint32: [13, 6],
};

function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** One data element: tag + data padded to 8 bytes. */
function element(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + pad8(data.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An miMATRIX element for a real numeric array. */
function matrix(name: string, dims: number[], data: VolumeArray): Uint8Array {
  const [cls, mi] = CODES[elementTypeOf(data)]!;
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, cls, true);
  const dimBytes = new Uint8Array(4 * dims.length);
  dims.forEach((d, i) => new DataView(dimBytes.buffer).setInt32(4 * i, d, true));
  const body = concat([
    element(6, flags),
    element(5, dimBytes),
    element(1, new TextEncoder().encode(name)),
    element(mi, bytesOfTyped(data, true)),
  ]);
  return element(14, body);
}

/**
 * Encodes a volume as a Level 5 MAT-file with three variables: the voxels (`variable`, of
 * size `[nx, ny, nz]` in MATLAB's column-major order, the class of the data: double, single,
 * int8 ... uint32), `spacing` (1x3 double, mm) and `affine` (4x4 double, voxel to RAS mm),
 * so {@linkcode readMat} reads it back with its geometry; and `depthAxis` (1x1 double) when
 * the volume's depth axis is 0 or 1 (not the default 2), which `readMat` reads back.
 *
 * @param volume The volume.
 * @param options Variable name and compression.
 * @returns The file's bytes.
 * @throws {RangeError} When the variable name is not a MATLAB identifier or the data do not
 *   match the shape.
 */
export function encodeMat(volume: Volume, options: MatWriteOptions = {}): Uint8Array {
  return encode(volume, options, "Cannot encode MAT");
}

function encode(volume: Volume, options: MatWriteOptions, what: string): Uint8Array {
  const { variable = "img", compress = true } = options;
  if (
    !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(variable) ||
    ["spacing", "affine", "depthAxis"].includes(variable)
  ) {
    throw new RangeError(
      `${what}: variable must be a MATLAB name other than spacing, affine and depthAxis (got ${
        show(variable)
      })`,
    );
  }
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  if (volume.data.length !== n) {
    throw new RangeError(
      `${what}: data length does not match shape [${
        volume.shape.join(", ")
      }] = ${n} voxels (got ${volume.data.length})`,
    );
  }
  const header = new Uint8Array(128).fill(0x20);
  header.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by grn"), 0);
  header.fill(0, 116, 124);
  header.set([0x00, 0x01, 0x49, 0x4d], 124); // version 0x0100, "IM": little endian
  const affine = new Float64Array(16);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) affine[r + 4 * c] = volume.affine[r]![c]!;
  const variables = [
    matrix(variable, [...volume.shape], volume.data),
    matrix("spacing", [1, 3], Float64Array.from(volume.spacing)),
    matrix("affine", [4, 4], affine),
  ];
  if (volume.depthAxis === 0 || volume.depthAxis === 1) {
    variables.push(matrix("depthAxis", [1, 1], Float64Array.of(volume.depthAxis)));
  }
  const parts = variables.map((m) => {
    if (!compress) return m;
    const z = deflateSync(m);
    const out = new Uint8Array(8 + z.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, 15, true);
    view.setUint32(4, z.length, true);
    out.set(z, 8);
    return out;
  });
  return concat([header, ...parts]);
}

/**
 * Writes a volume as a Level 5 MAT-file, atomically (see {@linkcode encodeMat} for its
 * variables).
 *
 * @param path Destination `.mat` path; its folder must exist.
 * @param volume The volume.
 * @param options Variable name and compression.
 * @throws {RangeError} When the volume cannot be encoded (the message names the file).
 * @throws {Error} When the file cannot be written.
 */
export async function writeMat(
  path: string,
  volume: Volume,
  options: MatWriteOptions = {},
): Promise<void> {
  const what = `Cannot write MAT file ${path}`;
  const bytes = encode(volume, options, what);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    const reason = error instanceof FileWriteError ? error.reason : (error as Error).message;
    throw new Error(`${what}: ${reason}`, { cause: error });
  }
}
