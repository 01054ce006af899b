/**
 * Montage of phantom scans for documentation and reports: B-mode slices in both lateral
 * directions next to their label maps, as an RGBA image and as PNG bytes.
 *
 * @module
 */
import { encode } from "fast-png";
import type { Volume } from "../volume.ts";
import { LAYER_PALETTE } from "./palette.ts";

/** An 8-bit RGBA image, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixels, `4 * width * height` bytes. */
  data: Uint8Array;
}

/** One row of a montage: an image volume and its label volume (same geometry). */
export interface MontageScan {
  /** Image volume with values in [0, 1]. */
  image: Volume<Float32Array>;
  /** Label volume (values 0-6). */
  labels: Volume<Uint8Array>;
}

/** Options of {@linkcode renderPhantomMontage}. */
export interface PhantomMontageOptions {
  /** Display pixel size in mm (slices are resampled to square pixels). @default {0.15} */
  mmPerPixel?: number;
  /** Gap between panels in pixels. @default {4} */
  gap?: number;
  /** Gray level (0-255) of the gaps. @default {255} */
  gapGray?: number;
}

function panelSize(extentMm: number, mmPerPixel: number): number {
  return Math.max(1, Math.round(extentMm / mmPerPixel));
}

/**
 * Draws a slice plane of `scan` into `out` at column offset `left` and row offset `top`: the
 * plane spanned by lateral axis `axis` (0 = x, 1 = y) and depth z, at the centre of the other
 * lateral axis. The image is sampled bilinearly, labels by nearest neighbour with
 * {@linkcode LAYER_PALETTE}.
 */
function drawPanels(
  out: RgbaImage,
  scan: MontageScan,
  axis: 0 | 1,
  left: number,
  top: number,
  mmPerPixel: number,
  gap: number,
): number {
  const [nx, ny, nz] = scan.image.shape;
  const spacing = scan.image.spacing;
  const n = axis === 0 ? nx : ny;
  const fixed = axis === 0 ? Math.floor(ny / 2) : Math.floor(nx / 2);
  const w = panelSize(n * spacing[axis], mmPerPixel);
  const h = panelSize(nz * spacing[2], mmPerPixel);
  const index = (lat: number, z: number) =>
    axis === 0 ? lat + nx * (fixed + ny * z) : fixed + nx * (lat + ny * z);
  for (let v = 0; v < h; v++) {
    const fz = Math.min(nz - 1, Math.max(0, ((v + 0.5) * mmPerPixel) / spacing[2] - 0.5));
    const z0 = Math.min(nz - 2, Math.floor(fz));
    const wz = nz > 1 ? fz - z0 : 0;
    const zn = Math.min(nz - 1, Math.round(fz));
    for (let u = 0; u < w; u++) {
      const fl = Math.min(n - 1, Math.max(0, ((u + 0.5) * mmPerPixel) / spacing[axis] - 0.5));
      const l0 = Math.min(Math.max(0, n - 2), Math.floor(fl));
      const l1 = Math.min(n - 1, l0 + 1);
      const wl = fl - l0;
      const zA = Math.max(0, z0);
      const zB = Math.min(nz - 1, zA + 1);
      const d = scan.image.data;
      const value = (1 - wz) * ((1 - wl) * d[index(l0, zA)]! + wl * d[index(l1, zA)]!) +
        wz * ((1 - wl) * d[index(l0, zB)]! + wl * d[index(l1, zB)]!);
      const gray = Math.round(255 * Math.min(1, Math.max(0, value)));
      const o = 4 * ((top + v) * out.width + left + u);
      out.data[o] = gray;
      out.data[o + 1] = gray;
      out.data[o + 2] = gray;
      out.data[o + 3] = 255;
      const label = scan.labels.data[index(Math.min(n - 1, Math.round(fl)), zn)]!;
      const rgb = LAYER_PALETTE[label] ?? [255, 255, 255];
      const p = o + 4 * (w + gap);
      out.data[p] = rgb[0];
      out.data[p + 1] = rgb[1];
      out.data[p + 2] = rgb[2];
      out.data[p + 3] = 255;
    }
  }
  return 2 * w + gap;
}

/**
 * Renders a montage with one row per scan: `[B-mode x-z | labels x-z | B-mode y-z | labels y-z]`,
 * each slice through the centre of the other lateral axis, depth downwards, resampled to square
 * pixels of `mmPerPixel`.
 *
 * @param scans Scans to draw (image and labels with the same shape).
 * @param options Pixel size and gaps.
 * @returns The RGBA image.
 * @throws {RangeError} When there is no scan, a pixel size is not positive, or shapes differ.
 *
 * @example Render and encode
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRgbaPng, generatePhantomCohort, renderPhantomMontage } from "./mod.ts";
 *
 * const cohort = generatePhantomCohort({ participants: 3, scansPerParticipant: 1, shape: [16, 16, 128] });
 * const montage = renderPhantomMontage(cohort.scans.slice(0, 3)); // one row per scan
 * assert.equal(montage.data.length, 4 * montage.width * montage.height);
 * const png = encodeRgbaPng(montage);
 * assert.equal(new TextDecoder().decode(png.subarray(1, 4)), "PNG");
 * ```
 */
export function renderPhantomMontage(
  scans: readonly MontageScan[],
  options: PhantomMontageOptions = {},
): RgbaImage {
  const mmPerPixel = options.mmPerPixel ?? 0.15;
  const gap = options.gap ?? 4;
  const gapGray = options.gapGray ?? 255;
  if (scans.length === 0) {
    throw new RangeError("Cannot render montage: no scans given (got 0)");
  }
  if (!(mmPerPixel > 0) || !Number.isInteger(gap) || gap < 0) {
    throw new RangeError(
      `Cannot render montage: mmPerPixel must be > 0 and gap a non-negative integer (got ${mmPerPixel}, ${gap})`,
    );
  }
  const sizes = scans.map((scan) => {
    const [nx, ny, nz] = scan.image.shape;
    if (scan.labels.shape.some((s, i) => s !== scan.image.shape[i])) {
      throw new RangeError(
        `Cannot render montage: image and label shapes differ (got ${
          JSON.stringify(scan.image.shape)
        } and ${JSON.stringify(scan.labels.shape)})`,
      );
    }
    const sp = scan.image.spacing;
    const wx = panelSize(nx * sp[0], mmPerPixel);
    const wy = panelSize(ny * sp[1], mmPerPixel);
    return { width: 2 * wx + 2 * wy + 3 * gap, height: panelSize(nz * sp[2], mmPerPixel) };
  });
  const width = Math.max(...sizes.map((s) => s.width)) + 2 * gap;
  const height = sizes.reduce((acc, s) => acc + s.height + gap, gap);
  const out: RgbaImage = { width, height, data: new Uint8Array(4 * width * height) };
  for (let i = 0; i < width * height; i++) {
    out.data[4 * i] = gapGray;
    out.data[4 * i + 1] = gapGray;
    out.data[4 * i + 2] = gapGray;
    out.data[4 * i + 3] = 255;
  }
  let top = gap;
  scans.forEach((scan, row) => {
    let left = gap;
    left += drawPanels(out, scan, 0, left, top, mmPerPixel, gap) + gap;
    drawPanels(out, scan, 1, left, top, mmPerPixel, gap);
    top += sizes[row]!.height + gap;
  });
  return out;
}

/**
 * Encodes an RGBA image as PNG bytes (fast-png, 8 bits per channel). A fully opaque image is
 * stored as RGB (same pixels, smaller file).
 *
 * @param image The image.
 * @returns PNG file bytes.
 * @throws {RangeError} When the pixel buffer does not match the size.
 */
export function encodeRgbaPng(image: RgbaImage): Uint8Array {
  if (image.data.length !== 4 * image.width * image.height) {
    throw new RangeError(
      `Cannot encode PNG: expected ${
        4 * image.width * image.height
      } RGBA bytes (got ${image.data.length})`,
    );
  }
  const n = image.width * image.height;
  let opaque = true;
  for (let i = 0; i < n && opaque; i++) opaque = image.data[4 * i + 3] === 255;
  let data = image.data;
  if (opaque) {
    // Drop the constant alpha channel: smaller files, same pixels.
    data = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) {
      data[3 * i] = image.data[4 * i]!;
      data[3 * i + 1] = image.data[4 * i + 1]!;
      data[3 * i + 2] = image.data[4 * i + 2]!;
    }
  }
  return encode({
    width: image.width,
    height: image.height,
    data,
    channels: opaque ? 3 : 4,
    depth: 8,
  }, { zlib: { level: 9 } });
}
