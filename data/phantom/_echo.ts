/**
 * Echo (reflectivity) maps of one phantom scan: the RMS amplitude of the diffuse scatterers per
 * voxel and the coherent specular sheets, with tissue structures (fat septa, membrane gaps,
 * fascial sub-layers, perimysial striations). Private to the phantom.
 *
 * @module
 */
import type { Rng } from "../../engine/rng.ts";
import { smoothSurface, smoothVolume } from "./_fields.ts";
import type { ScanGeometry } from "./_geometry.ts";
import type { ComplexField } from "./_psf.ts";
import type { ResolvedPhantomOptions } from "./options.ts";
import type { PhantomParticipant } from "./participant.ts";

/** Echo maps of one scan, on the output grid. */
export interface EchoMaps {
  /** RMS amplitude of the diffuse (random) scatterers per voxel. */
  amplitude: Float32Array;
  /** Coherent (specular) scatterers per voxel. */
  coherent: ComplexField;
}

/** Reference amplitude of the contrast knob: `A -> A0 (A / A0)^contrast`. */
export const CONTRAST_REFERENCE = 0.1;

const dbToAmp = (db: number) => Math.pow(10, db / 20);

function applyContrast(a: number, contrast: number): number {
  if (contrast === 1 || a <= 0) return a;
  return CONTRAST_REFERENCE * Math.pow(a / CONTRAST_REFERENCE, contrast);
}

/** Adds thin oblique, partially interrupted sheets (fat septa) inside one layer into `out`. */
function drawSepta(
  out: Float32Array,
  rng: Rng,
  geometry: ScanGeometry,
  opts: ResolvedPhantomOptions,
  layerTop: number,
  count: number,
  maxTiltDeg: number,
  amplitude: number,
): void {
  const [nx, ny, nz] = opts.shape;
  const [dx, dy, dz] = opts.spacing;
  const columns = nx * ny;
  const top = geometry.boundaries[layerTop]!;
  const bottom = geometry.boundaries[layerTop + 1]!;
  const depth = new Float32Array(columns);
  for (let s = 0; s < count; s++) {
    const p = rng.uniform(0.08, 0.92);
    const tilt = (deg: number) =>
      Math.tan((Math.max(-maxTiltDeg, Math.min(maxTiltDeg, deg)) * Math.PI) / 180);
    const sx = tilt(rng.normal(0, maxTiltDeg / 2));
    const sy = tilt(rng.normal(0, maxTiltDeg / 2));
    const xc = rng.uniform(0, nx * dx);
    const yc = rng.uniform(0, ny * dy);
    const wave = smoothSurface(rng, nx, ny, dx, dy, 3, 12, 5);
    const extent = smoothSurface(rng, nx, ny, dx, dy, 4, 20, 6);
    const threshold = rng.uniform(-0.4, 0.2);
    const amp = amplitude * rng.uniform(0.5, 1);
    const sigma = rng.uniform(0.08, 0.18);
    const sigmaV = Math.max(sigma * Math.sqrt(1 + sx * sx + sy * sy), 0.35 * dz);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const c = x + nx * y;
        depth[c] = top[c]! + p * (bottom[c]! - top[c]!) + sx * (x * dx - xc) +
          sy * (y * dy - yc) + 0.3 * wave[c]!;
      }
    }
    for (let c = 0; c < columns; c++) {
      const m = Math.min(1, Math.max(0, (extent[c]! - threshold) / 0.3));
      if (m <= 0) continue;
      const d = depth[c]!;
      const z0 = Math.max(0, Math.floor((d - 3 * sigmaV) / dz));
      const z1 = Math.min(nz - 1, Math.ceil((d + 3 * sigmaV) / dz));
      for (let z = z0; z <= z1; z++) {
        const t = (z * dz - d) / sigmaV;
        const v = amp * m * Math.exp(-0.5 * t * t);
        const i = c + columns * z;
        if (v > out[i]!) out[i] = v;
      }
    }
  }
}

/** Perimysial striations: filaments along the fibre direction (x, with pennation) into `out`. */
function drawStriations(
  out: Float32Array,
  rng: Rng,
  participant: PhantomParticipant,
  opts: ResolvedPhantomOptions,
  amplitude: number,
): void {
  const [nx, ny, nz] = opts.shape;
  const [dx, dy, dz] = opts.spacing;
  const columns = nx * ny;
  const sign = rng.float() < 0.5 ? -1 : 1;
  const slope = sign * Math.tan((participant.pennationDeg * Math.PI) / 180);
  const bendAmp = rng.uniform(0.3, 1.2);
  const bendLength = rng.uniform(15, 40);
  const bendPhase = rng.uniform(0, 2 * Math.PI);
  const g = new Float64Array(nx);
  let gMin = Infinity;
  let gMax = -Infinity;
  for (let x = 0; x < nx; x++) {
    const xm = x * dx;
    g[x] = slope * xm + bendAmp * Math.sin((2 * Math.PI * xm) / bendLength + bendPhase);
    gMin = Math.min(gMin, g[x]!);
    gMax = Math.max(gMax, g[x]!);
  }
  // Map of filament cross-sections over (u, v) = (z - g(x), y), resolution h mm.
  const h = 0.05;
  const margin = 1.5;
  const uMin = -gMax - margin;
  const uMax = (nz - 1) * dz - gMin + margin;
  const vMin = -margin;
  const vMax = (ny - 1) * dy + margin;
  const nu = Math.ceil((uMax - uMin) / h) + 1;
  const nv = Math.ceil((vMax - vMin) / h) + 1;
  const map = new Float32Array(nu * nv);
  const count = Math.round(participant.striationsPerMm2 * (uMax - uMin) * (vMax - vMin));
  for (let f = 0; f < count; f++) {
    const u0 = rng.uniform(uMin, uMax);
    const v0 = rng.uniform(vMin, vMax);
    const a = rng.uniform(0.4, 1);
    const su = Math.max(rng.uniform(0.08, 0.15), 0.35 * dz);
    const sv = rng.uniform(0.2, 0.6);
    const iu0 = Math.max(0, Math.floor((u0 - 3 * su - uMin) / h));
    const iu1 = Math.min(nu - 1, Math.ceil((u0 + 3 * su - uMin) / h));
    const iv0 = Math.max(0, Math.floor((v0 - 3 * sv - vMin) / h));
    const iv1 = Math.min(nv - 1, Math.ceil((v0 + 3 * sv - vMin) / h));
    for (let iv = iv0; iv <= iv1; iv++) {
      const tv = (vMin + iv * h - v0) / sv;
      for (let iu = iu0; iu <= iu1; iu++) {
        const tu = (uMin + iu * h - u0) / su;
        const val = a * Math.exp(-0.5 * (tu * tu + tv * tv));
        const k = iu + nu * iv;
        if (val > map[k]!) map[k] = val;
      }
    }
  }
  // Fragment the filaments along their length with a smooth 3-D field.
  const fragments = smoothVolume(rng, opts.shape, opts.spacing, 3, 12, 8);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const fv = (y * dy - vMin) / h;
      const iv = Math.min(nv - 2, Math.floor(fv));
      const wv = fv - iv;
      for (let x = 0; x < nx; x++) {
        const fu = (z * dz - g[x]! - uMin) / h;
        const iu = Math.min(nu - 2, Math.max(0, Math.floor(fu)));
        const wu = fu - iu;
        const m = (1 - wv) * ((1 - wu) * map[iu + nu * iv]! + wu * map[iu + 1 + nu * iv]!) +
          wv * ((1 - wu) * map[iu + nu * (iv + 1)]! + wu * map[iu + 1 + nu * (iv + 1)]!);
        const i = x + nx * y + columns * z;
        const keep = Math.min(1, Math.max(0, 0.55 + 0.5 * fragments[i]!));
        out[i] = amplitude * m * keep;
      }
    }
  }
}

/**
 * Share of the round-trip carrier phase `4 pi d / lambda` given to specular sheets. With the full
 * phase, a sheet tilted by a few degrees cancels itself across the (effective, grid-limited)
 * lateral PSF; 0.2 keeps half of its echo up to about 15 degrees of tilt, as the wide angular
 * aperture of synthetic-aperture imaging does, while strong waviness still breaks it up.
 */
const SPECULAR_PHASE_FACTOR = 0.2;

/** Adds a coherent sheet at depth `depth[c]` with amplitude `amp[c]` into `coherent`. */
function drawSheet(
  coherent: ComplexField,
  opts: ResolvedPhantomOptions,
  depth: (c: number) => number,
  amp: (c: number) => number,
): void {
  const [nx, ny, nz] = opts.shape;
  const dz = opts.spacing[2];
  const columns = nx * ny;
  const lambda = 1.54 / opts.frequencyMhz;
  const sigma = Math.max(0.05, 0.4 * dz);
  const w = new Float64Array(16);
  for (let c = 0; c < columns; c++) {
    const a = amp(c);
    if (a <= 0) continue;
    const d = depth(c);
    const z0 = Math.max(0, Math.floor((d - 3 * sigma) / dz));
    const z1 = Math.min(nz - 1, Math.ceil((d + 3 * sigma) / dz), z0 + w.length - 1);
    let sum = 0;
    for (let z = z0; z <= z1; z++) {
      const t = (z * dz - d) / sigma;
      w[z - z0] = Math.exp(-0.5 * t * t);
      sum += w[z - z0]!;
    }
    if (sum <= 0) continue;
    const phase = (SPECULAR_PHASE_FACTOR * 4 * Math.PI * d) / lambda;
    const cr = (a * Math.cos(phase)) / sum;
    const ci = (a * Math.sin(phase)) / sum;
    for (let z = z0; z <= z1; z++) {
      const i = c + columns * z;
      coherent.re[i] += cr * w[z - z0]!;
      coherent.im[i] += ci * w[z - z0]!;
    }
  }
}

/** Builds the echo maps of one scan. */
export function buildEchoMaps(
  geometry: ScanGeometry,
  participant: PhantomParticipant,
  opts: ResolvedPhantomOptions,
  rng: Rng,
): EchoMaps {
  const [nx, ny, nz] = opts.shape;
  const [dx, dy, dz] = opts.spacing;
  const columns = nx * ny;
  const n = columns * nz;
  const echo = opts.echo;
  const off = participant.echoOffsetDb;
  const structure = opts.structure;
  const contrast = opts.contrast;

  const base = [
    echo.gel,
    echo.dermis * dbToAmp(off.dermis),
    echo.superficialFat * dbToAmp(off.superficialFat),
    echo.sfm * dbToAmp(off.sfm),
    echo.deepFat * dbToAmp(off.deepFat),
    echo.dfm * dbToAmp(off.dfm),
    echo.muscle * dbToAmp(off.muscle),
  ];

  const septaRng = rng.fork("septa");
  const superficialSepta = new Float32Array(n);
  const deepSepta = new Float32Array(n);
  if (structure > 0) {
    const meanThickness = (k: number) => {
      let s = 0;
      for (let c = 0; c < columns; c++) {
        s += geometry.boundaries[k + 1]![c]! - geometry.boundaries[k]![c]!;
      }
      return s / columns;
    };
    const sfCount = Math.max(
      1,
      Math.round((participant.superficialSeptaPerCm * meanThickness(1)) / 10 / 0.6),
    );
    const dfCount = Math.max(
      1,
      Math.round((participant.deepSeptaPerCm * meanThickness(3)) / 10 / 0.6),
    );
    drawSepta(
      superficialSepta,
      septaRng.fork("superficial"),
      geometry,
      opts,
      1,
      sfCount,
      20,
      structure * echo.superficialSepta * dbToAmp(off.superficialFat),
    );
    drawSepta(
      deepSepta,
      septaRng.fork("deep"),
      geometry,
      opts,
      3,
      dfCount,
      40,
      structure * echo.deepSepta * dbToAmp(off.deepFat),
    );
  }
  const striations = new Float32Array(n);
  if (structure > 0) {
    drawStriations(
      striations,
      rng.fork("striations"),
      participant,
      opts,
      structure * echo.striations * dbToAmp(off.muscle),
    );
  }
  const fieldRng = rng.fork("fields");
  const lobules = smoothVolume(fieldRng, opts.shape, opts.spacing, 2.5, 10, 10);
  const sfmGaps = smoothSurface(fieldRng, nx, ny, dx, dy, 3, 15, 8);
  const dfmGaps = smoothSurface(fieldRng, nx, ny, dx, dy, 4, 20, 6);
  const sheetGains = [fieldRng.uniform(0.6, 1), fieldRng.uniform(0.6, 1), fieldRng.uniform(0.6, 1)];
  const gap = (field: Float32Array, c: number, depthOfGaps: number) => {
    const g = Math.min(1, Math.max(0.1, 0.7 + 0.6 * field[c]!));
    return Math.max(0, 1 - structure * depthOfGaps * (1 - g));
  };
  const lobuleDb = 2.5 * structure;

  // Diffuse amplitude with partial-volume mixing of the layers (in power).
  const amplitude = new Float32Array(n);
  const b = new Float64Array(8);
  const nSub = participant.dfmSublayers;
  for (let c = 0; c < columns; c++) {
    b[0] = -Infinity;
    for (let k = 0; k < 6; k++) b[k + 1] = geometry.boundaries[k]![c]!;
    b[7] = Infinity;
    const sfmGap = gap(sfmGaps, c, 1);
    const dfmGap = gap(dfmGaps, c, 0.4);
    for (let z = 0; z < nz; z++) {
      const i = c + columns * z;
      const lo = (z - 0.5) * dz;
      const hi = (z + 0.5) * dz;
      const centre = z * dz;
      let power = 0;
      for (let layer = 0; layer < 7; layer++) {
        const top = b[layer]!;
        const bottom = b[layer + 1]!;
        const frac = (Math.min(hi, bottom) - Math.max(lo, top)) / dz;
        if (frac <= 0) continue;
        let a = base[layer]!;
        switch (layer) {
          case 2:
            a = a * dbToAmp(lobuleDb * lobules[i]!) + superficialSepta[i]!;
            break;
          case 3:
            a *= sfmGap;
            break;
          case 4:
            a = a * dbToAmp(lobuleDb * lobules[i]!) + deepSepta[i]!;
            break;
          case 5: {
            const r = Math.min(1, Math.max(0, (centre - top) / Math.max(1e-6, bottom - top)));
            const dense = 0.5 - 0.5 * Math.cos(2 * Math.PI * nSub * r - Math.PI);
            a *= dfmGap * (1 - 0.6 * Math.min(1, structure) * (1 - dense));
            break;
          }
          case 6:
            a = a * dbToAmp(0.4 * lobuleDb * lobules[i]!) + striations[i]!;
            break;
        }
        a = applyContrast(a, contrast);
        power += frac * a * a;
      }
      amplitude[i] = Math.sqrt(power);
    }
  }

  // Coherent sheets: skin entry echo, SFM, and the dense sub-layers of the DFM.
  const coherent: ComplexField = { re: new Float32Array(n), im: new Float32Array(n) };
  const bounds = geometry.boundaries;
  const skinAmp = applyContrast(echo.skinEcho, contrast);
  drawSheet(coherent, opts, (c) => bounds[0]![c]!, () => skinAmp);
  const sfmAmp = echo.sfmSheet * dbToAmp(off.sfm) * sheetGains[0]!;
  drawSheet(
    coherent,
    opts,
    (c) => 0.5 * (bounds[2]![c]! + bounds[3]![c]!),
    (c) => applyContrast(sfmAmp * gap(sfmGaps, c, 1), contrast),
  );
  const dfmAmp = echo.dfmSheet * dbToAmp(off.dfm);
  for (let s = 0; s < nSub; s++) {
    const r = (s + 0.5) / nSub;
    const gain = sheetGains[s % sheetGains.length]!;
    drawSheet(
      coherent,
      opts,
      (c) => bounds[4]![c]! + r * (bounds[5]![c]! - bounds[4]![c]!),
      (c) => applyContrast(dfmAmp * gain * gap(dfmGaps, c, 0.4), contrast),
    );
  }
  return { amplitude, coherent };
}
