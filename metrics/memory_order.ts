/**
 * Memory order of the flat arrays taken by the metrics.
 * @module
 */

/**
 * How a flat array is laid out for a given `shape` (and the `spacing` that goes with it).
 *
 * - `"C"`: row-major, the **last** axis varies fastest. This is the order of tfjs tensors, so a
 *   2-D image is `shape [height, width]` with `spacing [sy, sx]` and a batch of slices is
 *   `[n, height, width]`.
 * - `"F"`: the **first** axis varies fastest. This is the NIfTI order of a `Volume`
 *   (`index = x + nx * (y + ny * z)`), so pass `volume.shape` (`[nx, ny, nz]`) and
 *   `volume.spacing` (`[sx, sy, sz]`) unchanged.
 *
 * `shape[i]` and `spacing[i]` always describe the same axis.
 */
export type MemoryOrder = "C" | "F";
