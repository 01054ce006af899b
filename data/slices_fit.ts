/**
 * Fitting native-size slices to the network input size and mapping predictions back.
 *
 * Two modes (`FitMode`):
 * - `"resize"`: resample to `[height, width]` with half-pixel centres (source coordinate
 *   `(i + 0.5) * in / out - 0.5`), bilinear for images and probabilities, nearest for labels.
 *   Equal sizes are an exact copy. Nearest picks source index `floor((i + 0.5) * in / out)`.
 * - `"pad"`: no resampling. Rows stay top-aligned so skin stays at row 0: extra rows are padded
 *   (or cropped) at the bottom. Columns are centred: native column `c` lands at
 *   `c + floor((width - cols) / 2)` (a negative offset crops). Images are padded with `-1` (the normalised minimum), labels with
 *   0 (background).
 *
 * @module
 */

/** How a slice is brought to the network input size; see the module documentation. */
export type FitMode = "resize" | "pad";

function checkMode(mode: string, what: string): void {
  if (mode !== "resize" && mode !== "pad") {
    throw new RangeError(
      `Cannot ${what}: fit must be "resize" or "pad" (got ${JSON.stringify(mode)})`,
    );
  }
}

function checkSize(name: string, value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Cannot ${what}: ${name} must be a positive integer (got ${value})`);
  }
}

/**
 * Offsets of the `"pad"` mode: native pixel `(r, c)` lands at `(r + rowOffset, c + colOffset)`
 * of the fitted slice (negative offsets crop).
 */
export function padOffsets(
  native: readonly [rows: number, cols: number],
  fitted: readonly [height: number, width: number],
): { rowOffset: number; colOffset: number } {
  return { rowOffset: 0, colOffset: Math.floor((fitted[1] - native[1]) / 2) };
}

/** Per-output-index source positions for a half-pixel-centre bilinear resample. */
function linearTable(inSize: number, outSize: number): {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float64Array;
} {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    let s = (o + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    if (s > inSize - 1) s = inSize - 1;
    const f = Math.floor(s);
    i0[o] = f;
    i1[o] = Math.min(f + 1, inSize - 1);
    w1[o] = s - f;
  }
  return { i0, i1, w1 };
}

/** Per-output-index source index for a half-pixel-centre nearest resample. */
function nearestTable(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    idx[o] = Math.min(inSize - 1, Math.floor((o + 0.5) * scale));
  }
  return idx;
}

/**
 * Bilinear resample (half-pixel centres) of a row-major channels-last array
 * `[inRows, inCols, channels]` to `[outRows, outCols, channels]`.
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  inRows: number,
  inCols: number,
  channels: number,
  outRows: number,
  outCols: number,
  out: Float32Array = new Float32Array(outRows * outCols * channels),
): Float32Array {
  const rt = linearTable(inRows, outRows);
  const ct = linearTable(inCols, outCols);
  for (let r = 0; r < outRows; r++) {
    const r0 = rt.i0[r]! * inCols, r1 = rt.i1[r]! * inCols, wr = rt.w1[r]!;
    for (let c = 0; c < outCols; c++) {
      const c0 = ct.i0[c]!, c1 = ct.i1[c]!, wc = ct.w1[c]!;
      const o = (r * outCols + c) * channels;
      for (let k = 0; k < channels; k++) {
        const v00 = src[(r0 + c0) * channels + k]!;
        const v01 = src[(r0 + c1) * channels + k]!;
        const v10 = src[(r1 + c0) * channels + k]!;
        const v11 = src[(r1 + c1) * channels + k]!;
        // Zero weights are skipped so that integer positions copy the source exactly.
        const top = wc === 0 ? v00 : v00 + (v01 - v00) * wc;
        const bottom = wc === 0 ? v10 : v10 + (v11 - v10) * wc;
        out[o + k] = wr === 0 ? top : top + (bottom - top) * wr;
      }
    }
  }
  return out;
}

/**
 * Nearest-neighbour resample (half-pixel centres) of a row-major `[inRows, inCols]` array.
 */
export function resizeNearest<T extends Uint8Array | Float32Array | Int32Array>(
  src: T,
  inRows: number,
  inCols: number,
  outRows: number,
  outCols: number,
  out: T = new (src.constructor as new (n: number) => T)(outRows * outCols),
): T {
  const rt = nearestTable(inRows, outRows);
  const ct = nearestTable(inCols, outCols);
  for (let r = 0; r < outRows; r++) {
    const rb = rt[r]! * inCols;
    const o = r * outCols;
    for (let c = 0; c < outCols; c++) out[o + c] = src[rb + ct[c]!]!;
  }
  return out;
}

/** Copies `src` into `out` so that source pixel `(r, c)` lands at `(r + rowOffset, c + colOffset)`. */
function shiftCopy<T extends Uint8Array | Float32Array>(
  src: ArrayLike<number>,
  inRows: number,
  inCols: number,
  channels: number,
  outRows: number,
  outCols: number,
  rowOffset: number,
  colOffset: number,
  fill: number,
  out: T,
): T {
  out.fill(fill);
  const r0 = Math.max(0, rowOffset), r1 = Math.min(outRows, inRows + rowOffset);
  const c0 = Math.max(0, colOffset), c1 = Math.min(outCols, inCols + colOffset);
  for (let r = r0; r < r1; r++) {
    const sr = r - rowOffset;
    for (let c = c0; c < c1; c++) {
      const s = (sr * inCols + (c - colOffset)) * channels;
      const o = (r * outCols + c) * channels;
      for (let k = 0; k < channels; k++) out[o + k] = src[s + k]!;
    }
  }
  return out;
}

function padFit<T extends Uint8Array | Float32Array>(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  height: number,
  width: number,
  fill: number,
  out: T,
): T {
  const { rowOffset, colOffset } = padOffsets([rows, cols], [height, width]);
  return shiftCopy(src, rows, cols, 1, height, width, rowOffset, colOffset, fill, out);
}

/**
 * Fits a native `[rows, cols]` image slice to `[height, width]` (bilinear resize, or pad/crop
 * with `fill`).
 *
 * @param fill Padding value in `"pad"` mode. @default {-1}
 * @throws {RangeError} When a size is not a positive integer, the mode is unknown or `src`
 *   has the wrong length.
 */
export function fitImageSlice(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  height: number,
  width: number,
  mode: FitMode,
  fill = -1,
  out: Float32Array = new Float32Array(height * width),
): Float32Array {
  checkArgs(src.length, rows, cols, height, width, mode, out.length, "fit an image slice");
  return mode === "resize"
    ? resizeBilinear(src, rows, cols, 1, height, width, out)
    : padFit(src, rows, cols, height, width, fill, out);
}

/**
 * Fits a native `[rows, cols]` label slice to `[height, width]` (nearest resize, or pad/crop
 * with background 0).
 *
 * @throws {RangeError} When a size is not a positive integer, the mode is unknown or `src`
 *   has the wrong length.
 */
export function fitLabelSlice(
  src: Uint8Array,
  rows: number,
  cols: number,
  height: number,
  width: number,
  mode: FitMode,
  out: Uint8Array = new Uint8Array(height * width),
): Uint8Array {
  checkArgs(src.length, rows, cols, height, width, mode, out.length, "fit a label slice");
  return mode === "resize"
    ? resizeNearest(src, rows, cols, height, width, out)
    : padFit(src, rows, cols, height, width, 0, out);
}

/**
 * Inverse of the fit for per-pixel channel maps (e.g. class probabilities): maps a
 * `[height, width, channels]` array back to the native `[rows, cols, channels]` slice.
 * `"resize"` resamples bilinearly; `"pad"` crops the padding, and native pixels that were
 * cropped away get all-zero channels.
 *
 * @throws {RangeError} When a size is not a positive integer, the mode is unknown or `src`
 *   has the wrong length.
 */
export function unfitChannels(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  rows: number,
  cols: number,
  mode: FitMode,
  out: Float32Array = new Float32Array(rows * cols * channels),
): Float32Array {
  checkMode(mode, "map a slice back");
  checkSize("channels", channels, "map a slice back");
  checkArgs(
    src.length / channels,
    height,
    width,
    rows,
    cols,
    mode,
    out.length / channels,
    "map a slice back",
  );
  if (mode === "resize") return resizeBilinear(src, height, width, channels, rows, cols, out);
  // Inverse padding: native pixel (r, c) sits at fitted (r + rowOffset, c + colOffset).
  const { rowOffset, colOffset } = padOffsets([rows, cols], [height, width]);
  return shiftCopy(src, height, width, channels, rows, cols, -rowOffset, -colOffset, 0, out);
}

function checkArgs(
  srcLength: number,
  rows: number,
  cols: number,
  height: number,
  width: number,
  mode: string,
  outLength: number,
  what: string,
): void {
  checkMode(mode, what);
  checkSize("rows", rows, what);
  checkSize("cols", cols, what);
  checkSize("height", height, what);
  checkSize("width", width, what);
  if (srcLength !== rows * cols) {
    throw new RangeError(
      `Cannot ${what}: source must hold ${rows}x${cols} pixels (got ${srcLength})`,
    );
  }
  if (outLength !== height * width) {
    throw new RangeError(
      `Cannot ${what}: output must hold ${height}x${width} pixels (got ${outLength})`,
    );
  }
}
