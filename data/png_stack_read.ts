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
  return parsePngStackSidecar(text, path);
}

/**
 * Parses and checks the text of a PNG stack's `spacing.json` sidecar, as
 * {@linkcode readPngStack} does with the folder's file (the web page with a dropped one).
 *
 * @example Parse a sidecar
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePngStackSidecar } from "./mod.ts";
 *
 * const sidecar = parsePngStackSidecar('{"spacing": [0.1, 0.5, 0.1]}', "scan01/spacing.json");
 * assert.deepEqual(sidecar.spacing, [0.1, 0.5, 0.1]);
 * assert.equal(sidecar.stackAxis, undefined);
 * ```
 *
 * @param text The file's text.
 * @param path The file's path or name, for messages.
 * @returns The sidecar's fields (each may be missing).
 * @throws {SyntaxError} When the text is not JSON.
 * @throws {TypeError} When it is not a JSON object.
 * @throws {RangeError} When `spacing` is not three positive numbers or `stackAxis` not 0, 1 or 2.
 */
export function parsePngStackSidecar(text: string, path: string): Partial<PngStackSidecar> {
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

/** One slice of a PNG stack for {@linkcode decodePngStack}: its file name and bytes. */
export interface PngStackSlice {
  /** File name (sorted naturally with the others; named in messages). */
  name: string;
  /** The PNG file's bytes, or a function that reads them when the slice's turn comes. */
  bytes: Uint8Array | (() => Promise<Uint8Array>);
}

/** Options of {@linkcode decodePngStack}. */
export interface DecodePngStackOptions {
  /** Voxel size in mm along x, y, z (checked: three positive numbers). */
  spacing: [number, number, number] | undefined;
  /**
   * Volume axis the slices are stacked along (see {@linkcode PngStackReadOptions.stackAxis}).
   * @default {1}
   */
  stackAxis?: Axis;
  /**
   * Folder the slices come from: messages name it and each slice as `dir/name`.
   * @default {none: messages name the stack "of N files" and each slice by its name}
   */
  dir?: string;
}

/**
 * Decodes PNG slices given as (name, bytes) pairs into a volume: the part of
 * {@linkcode readPngStack} after the folder is listed and `spacing.json` read, shared with the
 * web page, which gets the files from a drop instead of a folder. The slices are sorted in
 * natural order of their names (`s2.png` before `s10.png`), each must be an 8- or 16-bit
 * grayscale PNG (RGB(A) whose pixels are all gray is accepted, alpha ignored; palette and colour
 * are refused), all of one size and bit depth; a PNG whose pixel data inflate beyond what its
 * `IHDR` implies is refused before it is decoded.
 *
 * @example Decode slices held in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, decodePngStack, writePngStack } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const data = Uint8Array.from({ length: 4 * 3 * 5 }, (_, i) => i);
 * const volume = { data, shape: [4, 3, 5] as [number, number, number], spacing: [1, 2, 3] as [number, number, number], affine: affineFromSpacing([1, 2, 3]) };
 * const names = await writePngStack(dir, volume);
 * const slices = await Promise.all(
 *   names.map(async (name) => ({ name, bytes: await Deno.readFile(`${dir}/${name}`) })),
 * );
 * const back = await decodePngStack(slices.reverse(), { spacing: [1, 2, 3] }); // any order
 * assert.deepEqual([back.shape, back.depthAxis], [[4, 3, 5], 2]);
 * assert.deepEqual(back.data, data);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param slices The slices, in any order.
 * @param options Spacing, stack axis and the folder for messages.
 * @returns A volume with `Uint8Array` data for 8-bit slices, `Uint16Array` for 16-bit ones; the
 * affine is the spacing diagonal, and `depthAxis` the axis the PNG rows map to.
 * @throws {RangeError} When there are no slices, the stack axis is not 0, 1 or 2, the spacing is
 * not three positive numbers, slices differ in size or bit depth, or a slice is too large.
 * @throws {TypeError} When a slice is a palette or colour PNG, or not 8 or 16 bits.
 * @throws {Error} When a slice is not a readable PNG (each message names the slice).
 */
export async function decodePngStack(
  slices: readonly PngStackSlice[],
  options: DecodePngStackOptions,
): Promise<Volume<Uint8Array | Uint16Array>> {
  const dir = options.dir;
  const stack = dir ?? `of ${slices.length} files`;
  if (slices.length === 0) {
    throw new RangeError(`Cannot read PNG stack ${stack}: no PNG slices (got 0)`);
  }
  const sorted = [...slices].sort((a, b) => naturalCompare(a.name, b.name));
  const names = sorted.map((s) => s.name);
  const stackAxis = options.stackAxis ?? 1;
  if (![0, 1, 2].includes(stackAxis)) {
    throw new RangeError(
      `Cannot read PNG stack ${stack}: stackAxis must be 0, 1 or 2 (got ${show(stackAxis)})`,
    );
  }
  const spacing = options.spacing;
  if (!isSpacing(spacing)) {
    throw new RangeError(
      `Cannot read PNG stack ${stack}: no voxel spacing; pass options.spacing or add ${PNG_STACK_SIDECAR} ` +
        `with {"spacing": [x, y, z]} in mm (got ${show(spacing)})`,
    );
  }

  const [colAxis, rowAxis] = pngStackPlaneAxes(stackAxis);
  let first: GraySlice | undefined;
  let data: Uint8Array | Uint16Array | undefined;
  let shape: [number, number, number] = [0, 0, 0];
  let strides: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < sorted.length; k++) {
    const path = dir === undefined ? names[k]! : join(dir, names[k]!);
    const source = sorted[k]!.bytes;
    const bytes = source instanceof Uint8Array ? source : await source();
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
        `Cannot read PNG stack ${stack}: slice ${names[k]} is ${slice.width}x${slice.height} ` +
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

/**
 * Reads a folder of 8- or 16-bit grayscale PNG slices into a volume. Files ending in `.png`
 * (any case) are sorted in natural order (`s2.png` before `s10.png`) and stacked along
 * `stackAxis`. RGB(A) files whose pixels are all gray are accepted; the alpha channel is
 * ignored. Only regular files are read: symbolic links, FIFOs and devices named `*.png` are
 * skipped, and a `spacing.json` that is not a regular file (or larger than 1 MiB) is an error.
 * The voxel spacing comes from `options.spacing` or the folder's `spacing.json`
 * (`{"spacing": [x, y, z], "stackAxis": 1}`, spacing in mm along the volume's axes); the affine
 * is the spacing diagonal, and `depthAxis` is the axis the PNG rows map to. The slices are
 * decoded by {@linkcode decodePngStack} (one file in memory at a time).
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
  const sidecar = await readSidecar(dir);
  return await decodePngStack(
    names.map((name) => ({
      name,
      bytes: async () => {
        const path = join(dir, name);
        try {
          return await readRegularFile(path);
        } catch (error) {
          throw new Error(`Cannot read PNG slice ${path}: ${readErrorReason(error)}`);
        }
      },
    })),
    {
      dir,
      stackAxis: options.stackAxis ?? sidecar?.stackAxis ?? 1,
      spacing: options.spacing ?? sidecar?.spacing,
    },
  );
}
