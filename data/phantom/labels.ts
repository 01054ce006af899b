/**
 * Label values and names of the six tissue layers (plus background) of the lumbar phantom.
 *
 * @module
 */

/**
 * Label value of each class, from the skin to the muscle. Every depth column of a phantom label
 * volume runs 0 (optional gel/standoff above the skin), then 1, 2, 3, 4, 5, 6.
 */
export const LAYER_LABELS = {
  /** Gel/standoff above the skin line (and anything that is not tissue). */
  background: 0,
  /** Epidermis and dermis. */
  dermis: 1,
  /** Superficial (subcutaneous) fat. */
  superficialFat: 2,
  /** Superficial fascial membrane (SFM). */
  sfm: 3,
  /** Deep fat. */
  deepFat: 4,
  /** Deep fascial membrane (DFM, the posterior layer of the thoracolumbar fascia). */
  dfm: 5,
  /** Muscle (multifidus / erector spinae). */
  muscle: 6,
} as const;

/** Number of classes including the background (7). */
export const NUM_LAYER_CLASSES = 7;

/** Human-readable class names, indexed by label value. */
export const LAYER_NAMES: readonly string[] = Object.freeze([
  "background",
  "dermis",
  "superficial fat",
  "SFM",
  "deep fat",
  "DFM",
  "muscle",
]);
