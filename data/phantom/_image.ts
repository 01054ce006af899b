/**
 * B-mode image formation of the phantom with the convolution model: complex scatterers, separable
 * Gaussian PSF, envelope, attenuation, electronic noise, imperfect TGC, log compression.
 * Private to the phantom.
 *
 * @module
 */
import type { Rng } from "../../engine/rng.ts";
import { smoothCurve } from "./_fields.ts";
import type { EchoMaps } from "./_echo.ts";
import { convolveSeparableValid, gaussianKernel, kernelPower } from "./_psf.ts";
import type { ResolvedPhantomOptions } from "./options.ts";

/** Image and envelope of one scan. */
export interface FormedImage {
  /** Log-compressed image in [0, 1]. */
  image: Float32Array;
  /** Envelope after TGC, before log compression. */
  envelope: Float32Array;
}

/** Lateral PSF standard deviation (mm) at depth `zMm`. */
export function lateralSigmaMm(opts: ResolvedPhantomOptions, zMm: number): number {
  const lambda = 1.54 / opts.frequencyMhz;
  const focal = (0.85 * lambda * zMm) / opts.apertureMm;
  return opts.psfScale * Math.sqrt(opts.lateralSigmaMm ** 2 + focal * focal);
}

/** Forms the B-mode image of one scan from its echo maps and labels. */
export function formImage(
  echo: EchoMaps,
  labels: Uint8Array,
  opts: ResolvedPhantomOptions,
  rng: Rng,
): FormedImage {
  const [nx, ny, nz] = opts.shape;
  const [dx, dy, dz] = opts.spacing;
  const columns = nx * ny;
  const n = columns * nz;

  // PSF kernels (depth-dependent laterally).
  const kz = gaussianKernel((opts.psfScale * opts.axialSigmaMm) / dz);
  const kx: Float32Array[] = [];
  const ky: Float32Array[] = [];
  for (let z = 0; z < nz; z++) {
    const s = lateralSigmaMm(opts, z * dz);
    kx.push(gaussianKernel(s / dx));
    ky.push(gaussianKernel(s / dy));
  }
  const px = Math.max(...kx.map((k) => (k.length - 1) / 2));
  const py = Math.max(...ky.map((k) => (k.length - 1) / 2));
  const pz = (kz.length - 1) / 2;
  const PX = nx + 2 * px;
  const PY = ny + 2 * py;
  const PZ = nz + 2 * pz;

  // Scatterers on the padded grid. The random part is scaled so that its mean power after the
  // unit-sum PSF equals the local amplitude squared; the coherent part keeps its amplitude.
  const powerZ = kernelPower(kz);
  const randomGain = new Float32Array(nz);
  for (let z = 0; z < nz; z++) {
    randomGain[z] = 1 / Math.sqrt(powerZ * kernelPower(kx[z]!) * kernelPower(ky[z]!));
  }
  const speckleRng = rng.fork("speckle");
  const randomShare = Math.sqrt(opts.speckle) * Math.SQRT1_2;
  const steadyShare = Math.sqrt(1 - opts.speckle);
  const re = new Float32Array(PX * PY * PZ);
  const im = new Float32Array(PX * PY * PZ);
  for (let Z = 0; Z < PZ; Z++) {
    const z = Math.min(nz - 1, Math.max(0, Z - pz));
    const inside = Z - pz === z;
    const g = randomGain[z]! * randomShare;
    for (let Y = 0; Y < PY; Y++) {
      const y = Math.min(ny - 1, Math.max(0, Y - py));
      for (let X = 0; X < PX; X++) {
        const x = Math.min(nx - 1, Math.max(0, X - px));
        const i = x + nx * y + columns * z;
        const o = X + PX * (Y + PY * Z);
        const a = echo.amplitude[i]!;
        let r = a * steadyShare;
        let q = 0;
        if (randomShare > 0) {
          r += a * g * speckleRng.normal();
          q += a * g * speckleRng.normal();
        }
        if (inside) {
          r += echo.coherent.re[i]!;
          q += echo.coherent.im[i]!;
        }
        re[o] = r;
        im[o] = q;
      }
    }
  }
  const field = convolveSeparableValid({ re, im }, opts.shape, [px, py, pz], kx, ky, kz);

  // Attenuation (per tissue, round trip), noise, TGC, envelope.
  const att = opts.attenuationDbPerCmMhz;
  const alphaByLabel = [att.gel, att.dermis, att.fat, att.fascia, att.fat, att.fascia, att.muscle];
  const dbPerVoxel = alphaByLabel.map((a) =>
    2 * a * opts.frequencyMhz * (dz / 10) * opts.attenuation
  );
  const tgcRng = rng.fork("tgc");
  const jitter = smoothCurve(tgcRng, nz, dz, 6, 40, 6);
  const tgcDb = new Float64Array(nz);
  for (let z = 0; z < nz; z++) {
    tgcDb[z] = 2 * att.tgc * opts.frequencyMhz * ((z * dz) / 10) * opts.attenuation +
      opts.tgcJitterDb * jitter[z]!;
  }
  const noiseRng = rng.fork("noise");
  const noiseSd = opts.noise * Math.SQRT1_2;
  const tgcGain = new Float64Array(nz);
  for (let z = 0; z < nz; z++) tgcGain[z] = Math.pow(10, tgcDb[z]! / 20);
  // Amplitude factor over half a voxel of each tissue (the loss to a voxel's centre).
  const halfStep = dbPerVoxel.map((db) => Math.pow(10, -db / 40));
  const envelope = new Float32Array(n);
  for (let c = 0; c < columns; c++) {
    let a = 1;
    for (let z = 0; z < nz; z++) {
      const i = c + columns * z;
      const h = halfStep[labels[i]!]!;
      a *= h; // to the centre of this voxel
      let r = field.re[i]! * a;
      let q = field.im[i]! * a;
      a *= h;
      if (noiseSd > 0) {
        r += noiseSd * noiseRng.normal();
        q += noiseSd * noiseRng.normal();
      }
      envelope[i] = Math.sqrt(r * r + q * q) * tgcGain[z]!;
    }
  }

  // Log compression to the displayed dynamic range, optional 8-bit quantisation.
  const image = new Float32Array(n);
  const dr = opts.dynamicRangeDb;
  for (let i = 0; i < n; i++) {
    const db = 20 * Math.log10(Math.max(envelope[i]!, 1e-12)) + opts.gainDb;
    let v = 1 + db / dr;
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    image[i] = opts.quantize ? Math.round(v * 255) / 255 : v;
  }
  return { image, envelope };
}
