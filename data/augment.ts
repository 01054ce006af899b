/**
 * Geometric and intensity augmentation of a batch of slices, for the "supervised with image
 * augmentation" baseline.
 *
 * Works on typed arrays (not tensors), before the batch becomes tensors: images are
 * `Float32Array` `[n, height, width]` in `[-1, 1]`, labels are class indices `[n, height,
 * width]` (`Uint8Array` or `Int32Array`). The same geometric transform is applied to an image
 * (bilinear) and its label (nearest), so labels stay valid class indices.
 *
 * @module
 */
import { Rng } from "../engine/rng.ts";
import {
  type AugmentOptions,
  type AugmentParams,
  resolveAugmentOptions,
  sampleAugmentParams,
} from "./augment_params.ts";

/** A batch of slices as typed arrays, row-major `[size, height, width]`. */
export interface AugmentBatch<L extends Uint8Array | Int32Array = Uint8Array | Int32Array> {
  /** Images `[size, height, width]`. */
  images: Float32Array;
  /** Labels `[size, height, width]`, when present. */
  labels?: L;
  /** Number of images. */
  size: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
}

/**
 * What lies outside the image after a geometric transform: `"constant"` fills images with `-1`
 * and labels with 0 (background); `"edge"` repeats the nearest border pixel.
 */
export type AugmentBorder = "constant" | "edge";

/**
 * Applies given per-image parameters to a batch. Pure: the inputs are not modified and the
 * same parameters give the same output; identity parameters reproduce the input exactly.
 *
 * @param batch Images (and labels) `[size, height, width]`.
 * @param params One entry per image.
 * @param border Outside fill. @default {"constant"}
 * @returns A new batch with transformed copies.
 * @throws {RangeError} When array lengths or the number of parameters do not match.
 */
export function applyAugment<L extends Uint8Array | Int32Array>(
  batch: AugmentBatch<L>,
  params: readonly AugmentParams[],
  border: AugmentBorder = "constant",
): AugmentBatch<L> {
  const { images, labels, size, height, width } = batch;
  const pixels = height * width;
  if (images.length !== size * pixels || (labels && labels.length !== size * pixels)) {
    throw new RangeError(
      `Cannot augment a batch: arrays must hold ${size}x${height}x${width} values (got ${images.length}${
        labels ? ` and ${labels.length}` : ""
      })`,
    );
  }
  if (params.length !== size) {
    throw new RangeError(
      `Cannot augment a batch: need one parameter set per image (got ${params.length} for ${size})`,
    );
  }
  if (border !== "constant" && border !== "edge") {
    throw new RangeError(
      `Cannot augment a batch: border must be "constant" or "edge" (got ${JSON.stringify(border)})`,
    );
  }
  const outImages = new Float32Array(images.length);
  const outLabels = labels
    ? new (labels.constructor as new (n: number) => L)(labels.length)
    : undefined;
  for (let i = 0; i < size; i++) {
    const p = params[i]!;
    const img = images.subarray(i * pixels, (i + 1) * pixels);
    const dst = outImages.subarray(i * pixels, (i + 1) * pixels);
    warpImage(img, dst, height, width, p, border);
    if (labels && outLabels) {
      warpLabel(
        labels.subarray(i * pixels, (i + 1) * pixels),
        outLabels.subarray(i * pixels, (i + 1) * pixels),
        height,
        width,
        p,
        border,
      );
    }
    adjustIntensity(dst, p);
  }
  return outLabels
    ? { images: outImages, labels: outLabels, size, height, width }
    : { images: outImages, size, height, width };
}

/**
 * Randomly augments a batch: draws one {@linkcode AugmentParams} per image from `rng` (which
 * advances), then calls {@linkcode applyAugment}.
 *
 * @param batch Images (and labels) `[size, height, width]`.
 * @param rng Seeded generator.
 * @param options Ranges and probabilities plus the border mode.
 * @returns A new augmented batch.
 *
 * @example Augment two 4x4 slices
 * ```ts
 * import { augmentBatch, Rng } from "./mod.ts";
 * const batch = { images: new Float32Array(32), labels: new Uint8Array(32), size: 2, height: 4, width: 4 };
 * const out = augmentBatch(batch, new Rng(1), { rotation: 10 });
 * console.assert(out.images.length === 32);
 * ```
 */
export function augmentBatch<L extends Uint8Array | Int32Array>(
  batch: AugmentBatch<L>,
  rng: Rng,
  options: AugmentOptions & { border?: AugmentBorder } = {},
): AugmentBatch<L> {
  const { border = "constant", ...ranges } = options;
  const resolved = resolveAugmentOptions(ranges);
  const params: AugmentParams[] = [];
  for (let i = 0; i < batch.size; i++) params.push(sampleAugmentParams(rng, resolved));
  return applyAugment(batch, params, border);
}

/**
 * The inverse map of the geometric transform: output pixel (u, v) samples the input at
 * `(a * u + b * v + c, d * u + e * v + f)`.
 */
function inverseMap(height: number, width: number, p: AugmentParams): number[] {
  const cu = (width - 1) / 2;
  const cv = (height - 1) / 2;
  const tu = p.shiftX * width;
  const tv = p.shiftY * height;
  const cos = Math.cos(p.rotation) / p.scale;
  const sin = Math.sin(p.rotation) / p.scale;
  // p' = R(-theta) / s * (q - c - t) + c, then flip: u -> width - 1 - u.
  let a = cos, b = sin, c = cu - cos * (cu + tu) - sin * (cv + tv);
  const d = -sin, e = cos, f = cv + sin * (cu + tu) - cos * (cv + tv);
  if (p.flip) {
    a = -a;
    b = -b;
    c = width - 1 - c;
  }
  return [a, b, c, d, e, f];
}

function isIdentityGeometry(p: AugmentParams): boolean {
  return !p.flip && p.rotation === 0 && p.scale === 1 && p.shiftX === 0 && p.shiftY === 0;
}

function warpImage(
  src: Float32Array,
  dst: Float32Array,
  height: number,
  width: number,
  p: AugmentParams,
  border: AugmentBorder,
): void {
  const [a, b, c, d, e, f] = inverseMap(height, width, p);
  const edge = border === "edge";
  const at = (r: number, col: number): number => {
    if (r < 0 || r >= height || col < 0 || col >= width) {
      if (!edge) return -1;
      r = r < 0 ? 0 : r >= height ? height - 1 : r;
      col = col < 0 ? 0 : col >= width ? width - 1 : col;
    }
    return src[r * width + col]!;
  };
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const x = a! * u + b! * v + c!;
      const y = d! * u + e! * v + f!;
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const wx = x - x0, wy = y - y0;
      const v00 = at(y0, x0);
      const top = wx === 0 ? v00 : v00 + (at(y0, x0 + 1) - v00) * wx;
      let value = top;
      if (wy !== 0) {
        const v10 = at(y0 + 1, x0);
        const bottom = wx === 0 ? v10 : v10 + (at(y0 + 1, x0 + 1) - v10) * wx;
        value = top + (bottom - top) * wy;
      }
      dst[v * width + u] = value;
    }
  }
}

function warpLabel(
  src: Uint8Array | Int32Array,
  dst: Uint8Array | Int32Array,
  height: number,
  width: number,
  p: AugmentParams,
  border: AugmentBorder,
): void {
  if (isIdentityGeometry(p)) {
    dst.set(src);
    return;
  }
  const [a, b, c, d, e, f] = inverseMap(height, width, p);
  const edge = border === "edge";
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      let col = Math.round(a! * u + b! * v + c!);
      let r = Math.round(d! * u + e! * v + f!);
      if (r < 0 || r >= height || col < 0 || col >= width) {
        if (!edge) {
          dst[v * width + u] = 0;
          continue;
        }
        r = r < 0 ? 0 : r >= height ? height - 1 : r;
        col = col < 0 ? 0 : col >= width ? width - 1 : col;
      }
      dst[v * width + u] = src[r * width + col]!;
    }
  }
}

function adjustIntensity(img: Float32Array, p: AugmentParams): void {
  const changed = p.gamma !== 1 || p.contrast !== 1 || p.brightness !== 0 || p.noiseStd > 0;
  if (!changed) return;
  const n = img.length;
  if (p.gamma !== 1) {
    for (let i = 0; i < n; i++) {
      const u = (img[i]! + 1) / 2;
      img[i] = 2 * Math.pow(u < 0 ? 0 : u > 1 ? 1 : u, p.gamma) - 1;
    }
  }
  if (p.contrast !== 1) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += img[i]!;
    mean /= n;
    for (let i = 0; i < n; i++) img[i] = mean + (img[i]! - mean) * p.contrast;
  }
  const noise = p.noiseStd > 0 ? new Rng(p.noiseSeed) : null;
  for (let i = 0; i < n; i++) {
    let x = img[i]! + p.brightness;
    if (noise) x += p.noiseStd * noise.normal();
    img[i] = x > 1 ? 1 : x < -1 ? -1 : x;
  }
}
