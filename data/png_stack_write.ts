/**
 * Writing a volume as a folder of PNG slices, for inspection in any image viewer.
 *
 * @module
 */
import { join } from "node:path";
import { encode } from "fast-png";
import type { Axis, Volume } from "./volume.ts";
import { naturalCompare, show, writeFileAtomic, writeTextFileAtomic } from "./_file_io.ts";
import { LAYER_PALETTE } from "./phantom/palette.ts";
import { PNG_STACK_SIDECAR, pngStackPlaneAxes, type PngStackSidecar } from "./png_stack_read.ts";

/** How {@linkcode writePngStack} maps voxel values to pixels. */
export type PngStackMode = "auto" | "normalize" | "labels";

/** Options of {@linkcode writePngStack}. */
export interface PngStackWriteOptions {
  /**
   * Volume axis to cut slices along (see `readPngStack` for how the other two axes map to
   * columns and rows).
   * @default {1}
   */
  stackAxis?: Axis;
  /**
   * `auto`: integer values in 0..255 as 8-bit gray, in 0..65535 as 16-bit gray (readable back
   * with `readPngStack`), anything else is an error. `normalize`: min..max mapped linearly to
   * 8-bit gray 0..255. `labels`: label values 0..6 as RGB colours from the
   * project's label palette (`LAYER_PALETTE` in `phantom/palette.ts`).
   * @default {"auto"}
   */
  mode?: PngStackMode;
  /**
   * File name prefix; files are `<prefix><index>.png` with the index zero-padded.
   * @default {"slice_"}
   */
  prefix?: string;
  /**
   * Allow writing into a folder that already holds `.png` files (they are deleted first).
   * @default {false}
   */
  overwrite?: boolean;
}

/**
 * Writes a volume as a folder of PNG slices plus a `spacing.json` sidecar (spacing and stack
 * axis), each file written atomically. In `auto` mode the folder reads back identically with
 * `readPngStack`.
 *
 * @example Save a label volume as coloured slices
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, writePngStack } from "./mod.ts";
 *
 * const labelVolume = {
 *   data: Uint8Array.from({ length: 4 * 3 * 5 }, (_, i) => i % 7),
 *   shape: [4, 3, 5] as [number, number, number],
 *   spacing: [0.2, 0.5, 0.1] as [number, number, number],
 *   affine: affineFromSpacing([0.2, 0.5, 0.1]),
 * };
 * const dir = await Deno.makeTempDir(); // e.g. "out/case01_labels"
 * const files = await writePngStack(dir, labelVolume, { mode: "labels" }); // one per y (stackAxis 1)
 * assert.deepEqual(files, ["slice_0000.png", "slice_0001.png", "slice_0002.png"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir Destination folder (created when missing).
 * @param volume The volume to write.
 * @param options Writing options.
 * @returns The names of the PNG files written, in slice order.
 * @throws {RangeError} When values do not fit the mode (e.g. fractional values in `auto`,
 * labels outside 0..6), or the shape and data disagree.
 * @throws {Error} When the folder already holds PNG files and `overwrite` is false.
 */
export async function writePngStack(
  dir: string,
  volume: Volume,
  options: PngStackWriteOptions = {},
): Promise<string[]> {
  const { stackAxis = 1, mode = "auto", prefix = "slice_", overwrite = false } = options;
  const what = `Cannot write PNG stack ${dir}`;
  if (![0, 1, 2].includes(stackAxis)) {
    throw new RangeError(`${what}: stackAxis must be 0, 1 or 2 (got ${show(stackAxis)})`);
  }
  if (!["auto", "normalize", "labels"].includes(mode)) {
    throw new RangeError(
      `${what}: mode must be "auto", "normalize" or "labels" (got ${show(mode)})`,
    );
  }
  const { data, shape, spacing } = volume;
  const n = shape[0] * shape[1] * shape[2];
  if (data.length !== n) {
    throw new RangeError(
      `${what}: data length does not match shape [${shape.join(", ")}] (got ${data.length})`,
    );
  }

  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${what}: non-finite value at index ${i} (got ${v})`);
    }
    if (v < min) min = v;
    if (v > max) max = v;
    if (integers && !Number.isInteger(v)) integers = false;
  }
  let depth: 8 | 16 = 8;
  if (mode === "auto") {
    if (!integers || min < 0 || max > 65535) {
      throw new RangeError(
        `${what}: mode "auto" needs integer values in 0..65535; use mode "normalize" (got ` +
          `${integers ? "integers" : "fractional values"} in ${min}..${max})`,
      );
    }
    depth = max > 255 ? 16 : 8;
  } else if (mode === "labels") {
    if (!integers || min < 0 || max > 6) {
      throw new RangeError(
        `${what}: mode "labels" needs integer labels 0..6 (got ${
          integers ? "integers" : "fractional values"
        } in ${min}..${max})`,
      );
    }
  }

  await Deno.mkdir(dir, { recursive: true });
  const existing: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.png$/i.test(entry.name)) existing.push(entry.name);
  }
  existing.sort(naturalCompare);
  if (existing.length > 0) {
    if (!overwrite) {
      throw new Error(
        `${what}: the folder already holds ${existing.length} PNG files; pass overwrite: true ` +
          `to replace them (got ${existing[0]}, ...)`,
      );
    }
    for (const name of existing) await Deno.remove(join(dir, name));
  }

  const [colAxis, rowAxis] = pngStackPlaneAxes(stackAxis);
  const strides = [1, shape[0], shape[0] * shape[1]];
  const width = shape[colAxis];
  const height = shape[rowAxis];
  const count = shape[stackAxis];
  const digits = Math.max(4, String(count - 1).length);
  const scale = max > min ? 255 / (max - min) : 0;
  const names: string[] = [];
  for (let k = 0; k < count; k++) {
    const channels = mode === "labels" ? 3 : 1;
    const pixels = depth === 16
      ? new Uint16Array(width * height)
      : new Uint8Array(width * height * channels);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = data[k * strides[stackAxis]! + r * strides[rowAxis]! + c * strides[colAxis]!]!;
        const p = r * width + c;
        if (mode === "labels") {
          const rgb = LAYER_PALETTE[v]!;
          pixels[3 * p] = rgb[0];
          pixels[3 * p + 1] = rgb[1];
          pixels[3 * p + 2] = rgb[2];
        } else if (mode === "normalize") {
          pixels[p] = Math.round((v - min) * scale);
        } else {
          pixels[p] = v;
        }
      }
    }
    const name = `${prefix}${String(k).padStart(digits, "0")}.png`;
    const png = encode({ width, height, data: pixels, depth, channels });
    await writeFileAtomic(join(dir, name), png);
    names.push(name);
  }
  const sidecar: PngStackSidecar = { spacing: [...spacing], stackAxis };
  await writeTextFileAtomic(
    join(dir, PNG_STACK_SIDECAR),
    JSON.stringify(sidecar, null, 2) + "\n",
  );
  return names;
}
