/**
 * Private helper: boundary (surface) voxels of a binary mask on a row-major grid.
 * @module
 */

/**
 * Marks the inner boundary of `mask`: foreground voxels with at least one face neighbour
 * (connectivity 1) that is background. With `edgeIsBackground`, the space outside the grid
 * counts as background, so foreground on the grid edge is boundary too (medpy / scipy
 * `binary_erosion` with `border_value=0`); without it the edge is ignored (skimage
 * `find_boundaries` with reflected borders). Axes of extent 1 are ignored either way, so
 * `[1, h, w]` behaves like `[h, w]`.
 */
export function innerBoundary(
  mask: Uint8Array,
  shape: readonly number[],
  strides: readonly number[],
  edgeIsBackground: boolean,
): Uint8Array {
  const size = mask.length;
  const out = new Uint8Array(size);
  const edge = edgeIsBackground ? 1 : 0;
  for (let a = 0; a < shape.length; a++) {
    const n = shape[a]!;
    if (n === 1) continue;
    const s = strides[a]!;
    const outer = size / (n * s);
    for (let o = 0; o < outer; o++) {
      const start = o * n * s;
      for (let k = 0; k < n; k++) {
        const base = start + k * s;
        const first = k === 0;
        const last = k === n - 1;
        for (let j = 0; j < s; j++) {
          const i = base + j;
          if (mask[i] === 0 || out[i] === 1) continue;
          const before = first ? edge : mask[i - s] === 0 ? 1 : 0;
          const after = last ? edge : mask[i + s] === 0 ? 1 : 0;
          if (before | after) out[i] = 1;
        }
      }
    }
  }
  return out;
}
