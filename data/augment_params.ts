/**
 * Per-image augmentation parameters and their seeded sampling.
 *
 * @module
 */
import type { Rng } from "../engine/rng.ts";

/**
 * The augmentation applied to one image (and its label). The identity is
 * {@linkcode IDENTITY_AUGMENT}.
 *
 * Geometry (in pixel coordinates, column `u`, row `v`, about the image centre
 * `((width - 1) / 2, (height - 1) / 2)`): optional horizontal flip, then rotation by
 * `rotation` radians and isotropic scaling by `scale`, then a shift of
 * `(shiftX * width, shiftY * height)` pixels. Intensity (in the normalised `[-1, 1]` space):
 * gamma on `(x + 1) / 2`, then contrast about the image mean, then brightness, then Gaussian
 * noise, then clipping to `[-1, 1]` (only when some intensity change is applied).
 */
export interface AugmentParams {
  /** Mirror left-right (columns). */
  flip: boolean;
  /** Rotation angle in radians. */
  rotation: number;
  /** Isotropic zoom factor (> 1 enlarges). */
  scale: number;
  /** Horizontal shift as a fraction of the width. */
  shiftX: number;
  /** Vertical shift as a fraction of the height. */
  shiftY: number;
  /** Gamma exponent applied to `(x + 1) / 2`. */
  gamma: number;
  /** Contrast factor about the image mean. */
  contrast: number;
  /** Additive brightness offset in normalised units. */
  brightness: number;
  /** Standard deviation of additive Gaussian noise in normalised units. */
  noiseStd: number;
  /** Seed of the noise field (used only when `noiseStd > 0`). */
  noiseSeed: number;
}

/** Parameters that leave an image and its label unchanged. */
export const IDENTITY_AUGMENT: Readonly<AugmentParams> = Object.freeze({
  flip: false,
  rotation: 0,
  scale: 1,
  shiftX: 0,
  shiftY: 0,
  gamma: 1,
  contrast: 1,
  brightness: 0,
  noiseStd: 0,
  noiseSeed: 0,
});

/** Ranges and probabilities of the random augmentation. */
export interface AugmentOptions {
  /** Probability of a horizontal flip. @default {0.5} */
  flipProbability?: number;
  /** Probability of the rotate/scale/shift transform. @default {0.5} */
  affineProbability?: number;
  /** Maximum rotation in degrees; the angle is uniform in `[-rotation, rotation]`. @default {15} */
  rotation?: number;
  /** Maximum relative zoom; the factor is uniform in `[1 - scale, 1 + scale]`. @default {0.1} */
  scale?: number;
  /** Maximum shift as a fraction of the size; uniform in `[-shift, shift]`. @default {0.1} */
  shift?: number;
  /** Probability of the brightness/contrast/gamma jitter. @default {0.5} */
  intensityProbability?: number;
  /** Maximum brightness offset (normalised units); uniform in `[-b, b]`. @default {0.2} */
  brightness?: number;
  /** Maximum relative contrast change; factor uniform in `[1 - c, 1 + c]`. @default {0.2} */
  contrast?: number;
  /** Maximum relative gamma change; exponent uniform in `[1 - g, 1 + g]`. @default {0.2} */
  gamma?: number;
  /** Probability of additive Gaussian noise. @default {0.5} */
  noiseProbability?: number;
  /** Maximum noise standard deviation; uniform in `[0, noise]`. @default {0.05} */
  noise?: number;
}

/** {@linkcode AugmentOptions} with every default filled in. */
export type ResolvedAugmentOptions = Required<AugmentOptions>;

/**
 * Fills in the defaults and validates the options.
 *
 * @throws {RangeError} When a probability is outside `[0, 1]`, a range is negative or not
 *   finite, or `scale`, `contrast` or `gamma` is `>= 1` (which would allow a non-positive
 *   factor).
 */
export function resolveAugmentOptions(options: AugmentOptions = {}): ResolvedAugmentOptions {
  const o: ResolvedAugmentOptions = {
    flipProbability: 0.5,
    affineProbability: 0.5,
    rotation: 15,
    scale: 0.1,
    shift: 0.1,
    intensityProbability: 0.5,
    brightness: 0.2,
    contrast: 0.2,
    gamma: 0.2,
    noiseProbability: 0.5,
    noise: 0.05,
  };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(key in o)) {
      throw new RangeError(`Cannot configure augmentation: unknown option (got "${key}")`);
    }
    (o as Record<string, number>)[key] = value as number;
  }
  for (const [key, value] of Object.entries(o)) {
    const isProbability = key.endsWith("Probability");
    const limit = ["scale", "contrast", "gamma"].includes(key) ? 1 : Infinity;
    const ok = Number.isFinite(value) && value >= 0 &&
      (isProbability ? value <= 1 : value < limit);
    if (!ok) {
      throw new RangeError(
        `Cannot configure augmentation: ${key} must be ${
          isProbability ? "in [0, 1]" : limit === 1 ? "in [0, 1)" : "finite and >= 0"
        } (got ${value})`,
      );
    }
  }
  return o;
}

/**
 * Draws the augmentation of one image from `rng` (which advances).
 *
 * @param rng Seeded generator.
 * @param options Ranges and probabilities (see {@linkcode AugmentOptions}).
 * @returns The parameters; groups that are not triggered keep their identity values.
 */
export function sampleAugmentParams(rng: Rng, options: AugmentOptions = {}): AugmentParams {
  const o = resolveAugmentOptions(options);
  const p: AugmentParams = { ...IDENTITY_AUGMENT };
  p.flip = rng.float() < o.flipProbability;
  if (rng.float() < o.affineProbability) {
    p.rotation = rng.uniform(-o.rotation, o.rotation) * Math.PI / 180;
    p.scale = rng.uniform(1 - o.scale, 1 + o.scale);
    p.shiftX = rng.uniform(-o.shift, o.shift);
    p.shiftY = rng.uniform(-o.shift, o.shift);
  }
  if (rng.float() < o.intensityProbability) {
    p.gamma = rng.uniform(1 - o.gamma, 1 + o.gamma);
    p.contrast = rng.uniform(1 - o.contrast, 1 + o.contrast);
    p.brightness = rng.uniform(-o.brightness, o.brightness);
  }
  if (rng.float() < o.noiseProbability) {
    p.noiseStd = rng.uniform(0, o.noise);
    p.noiseSeed = rng.seed();
  }
  return p;
}
