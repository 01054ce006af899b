/**
 * Copies between typed arrays, choosing a plain loop for short runs.
 * @module
 */

/** Runs shorter than this are copied element by element (faster than `subarray` + `set`). */
const SHORT_RUN = 64;

/**
 * Copies `length` elements from `src[srcOffset..]` to `dst[dstOffset..]`. Short runs (the
 * per-pixel channel blocks of NHWC data) use a plain loop, long runs `TypedArray.set`.
 *
 * @param dst Destination array.
 * @param dstOffset First destination index.
 * @param src Source array.
 * @param srcOffset First source index.
 * @param length Number of elements.
 */
export function copyBlock(
  dst: Float32Array | Int32Array | Uint8Array,
  dstOffset: number,
  src: Float32Array | Int32Array | Uint8Array,
  srcOffset: number,
  length: number,
): void {
  if (length < SHORT_RUN) {
    for (let k = 0; k < length; k++) dst[dstOffset + k] = src[srcOffset + k]!;
  } else {
    dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
  }
}
