/**
 * Separable Gaussian point-spread function and its "valid" convolution of a padded complex
 * field, with a depth-dependent lateral kernel. Private to the phantom.
 *
 * @module
 */

/** A complex field stored as two real arrays. */
export interface ComplexField {
  /** Real part (in-phase). */
  re: Float32Array;
  /** Imaginary part (quadrature). */
  im: Float32Array;
}

/**
 * A Gaussian kernel with standard deviation `sigma` voxels, radius `ceil(3 sigma)`, normalised to
 * unit sum. A width below 0.05 voxels gives the identity kernel `[1]`.
 */
export function gaussianKernel(sigma: number): Float32Array {
  if (!(sigma >= 0.05)) return Float32Array.of(1);
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let j = -radius; j <= radius; j++) {
    const v = Math.exp(-(j * j) / (2 * sigma * sigma));
    k[j + radius] = v;
    sum += v;
  }
  for (let j = 0; j < k.length; j++) k[j] = k[j]! / sum;
  return k;
}

/** Sum of squares of a kernel (its white-noise power gain). */
export function kernelPower(k: Float32Array): number {
  let s = 0;
  for (let j = 0; j < k.length; j++) s += k[j]! * k[j]!;
  return s;
}

/**
 * Convolves a padded complex field with a separable kernel and returns the unpadded ("valid")
 * part. The input has shape `[nx + 2 px, ny + 2 py, nz + 2 pz]` (x fastest); the output
 * `[nx, ny, nz]`. The axial kernel is `kz`; the lateral kernels `kx[z]`, `ky[z]` depend on the
 * output depth index. Every kernel radius must not exceed its pad.
 */
export function convolveSeparableValid(
  input: ComplexField,
  shape: readonly [number, number, number],
  pad: readonly [number, number, number],
  kx: readonly Float32Array[],
  ky: readonly Float32Array[],
  kz: Float32Array,
): ComplexField {
  const [nx, ny, nz] = shape;
  const [px, py, pz] = pad;
  const PX = nx + 2 * px;
  const PY = ny + 2 * py;
  const plane = PX * PY;
  // Axial pass: [PX, PY, PZ] -> [PX, PY, nz].
  const rz = (kz.length - 1) / 2;
  const aRe = new Float32Array(plane * nz);
  const aIm = new Float32Array(plane * nz);
  for (let z = 0; z < nz; z++) {
    const outOff = plane * z;
    for (let j = -rz; j <= rz; j++) {
      const w = kz[j + rz]!;
      const inOff = plane * (z + pz + j);
      for (let i = 0; i < plane; i++) {
        aRe[outOff + i] += w * input.re[inOff + i]!;
        aIm[outOff + i] += w * input.im[inOff + i]!;
      }
    }
  }
  // Lateral x pass: [PX, PY, nz] -> [nx, PY, nz].
  const bRe = new Float32Array(nx * PY * nz);
  const bIm = new Float32Array(nx * PY * nz);
  for (let z = 0; z < nz; z++) {
    const k = kx[z]!;
    const r = (k.length - 1) / 2;
    for (let y = 0; y < PY; y++) {
      const inRow = PX * (y + PY * z) + px;
      const outRow = nx * (y + PY * z);
      for (let x = 0; x < nx; x++) {
        let sr = 0;
        let si = 0;
        for (let j = -r; j <= r; j++) {
          const w = k[j + r]!;
          sr += w * aRe[inRow + x + j]!;
          si += w * aIm[inRow + x + j]!;
        }
        bRe[outRow + x] = sr;
        bIm[outRow + x] = si;
      }
    }
  }
  // Lateral y pass: [nx, PY, nz] -> [nx, ny, nz].
  const re = new Float32Array(nx * ny * nz);
  const im = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    const k = ky[z]!;
    const r = (k.length - 1) / 2;
    for (let y = 0; y < ny; y++) {
      const outRow = nx * (y + ny * z);
      for (let j = -r; j <= r; j++) {
        const w = k[j + r]!;
        const inRow = nx * (y + py + j + PY * z);
        for (let x = 0; x < nx; x++) {
          re[outRow + x] += w * bRe[inRow + x]!;
          im[outRow + x] += w * bIm[inRow + x]!;
        }
      }
    }
  }
  return { re, im };
}
