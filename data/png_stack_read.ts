/**
 * Reading a folder of grayscale PNG slices into a {@linkcode Volume}.
 *
 * @module
 */
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { decode } from "fast-png";
import { affineFromSpacing, type Axis, type Volume } from "./volume.ts";
import { naturalCompare, readErrorReason, readRegularFile, show } from "./_file_io.ts";

/** Name of the sidecar file that gives a PNG stack its voxel spacing. */
export const PNG_STACK_SIDECAR = "spacing.json";

/** Options of {@linkcode readPngStack}. */
export interface PngStackReadOptions {
  /**
   * Volume axis the slices are stacked along (slice `k` of the sorted files is index `k` on
   * this axis). Within a slice, columns map to the lower of the two other axes and rows to the
   * higher one, so with the default a B-mode frame (columns lateral, rows depth from the skin
   * at the top) gives columns → x, rows → z (depth), file order → y.
   * @default {the `stackAxis` in spacing.json, else 1}
   */
  stackAxis?: Axis;
  /**
   * Voxel size in mm along x, y, z, overriding the sidecar.
   * @default {the `spacing` in spacing.json (an error when neither is given)}
   */
  spacing?: [number, number, number];
}

/** Contents of a PNG stack's `spacing.json` sidecar. */
export interface PngStackSidecar {
  /** Voxel size in mm along the volume's x, y, z. */
  spacing: [number, number, number];
  /** Axis the slices are stacked along. */
  stackAxis?: Axis;
}

/** The two in-plane axes for a stack axis: `[columnAxis, rowAxis]`. */
export function pngStackPlaneAxes(stackAxis: Axis): [Axis, Axis] {
  const rest = ([0, 1, 2] as Axis[]).filter((a) => a !== stackAxis);
  return [rest[0]!, rest[1]!];
}

function isSpacing(value: unknown): value is [number, number, number] {
  return Array.isArray(value) && value.length === 3 &&
    value.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
}

async function readSidecar(dir: string): Promise<Partial<PngStackSidecar> | undefined> {
  const path = join(dir, PNG_STACK_SIDECAR);
  let text: string;
  try {
    text = new TextDecoder().decode(await readRegularFile(path, { maxBytes: 1 << 20 }));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read PNG stack sidecar ${path}: ${readErrorReason(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read PNG stack sidecar ${path}: invalid JSON (${(error as Error).message})`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError(
      `Cannot read PNG stack sidecar ${path}: expected an object like {"spacing": [0.1, 0.1, 0.1]} (got ${
        show(json)
      })`,
    );
  }
  const record = json as Record<string, unknown>;
  if (record.spacing !== undefined && !isSpacing(record.spacing)) {
    throw new RangeError(
      `Cannot read PNG stack sidecar ${path}: spacing must be three positive numbers in mm (got ${
        show(record.spacing)
      })`,
    );
  }
  if (record.stackAxis !== undefined && ![0, 1, 2].includes(record.stackAxis as number)) {
    throw new RangeError(
      `Cannot read PNG stack sidecar ${path}: stackAxis must be 0, 1 or 2 (got ${
        show(record.stackAxis)
      })`,
    );
  }
  return record as Partial<PngStackSidecar>;
}

interface GraySlice {
  width: number;
  height: number;
  depth: 8 | 16;
  gray: Uint8Array | Uint16Array;
}

/** Largest decoded PNG slice accepted, in bytes (1 GiB). */
export const PNG_SLICE_MAX_BYTES = 1 << 30;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Checks, before a PNG is decoded, that its pixel data inflate to no more than the size its
 * `IHDR` implies (plus a margin for interlacing and 1 MiB) and that this size is at most
 * {@linkcode PNG_SLICE_MAX_BYTES}, so a PNG bomb costs bounded memory. Bytes that are not a
 * well-formed PNG are left to the decoder's error.
 */
function checkPngSize(bytes: Uint8Array, path: string): void {
  if (bytes.length < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let bits = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length));
    if (type === "IHDR" && data.length >= 13) {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      bits = data[8]!;
      channels = PNG_CHANNELS[data[9]!] ?? 0;
    } else if (type === "IDAT") {
      idat.push(data);
      idatBytes += data.length;
    } else if (type === "IEND") break;
    at += 12 + length;
  }
  if (width === 0 || height === 0 || channels === 0 || idat.length === 0) return;
  const expected = height * (1 + Math.ceil((width * channels * bits) / 8));
  if (expected > PNG_SLICE_MAX_BYTES) {
    throw new RangeError(
      `Cannot read PNG slice ${path}: ${width}x${height} pixels need more than ` +
        `${PNG_SLICE_MAX_BYTES} bytes (got ${expected})`,
    );
  }
  const limit = expected + 4 * height + 64 + (1 << 20);
  const all = new Uint8Array(idatBytes);
  let at = 0;
  for (const chunk of idat) {
    all.set(chunk, at);
    at += chunk.length;
  }
  try {
    inflateSync(all, { maxOutputLength: limit });
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      throw new RangeError(
        `Cannot read PNG slice ${path}: pixel data inflate to more than the IHDR implies ` +
          `(expected at most ${limit} bytes for ${width}x${height}, ${channels} channel(s) of ` +
          `${bits} bits; got more than ${limit}, decompression stopped)`,
      );
    }
    // Corrupt data: left to the decoder's own message.
  }
}

function toGray(bytes: Uint8Array, path: string): GraySlice {
  checkPngSize(bytes, path);
  let png;
  try {
    png = decode(bytes);
  } catch (error) {
    throw new Error(`Cannot read PNG slice ${path}: ${(error as Error).message}`);
  }
  const { width, height, channels } = png;
  if (png.palette !== undefined) {
    throw new TypeError(
      `Cannot read PNG slice ${path}: palette (indexed-colour) PNGs are not supported; save ` +
        `as 8- or 16-bit grayscale (got ${png.palette.length} palette entries)`,
    );
  }
  if (png.depth !== 8 && png.depth !== 16) {
    throw new TypeError(
      `Cannot read PNG slice ${path}: bit depth must be 8 or 16 (got ${png.depth})`,
    );
  }
  const n = width * height;
  const gray = png.depth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  const data = png.data;
  if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) gray[i] = data[i * channels]!;
  } else if (channels === 3 || channels === 4) {
    for (let i = 0; i < n; i++) {
      const r = data[i * channels]!;
      const g = data[i * channels + 1]!;
      const b = data[i * channels + 2]!;
      if (r !== g || g !== b) {
        throw new TypeError(
          `Cannot read PNG slice ${path}: colour pixels are not supported, slices must be ` +
            `grayscale (got RGB [${r}, ${g}, ${b}] at column ${i % width}, row ${
              Math.floor(i / width)
            })`,
        );
      }
      gray[i] = r;
    }
  } else {
    throw new TypeError(
      `Cannot read PNG slice ${path}: unsupported channel count (got ${channels})`,
    );
  }
  return { width, height, depth: png.depth, gray };
}

/**
 * Reads a folder of 8- or 16-bit grayscale PNG slices into a volume. Files ending in `.png`
 * (any case) are sorted in natural order (`s2.png` before `s10.png`) and stacked along
 * `stackAxis`. RGB(A) files whose pixels are all gray are accepted; the alpha channel is
 * ignored. Only regular files are read: symbolic links, FIFOs and devices named `*.png` are
 * skipped, and a `spacing.json` that is not a regular file (or larger than 1 MiB) is an error.
 * The voxel spacing comes from `options.spacing` or the folder's `spacing.json`
 * (`{"spacing": [x, y, z], "stackAxis": 1}`, spacing in mm along the volume's axes); the affine
 * is the spacing diagonal, and `depthAxis` is the axis the PNG rows map to.
 *
 * @example Read B-mode frames exported from a scanner
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, readPngStack, writePngStack } from "./mod.ts";
 *
 * // Frames as a scanner would export them: 8-bit gray PNGs in one folder.
 * const dir = await Deno.makeTempDir(); // e.g. "scan01_png"
 * const frames = {
 *   data: Uint8Array.from({ length: 4 * 3 * 5 }, (_, i) => 4 * i),
 *   shape: [4, 3, 5] as [number, number, number],
 *   spacing: [0.1, 0.5, 0.1] as [number, number, number],
 *   affine: affineFromSpacing([0.1, 0.5, 0.1]),
 * };
 * await writePngStack(dir, frames);
 * await Deno.remove(`${dir}/spacing.json`); // scanners write none: give the spacing
 * const volume = await readPngStack(dir, { spacing: [0.1, 0.5, 0.1] });
 * assert.deepEqual(volume.shape, [4, 3, 5]);
 * assert.deepEqual(volume.data, frames.data);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir Folder holding the PNG slices.
 * @param options Reading options.
 * @returns A volume with `Uint8Array` data for 8-bit slices, `Uint16Array` for 16-bit ones.
 * @throws {Error} With a message naming the folder or file when there are no slices, a slice
 * is not a grayscale 8/16-bit PNG, slices differ in size or bit depth, or no spacing is given.
 */
export async function readPngStack(
  dir: string,
  options: PngStackReadOptions = {},
): Promise<Volume<Uint8Array | Uint16Array>> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && /\.png$/i.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    throw new Error(`Cannot read PNG stack ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0) {
    throw new Error(`Cannot read PNG stack ${dir}: no .png files in the folder (got 0)`);
  }
  names.sort(naturalCompare);

  const sidecar = await readSidecar(dir);
  const stackAxis = options.stackAxis ?? sidecar?.stackAxis ?? 1;
  if (![0, 1, 2].includes(stackAxis)) {
    throw new RangeError(
      `Cannot read PNG stack ${dir}: stackAxis must be 0, 1 or 2 (got ${show(stackAxis)})`,
    );
  }
  const spacing = options.spacing ?? sidecar?.spacing;
  if (!isSpacing(spacing)) {
    throw new RangeError(
      `Cannot read PNG stack ${dir}: no voxel spacing; pass options.spacing or add ${PNG_STACK_SIDECAR} ` +
        `with {"spacing": [x, y, z]} in mm (got ${show(spacing)})`,
    );
  }

  const [colAxis, rowAxis] = pngStackPlaneAxes(stackAxis);
  let first: GraySlice | undefined;
  let data: Uint8Array | Uint16Array | undefined;
  let shape: [number, number, number] = [0, 0, 0];
  let strides: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < names.length; k++) {
    const path = join(dir, names[k]!);
    let bytes: Uint8Array;
    try {
      bytes = await readRegularFile(path);
    } catch (error) {
      throw new Error(`Cannot read PNG slice ${path}: ${readErrorReason(error)}`);
    }
    const slice = toGray(bytes, path);
    if (first === undefined) {
      first = slice;
      shape = [0, 0, 0];
      shape[stackAxis] = names.length;
      shape[colAxis] = slice.width;
      shape[rowAxis] = slice.height;
      strides = [1, shape[0], shape[0] * shape[1]];
      const n = shape[0] * shape[1] * shape[2];
      data = slice.depth === 8 ? new Uint8Array(n) : new Uint16Array(n);
    } else if (
      slice.width !== first.width || slice.height !== first.height || slice.depth !== first.depth
    ) {
      throw new RangeError(
        `Cannot read PNG stack ${dir}: slice ${names[k]} is ${slice.width}x${slice.height} ` +
          `${slice.depth}-bit but ${
            names[0]
          } is ${first.width}x${first.height} ${first.depth}-bit ` +
          `(got ${slice.width}x${slice.height} ${slice.depth}-bit)`,
      );
    }
    const base = k * strides[stackAxis];
    const sc = strides[colAxis];
    const sr = strides[rowAxis];
    const { width, height, gray } = slice;
    for (let r = 0; r < height; r++) {
      const rowBase = base + r * sr;
      for (let c = 0; c < width; c++) data![rowBase + c * sc] = gray[r * width + c]!;
    }
  }
  return {
    data: data!,
    shape,
    spacing: [...spacing],
    affine: affineFromSpacing(spacing),
    depthAxis: rowAxis,
  };
}
