/**
 * Private core of the exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012,
 * "Distance Transforms of Sampled Functions", Theory of Computing 8:415-428).
 * @module
 */
import { stridesOf } from "./_grid.ts";

/**
 * 1-D squared distance transform of a sampled function `f` on a line with sample spacing
 * `sqrt(w)`: `d[q] = min_p (w (q - p)^2 + f[p])`, via the lower envelope of parabolas.
 * `Infinity` samples contribute no parabola; a line with no finite sample stays `Infinity`.
 */
function lowerEnvelope(
  f: Float64Array,
  d: Float64Array,
  n: number,
  w: number,
  v: Int32Array,
  h: Float64Array,
  z: Float64Array,
): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    const hq = fq + w * q * q;
    if (k < 0) {
      k = 0;
      v[0] = q;
      h[0] = hq;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s = 0;
    for (;;) {
      const p = v[k]!;
      s = (hq - h[k]!) / (2 * w * (q - p));
      if (s <= z[k]!) k--;
      else break;
    }
    k++;
    v[k] = q;
    h[k] = hq;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    d.fill(Infinity, 0, n);
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    const dq = q - p;
    d[q] = w * dq * dq + f[p]!;
  }
}

/**
 * First pass for a binary input (0 on the target, `Infinity` elsewhere) along the contiguous
 * last axis: two sweeps give the index distance to the nearest target on the line.
 */
function binaryLastAxis(f: Float64Array, n: number, w: number): void {
  const size = f.length;
  for (let start = 0; start < size; start += n) {
    const end = start + n;
    let lastTarget = -1;
    for (let i = start; i < end; i++) {
      if (f[i] === 0) lastTarget = i;
      else if (lastTarget >= 0) {
        const d = i - lastTarget;
        f[i] = w * d * d;
      }
    }
    if (lastTarget < 0) continue; // no target on this line: stays Infinity
    let nextTarget = -1;
    for (let i = end - 1; i >= start; i--) {
      if (f[i] === 0) nextTarget = i;
      else if (nextTarget >= 0) {
        const d = nextTarget - i;
        const v = w * d * d;
        if (v < f[i]!) f[i] = v;
      }
    }
  }
}

/**
 * Exact squared Euclidean distance transform in place on a row-major grid.
 *
 * On entry `f` holds 0 on the target set and `Infinity` elsewhere (or, with `binary: false`,
 * any values: the result is then `min_p (|x - p|^2 + f[p])`). On return `f[x]` is the squared
 * distance, in units of `spacing`, from `x` to the nearest target voxel (`Infinity` if there
 * is none).
 */
export function squaredEdtInPlace(
  f: Float64Array,
  shape: readonly number[],
  spacing: readonly number[],
  binary = true,
): Float64Array {
  const strides = stridesOf(shape);
  let maxN = 1;
  for (const n of shape) maxN = Math.max(maxN, n);
  const line = new Float64Array(maxN);
  const out = new Float64Array(maxN);
  const v = new Int32Array(maxN);
  const h = new Float64Array(maxN);
  const z = new Float64Array(maxN + 1);
  const size = f.length;
  let first = shape.length - 1;
  if (binary) {
    const n = shape[first]!;
    binaryLastAxis(f, n, spacing[first]! * spacing[first]!);
    first--;
  }
  for (let a = first; a >= 0; a--) {
    const n = shape[a]!;
    if (n === 1) continue;
    const stride = strides[a]!;
    const w = spacing[a]! * spacing[a]!;
    const outer = size / (n * stride);
    for (let o = 0; o < outer; o++) {
      const start = o * n * stride;
      for (let j = 0; j < stride; j++) {
        const base = start + j;
        let finite = false;
        let nonZero = false;
        for (let q = 0, i = base; q < n; q++, i += stride) {
          const x = f[i]!;
          line[q] = x;
          if (x !== Infinity) finite = true;
          if (x !== 0) nonZero = true;
        }
        if (!finite || !nonZero) continue;
        lowerEnvelope(line, out, n, w, v, h, z);
        for (let q = 0, i = base; q < n; q++, i += stride) f[i] = out[q]!;
      }
    }
  }
  return f;
}
