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
  const rank = shape.length;
  const size = mask.length;
  const out = new Uint8Array(size);
  const coord = new Int32Array(rank);
  for (let i = 0; i < size; i++) {
    if (mask[i] !== 0) {
      let b = false;
      for (let a = 0; a < rank && !b; a++) {
        const n = shape[a]!;
        if (n === 1) continue;
        const c = coord[a]!;
        const s = strides[a]!;
        if (c === 0) b = edgeIsBackground;
        else if (mask[i - s] === 0) b = true;
        if (b) break;
        if (c === n - 1) b = edgeIsBackground;
        else if (mask[i + s] === 0) b = true;
      }
      if (b) out[i] = 1;
    }
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a]! < shape[a]!) break;
      coord[a] = 0;
    }
  }
  return out;
}
