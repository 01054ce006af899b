/**
 * Log compression of ultrasound envelope data to a B-mode image, as the phantom's images are
 * made.
 *
 * @module
 */
import { show } from "../_file_io.ts";

/** Default displayed dynamic range of {@linkcode logCompress}, in dB. */
export const DEFAULT_DYNAMIC_RANGE_DB = 60;

/** Options of {@linkcode logCompress}. */
export interface LogCompressOptions {
  /**
   * Displayed dynamic range in dB: amplitudes this far below the maximum map to 0.
   * @default {60}
   */
  dynamicRange?: number;
}

/**
 * Maps envelope amplitudes (e.g. the magnitude of beamformed IQ data) to B-mode intensities in
 * `[0, 1]`, the range of the phantom's images: `1 + 20·log10(a / max) / dynamicRange`, clipped
 * to `[0, 1]`, so the brightest voxel is 1 and every voxel `dynamicRange` dB or more below it
 * is 0. All-zero input gives all zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logCompress } from "./mod.ts";
 *
 * const image = logCompress(new Float32Array([1000, 100, 10, 0]), { dynamicRange: 40 });
 * assert.deepEqual(Array.from(image), [1, 0.5, 0, 0]);
 * ```
 *
 * @param amplitude Non-negative amplitudes.
 * @param options The dynamic range.
 * @returns The intensities, a new `Float32Array`.
 * @throws {RangeError} When the dynamic range is not a positive number.
 */
export function logCompress(
  amplitude: ArrayLike<number>,
  options: LogCompressOptions = {},
): Float32Array {
  const { dynamicRange = DEFAULT_DYNAMIC_RANGE_DB } = options;
  if (!(Number.isFinite(dynamicRange) && dynamicRange > 0)) {
    throw new RangeError(
      `Cannot log-compress: dynamicRange must be a positive number of dB (got ${
        show(dynamicRange)
      })`,
    );
  }
  let max = 0;
  for (let i = 0; i < amplitude.length; i++) {
    const a = Math.abs(amplitude[i]!);
    if (a > max) max = a;
  }
  const out = new Float32Array(amplitude.length);
  if (!(max > 0) || !Number.isFinite(max)) return out;
  const k = 20 / dynamicRange;
  for (let i = 0; i < out.length; i++) {
    const a = Math.abs(amplitude[i]!);
    const v = a > 0 ? 1 + k * Math.log10(a / max) : 0;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}
