/**
 * Writing a {@linkcode Volume} as NRRD: one `.nrrd` file, or a `.nhdr` header with a detached
 * data file.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { FileWriteError } from "../../engine/atomic_write.ts";
import { show, writeFileAtomic } from "../_file_io.ts";
import { bytesOfTyped, elementTypeOf } from "../_typed_bytes.ts";
import type { Volume } from "../volume.ts";
import {
  escapeNrrdKeyValue,
  formatNrrdNumber,
  formatNrrdVector,
  NRRD_TYPE_NAMES,
} from "./nrrd_header.ts";

/** World spaces the writer can express the geometry in. */
export type NrrdWriteSpace = "left-posterior-superior" | "right-anterior-superior";

/** Options of {@linkcode writeNrrd} and {@linkcode encodeNrrd}. */
export interface NrrdWriteOptions {
  /**
   * Data encoding: `gzip` (3D Slicer's default) or `raw`.
   * @default {"gzip"}
   */
  encoding?: "raw" | "gzip";
  /**
   * Gzip compression level, 1 (fast) to 9 (small).
   * @default {6}
   */
  level?: number;
  /**
   * World space of `space directions` and `space origin`. The volume's affine is RAS; with
   * `left-posterior-superior` (3D Slicer's and ITK's convention) x and y are negated.
   * @default {"left-posterior-superior"}
   */
  space?: NrrdWriteSpace;
  /**
   * Extra `key:=value` fields, written in order after the standard fields (keys may not hold
   * `:=`; newlines and backslashes in values are escaped).
   * @default {{}}
   */
  keyValues?: Record<string, string>;
  /**
   * Byte order of the data.
   * @default {true}
   */
  littleEndian?: boolean;
}

function checkVolume(volume: Volume, what: string): void {
  const { shape, data, affine } = volume;
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
    !Array.isArray(affine) || affine.length !== 4 ||
    affine.some((row) =>
      !Array.isArray(row) || row.length !== 4 || row.some((v) => !Number.isFinite(v))
    )
  ) {
    throw new TypeError(`${what}: affine must be a finite 4x4 matrix (got ${show(affine)})`);
  }
}

/**
 * The text of an NRRD header (NRRD0004) for a volume: type, sizes, `space directions` and
 * `space origin` from the affine in the chosen space, `kinds: domain domain domain`, endian,
 * encoding, then `data file` when given and the `key:=value` fields. It ends with the empty
 * line that separates an attached header from its data.
 *
 * @param volume The volume (its data type gives `type`).
 * @param options Encoding, space, byte order and fields, plus `dataFile` for a `.nhdr`.
 * @returns The header text.
 * @throws {TypeError | RangeError} When the volume or an option is invalid.
 */
export function encodeNrrdHeader(
  volume: Volume,
  options: NrrdWriteOptions & { dataFile?: string } = {},
): string {
  return header(volume, options, "Cannot encode NRRD");
}

function header(
  volume: Volume,
  options: NrrdWriteOptions & { dataFile?: string },
  what: string,
): string {
  checkVolume(volume, what);
  const {
    encoding = "gzip",
    space = "left-posterior-superior",
    keyValues = {},
    littleEndian = true,
  } = options;
  if (encoding !== "gzip" && encoding !== "raw") {
    throw new RangeError(`${what}: encoding must be "gzip" or "raw" (got ${show(encoding)})`);
  }
  if (space !== "left-posterior-superior" && space !== "right-anterior-superior") {
    throw new RangeError(
      `${what}: space must be "left-posterior-superior" or "right-anterior-superior" (got ${
        show(space)
      })`,
    );
  }
  const flip = space === "left-posterior-superior" ? [-1, -1, 1] : [1, 1, 1];
  const a = volume.affine;
  const column = (c: number) => [0, 1, 2].map((r) => a[r]![c]! * flip[r]!);
  const lines = [
    "NRRD0004",
    "# Complete NRRD file format specification at:",
    "# http://teem.sourceforge.net/nrrd/format.html",
    `type: ${NRRD_TYPE_NAMES[elementTypeOf(volume.data)]}`,
    "dimension: 3",
    `space: ${space}`,
    `sizes: ${volume.shape.map(formatNrrdNumber).join(" ")}`,
    `space directions: ${[0, 1, 2].map((c) => formatNrrdVector(column(c))).join(" ")}`,
    "kinds: domain domain domain",
    `endian: ${littleEndian ? "little" : "big"}`,
    `encoding: ${encoding}`,
    `space origin: ${formatNrrdVector(column(3))}`,
  ];
  if (options.dataFile !== undefined) lines.push(`data file: ${options.dataFile}`);
  for (const [key, value] of Object.entries(keyValues)) {
    if (key.includes(":=") || key === "" || /[\r\n]/.test(key)) {
      throw new RangeError(
        `${what}: a key may not be empty or hold ":=" or a newline (got ${show(key)})`,
      );
    }
    lines.push(`${escapeNrrdKeyValue(key)}:=${escapeNrrdKeyValue(value)}`);
  }
  return lines.join("\n") + "\n\n";
}

function dataBytes(volume: Volume, options: NrrdWriteOptions, what: string): Uint8Array {
  const { encoding = "gzip", level = 6, littleEndian = true } = options;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new RangeError(`${what}: level must be an integer 1..9 (got ${show(level)})`);
  }
  const raw = bytesOfTyped(volume.data, littleEndian);
  if (encoding === "raw") return raw;
  const out = gzipSync(raw, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Encodes a volume as one NRRD file with attached data (see {@linkcode encodeNrrdHeader}).
 *
 * @param volume The volume.
 * @param options Encoding options.
 * @returns The file's bytes.
 * @throws {TypeError | RangeError} When the volume or an option is invalid.
 */
export function encodeNrrd(volume: Volume, options: NrrdWriteOptions = {}): Uint8Array {
  return encode(volume, options, "Cannot encode NRRD");
}

function encode(volume: Volume, options: NrrdWriteOptions, what: string): Uint8Array {
  const head = new TextEncoder().encode(header(volume, options, what));
  const data = dataBytes(volume, options, what);
  const out = new Uint8Array(head.length + data.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

/**
 * Writes a volume as NRRD, atomically and durably. A path ending in `.nhdr` gets a detached
 * data file beside it, `<name>.raw.gz` (gzip) or `<name>.raw` (raw), written before the
 * header so that a header never names missing data; any other path (`.nrrd`) holds its data.
 * The geometry is stored in 3D Slicer's LPS space by default (see {@linkcode encodeNrrdHeader}).
 *
 * @example Save a scan for 3D Slicer
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNrrd, writeNrrd } from "./mod.ts";
 * import { affineFromSpacing } from "../volume.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const scan = {
 *   data: new Float32Array(4 * 3 * 2).fill(0.5),
 *   shape: [4, 3, 2] as [number, number, number],
 *   spacing: [0.2, 0.2, 0.1] as [number, number, number],
 *   affine: affineFromSpacing([0.2, 0.2, 0.1]),
 * };
 * await writeNrrd(`${dir}/scan.nhdr`, scan, { encoding: "raw" }); // scan.nhdr + scan.raw
 * assert.deepEqual((await readNrrd(`${dir}/scan.nhdr`)).data, scan.data);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path Destination `.nrrd` or `.nhdr` path; its folder must exist.
 * @param volume The volume.
 * @param options Encoding options.
 * @throws {TypeError | RangeError} When the volume cannot be encoded (the message names the
 *   file).
 * @throws {Error} When a file cannot be written.
 */
export async function writeNrrd(
  path: string,
  volume: Volume,
  options: NrrdWriteOptions = {},
): Promise<void> {
  const what = `Cannot write NRRD file ${path}`;
  const write = async (file: string, bytes: Uint8Array) => {
    try {
      await writeFileAtomic(file, bytes);
    } catch (error) {
      const reason = error instanceof FileWriteError ? error.reason : (error as Error).message;
      throw new Error(`${what}: ${reason}`, { cause: error });
    }
  };
  if (!path.endsWith(".nhdr")) {
    await write(path, encode(volume, options, what));
    return;
  }
  const encoding = options.encoding ?? "gzip";
  const dataFile = `${basename(path).slice(0, -".nhdr".length)}.raw${
    encoding === "gzip" ? ".gz" : ""
  }`;
  const text = header(volume, { ...options, dataFile }, what);
  await write(join(dirname(path), dataFile), dataBytes(volume, options, what));
  await write(path, new TextEncoder().encode(text));
}
