/**
 * The fixed 7-colour palette used to draw label maps (montages, reports).
 *
 * @module
 */

/** An RGB colour, 0-255 per channel. */
export type Rgb = readonly [number, number, number];

/**
 * RGB colour of each label value (index = label). Based on the Okabe-Ito colour-blind-safe
 * palette, chosen so that neighbouring layers never share a hue:
 * 0 background black, 1 dermis blue, 2 superficial fat yellow, 3 SFM bluish green,
 * 4 deep fat sky blue, 5 DFM vermillion, 6 muscle reddish purple.
 */
export const LAYER_PALETTE: readonly Rgb[] = Object.freeze(
  [
    [0, 0, 0],
    [0, 114, 178],
    [240, 228, 66],
    [0, 158, 115],
    [86, 180, 233],
    [213, 94, 0],
    [204, 121, 167],
  ] as const,
);
