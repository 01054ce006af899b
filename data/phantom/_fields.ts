/**
 * Smooth random fields (sums of random plane waves) used for boundaries, TGC error, lobules,
 * membrane gaps and fragmentation of striations. Private to the phantom.
 *
 * @module
 */
import type { Rng } from "../../engine/rng.ts";

interface Wave {
  kx: number;
  ky: number;
  kz: number;
  phase: number;
  amp: number;
}

function drawWaves(
  rng: Rng,
  dims: 1 | 2 | 3,
  minWavelength: number,
  maxWavelength: number,
  components: number,
): Wave[] {
  const waves: Wave[] = [];
  const logMin = Math.log(minWavelength);
  const logMax = Math.log(maxWavelength);
  for (let i = 0; i < components; i++) {
    const wavelength = Math.exp(rng.uniform(logMin, logMax));
    const k = (2 * Math.PI) / wavelength;
    let dx = 1;
    let dy = 0;
    let dz = 0;
    if (dims === 2) {
      const theta = rng.uniform(0, 2 * Math.PI);
      dx = Math.cos(theta);
      dy = Math.sin(theta);
    } else if (dims === 3) {
      dz = rng.uniform(-1, 1);
      const phi = rng.uniform(0, 2 * Math.PI);
      const r = Math.sqrt(1 - dz * dz);
      dx = r * Math.cos(phi);
      dy = r * Math.sin(phi);
    }
    // Amplitude proportional to the wavelength: a 1/f spectrum, dominated by slow undulations.
    waves.push({
      kx: k * dx,
      ky: k * dy,
      kz: k * dz,
      phase: rng.uniform(0, 2 * Math.PI),
      amp: wavelength * rng.uniform(0.5, 1),
    });
  }
  return waves;
}

function normaliseMaxAbs(values: Float32Array): Float32Array {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= Math.max(1, values.length);
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    values[i] = values[i]! - mean;
    maxAbs = Math.max(maxAbs, Math.abs(values[i]!));
  }
  if (maxAbs > 1e-12) { for (let i = 0; i < values.length; i++) values[i] = values[i]! / maxAbs; }
  else values.fill(0);
  return values;
}

function normaliseStd(values: Float32Array): Float32Array {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= Math.max(1, values.length);
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    values[i] = values[i]! - mean;
    ss += values[i]! * values[i]!;
  }
  const sd = Math.sqrt(ss / Math.max(1, values.length));
  if (sd > 1e-12) { for (let i = 0; i < values.length; i++) values[i] = values[i]! / sd; }
  else values.fill(0);
  return values;
}

/**
 * A smooth random surface on an `nx * ny` grid (x fastest) with spacing `dx, dy` (mm), zero mean
 * and maximum absolute value 1 (all zeros when the grid is too small to vary).
 */
export function smoothSurface(
  rng: Rng,
  nx: number,
  ny: number,
  dx: number,
  dy: number,
  minWavelength: number,
  maxWavelength: number,
  components = 8,
): Float32Array {
  const waves = drawWaves(rng, 2, minWavelength, maxWavelength, components);
  const out = new Float32Array(nx * ny);
  for (const w of waves) {
    for (let y = 0; y < ny; y++) {
      const py = w.ky * y * dy + w.phase;
      for (let x = 0; x < nx; x++) out[x + nx * y] += w.amp * Math.cos(w.kx * x * dx + py);
    }
  }
  return normaliseMaxAbs(out);
}

/** A smooth random curve of `n` samples spaced `d` mm, zero mean and maximum absolute value 1. */
export function smoothCurve(
  rng: Rng,
  n: number,
  d: number,
  minWavelength: number,
  maxWavelength: number,
  components = 6,
): Float32Array {
  const waves = drawWaves(rng, 1, minWavelength, maxWavelength, components);
  const out = new Float32Array(n);
  for (const w of waves) {
    for (let i = 0; i < n; i++) out[i] += w.amp * Math.cos(w.kx * i * d + w.phase);
  }
  return normaliseMaxAbs(out);
}

/**
 * A smooth random 3-D field on an `nx * ny * nz` grid (x fastest), zero mean and unit standard
 * deviation.
 */
export function smoothVolume(
  rng: Rng,
  shape: readonly [number, number, number],
  spacing: readonly [number, number, number],
  minWavelength: number,
  maxWavelength: number,
  components = 8,
): Float32Array {
  const [nx, ny, nz] = shape;
  const waves = drawWaves(rng, 3, minWavelength, maxWavelength, components);
  const out = new Float32Array(nx * ny * nz);
  const cx = new Float64Array(nx);
  const sx = new Float64Array(nx);
  for (const w of waves) {
    for (let x = 0; x < nx; x++) {
      const a = w.kx * x * spacing[0];
      cx[x] = Math.cos(a);
      sx[x] = Math.sin(a);
    }
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        const b = w.ky * y * spacing[1] + w.kz * z * spacing[2] + w.phase;
        const cb = w.amp * Math.cos(b);
        const sb = w.amp * Math.sin(b);
        const row = nx * (y + ny * z);
        // cos(a + b) = cos a cos b - sin a sin b
        for (let x = 0; x < nx; x++) out[row + x] += cx[x]! * cb - sx[x]! * sb;
      }
    }
  }
  return normaliseStd(out);
}
