import assert from "node:assert/strict";
import { Rng } from "../../../engine/rng.ts";
import { generatePhantomScan, type PhantomScan } from "../../../data/phantom/generate_scan.ts";
import {
  LAYER_WAVINESS,
  type PhantomOptions,
  THICKNESS_LAYERS,
} from "../../../data/phantom/options.ts";
import { drawParticipant } from "../../../data/phantom/participant.ts";
import { cnr, columnCounts, labelStats } from "./_measure.ts";

const SMALL: [number, number, number] = [24, 24, 128];

function scanOf(seed: number, options: PhantomOptions = {}): PhantomScan {
  const rng = new Rng(seed);
  const opts = { shape: SMALL, ...options };
  return generatePhantomScan(drawParticipant(rng, opts), opts, rng);
}

function bytesEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("generatePhantomScan gives identical bytes for the same seed and differs otherwise", () => {
  const a = scanOf(21);
  const b = scanOf(21);
  const c = scanOf(22);
  assert.ok(bytesEqual(a.image.data, b.image.data), "same seed, same image");
  assert.ok(bytesEqual(a.labels.data, b.labels.data), "same seed, same labels");
  assert.ok(!bytesEqual(a.image.data, c.image.data), "other seed, other image");
  assert.ok(!bytesEqual(a.labels.data, c.labels.data), "other seed, other labels");
  // The generator is advanced: two scans of one participant differ in their boundaries.
  const rng = new Rng(4);
  const p = drawParticipant(rng, { shape: SMALL });
  const s0 = generatePhantomScan(p, { shape: SMALL, scanIndex: 0 }, rng);
  const s1 = generatePhantomScan(p, { shape: SMALL, scanIndex: 1 }, rng);
  assert.ok(!bytesEqual(s0.labels.data, s1.labels.data));
  assert.equal(s0.id, "p00_s00");
  assert.equal(s1.id, "p00_s01");
  assert.equal(s1.participantId, "p00");
  assert.equal(s1.participant, p);
});

Deno.test("generatePhantomScan returns image and label volumes with the same geometry", () => {
  const s = scanOf(1, { shape: [20, 12, 100], spacing: [0.5, 0.25, 0.35] });
  for (const v of [s.image, s.labels]) {
    assert.deepEqual(v.shape, [20, 12, 100]);
    assert.deepEqual(v.spacing, [0.5, 0.25, 0.35]);
    assert.deepEqual(v.affine, [[0.5, 0, 0, 0], [0, 0.25, 0, 0], [0, 0, 0.35, 0], [0, 0, 0, 1]]);
    assert.equal(v.depthAxis, 2);
    assert.equal(v.data.length, 20 * 12 * 100);
  }
  assert.ok(s.image.data instanceof Float32Array);
  assert.ok(s.labels.data instanceof Uint8Array);
  assert.equal(s.envelope, undefined);
  // Quantised to k / 255 in [0, 1].
  for (const v of s.image.data) {
    assert.ok(v >= 0 && v <= 1);
    assert.ok(Math.abs(v * 255 - Math.round(v * 255)) < 1e-4);
  }
});

Deno.test("every depth column runs 0?, 1, 2, 3, 4, 5, 6 from the skin to the muscle", () => {
  for (
    const [seed, options] of [[2, {}], [3, { waviness: 3 }], [4, { standoffMm: [0, 0] }]] as const
  ) {
    const s = scanOf(seed, options as PhantomOptions);
    const [nx, ny, nz] = s.labels.shape;
    const columns = nx * ny;
    for (let c = 0; c < columns; c++) {
      const seen = new Set<number>();
      let previous = -1;
      for (let z = 0; z < nz; z++) {
        const l = s.labels.data[c + columns * z]!;
        assert.ok(l >= previous, `column ${c}: label ${l} after ${previous} at z=${z}`);
        assert.ok(
          l === previous || l === previous + 1 || previous === -1,
          `column ${c} skips a layer`,
        );
        previous = l;
        seen.add(l);
      }
      for (let l = 1; l <= 6; l++) assert.ok(seen.has(l), `column ${c} lacks layer ${l}`);
      assert.equal(s.labels.data[c], seed === 4 ? 1 : 0, "gel above the skin unless standoff is 0");
    }
  }
});

Deno.test("per-column layer thicknesses follow the participant's parameters", () => {
  const rng = new Rng(9);
  const p = drawParticipant(rng, { shape: SMALL });
  const dz = 0.3;
  for (let k = 0; k < 3; k++) {
    const s = generatePhantomScan(p, { shape: SMALL, scanIndex: k }, rng);
    THICKNESS_LAYERS.forEach((layer, i) => {
      const t = p.thicknessMm[layer];
      const a = LAYER_WAVINESS[layer];
      const lo = Math.max(1.02 * dz, t * 0.92 * (1 - a)) - dz;
      const hi = t * 1.08 * (1 + a) + dz;
      const counts = columnCounts(s.labels, i + 1);
      let mean = 0;
      for (const n of counts) {
        const mm = n * dz;
        assert.ok(mm > lo && mm < hi, `${layer}: ${mm} mm outside (${lo}, ${hi})`);
        mean += mm / counts.length;
      }
      // The scan's mean thickness stays within the per-scan jitter (8%) plus rasterisation.
      assert.ok(Math.abs(mean - t) <= 0.08 * t + a * t * 0.5 + dz, `${layer} mean ${mean} vs ${t}`);
    });
    // The membranes are 2-5 voxels thick on average at the default spacing.
    for (const label of [3, 5]) {
      const counts = columnCounts(s.labels, label);
      const mean = counts.reduce((x, y) => x + y, 0) / counts.length;
      assert.ok(mean >= 1.5 && mean <= 5.5, `label ${label}: ${mean} voxels`);
    }
  }
});

Deno.test("the envelope of homogeneous tissue has Rayleigh speckle (mean/sd = 1.91)", () => {
  const homogeneous: PhantomOptions = {
    shape: [32, 32, 128],
    structure: 0,
    noise: 0,
    attenuation: 0,
    tgcJitterDb: 0,
    keepEnvelope: true,
  };
  const snr = (speckle: number) => {
    const s = scanOf(31, { ...homogeneous, speckle });
    const env = s.envelope!;
    const [nx, ny, nz] = env.shape;
    const columns = nx * ny;
    const dfmBottom = Math.max(...s.boundariesMm[5]!);
    const z0 = Math.ceil(dfmBottom / 0.3) + 4;
    assert.ok(nz - z0 >= 10, `too little muscle (${nz - z0} slices)`);
    let ratio = 0;
    for (let z = z0; z < nz; z++) {
      let m = 0, m2 = 0;
      for (let c = 0; c < columns; c++) {
        const v = env.data[c + columns * z]!;
        m += v;
        m2 += v * v;
      }
      m /= columns;
      ratio += m / Math.sqrt(Math.max(1e-30, m2 / columns - m * m));
    }
    return ratio / (nz - z0);
  };
  const rayleigh = snr(1);
  assert.ok(Math.abs(rayleigh - 1.91) < 0.08, `mean/sd ${rayleigh}`);
  const partial = snr(0.5);
  const none = snr(0);
  assert.ok(partial > rayleigh + 0.15, `speckle 0.5 gives ${partial}`);
  assert.ok(none > 20, `speckle 0 gives ${none}`);
});

Deno.test("fascial membranes are brighter than the fat around them", () => {
  // At the nominal resolution and noise: the default difficulty blurs the 2-5 voxel membranes
  // into their neighbours, which is what makes them hard to segment.
  for (const seed of [41, 42, 43]) {
    const s = scanOf(seed, { psfScale: 1, noise: 0.0002 });
    const mean = (l: number) => labelStats(s.image.data, s.labels.data, l).mean;
    assert.ok(
      mean(3) > mean(2) + 0.02,
      `seed ${seed}: SFM ${mean(3)} vs superficial fat ${mean(2)}`,
    );
    assert.ok(mean(3) > mean(4) + 0.02, `seed ${seed}: SFM ${mean(3)} vs deep fat ${mean(4)}`);
    assert.ok(mean(5) > mean(4) + 0.05, `seed ${seed}: DFM ${mean(5)} vs deep fat ${mean(4)}`);
    assert.ok(mean(5) > mean(6) + 0.05, `seed ${seed}: DFM ${mean(5)} vs muscle ${mean(6)}`);
    assert.ok(mean(1) > mean(2) + 0.1, `seed ${seed}: dermis ${mean(1)} vs fat ${mean(2)}`);
  }
});

Deno.test("difficulty knobs change the image as documented", () => {
  const base = scanOf(51);
  const fasciaCnr = (s: PhantomScan) => cnr(s.image.data, s.labels.data, 5, 4);
  // Same seed: the knobs change the image but never the labels.
  const noisy = scanOf(51, { noise: 0.01 });
  assert.ok(bytesEqual(noisy.labels.data, base.labels.data));
  assert.ok(
    fasciaCnr(noisy) < fasciaCnr(base) - 0.1,
    `noise: ${fasciaCnr(noisy)} vs ${fasciaCnr(base)}`,
  );
  const flat = scanOf(51, { contrast: 0.3 });
  assert.ok(
    fasciaCnr(flat) < fasciaCnr(base) - 0.1,
    `contrast: ${fasciaCnr(flat)} vs ${fasciaCnr(base)}`,
  );
  const strong = scanOf(51, { contrast: 1.5 });
  assert.ok(
    fasciaCnr(strong) > fasciaCnr(base),
    `contrast: ${fasciaCnr(strong)} vs ${fasciaCnr(base)}`,
  );
  // Contrast 0 with no structure: every tissue has the same mean echo.
  const equal = scanOf(51, { contrast: 0, structure: 0, attenuation: 0, tgcJitterDb: 0 });
  const m = (l: number) => labelStats(equal.image.data, equal.labels.data, l).mean;
  assert.ok(
    Math.abs(m(2) - m(6)) < 0.02 && Math.abs(m(4) - m(6)) < 0.02,
    `${m(2)} ${m(4)} ${m(6)}`,
  );
  // Boundary blur: a wider PSF makes neighbouring depth samples more alike.
  const lagCorrelation = (s: PhantomScan) => {
    const d = s.image.data;
    const plane = s.image.shape[0] * s.image.shape[1];
    let sxy = 0, sxx = 0, mean = 0;
    for (let i = 0; i < d.length; i++) mean += d[i]! / d.length;
    for (let i = 0; i + plane < d.length; i++) {
      sxy += (d[i]! - mean) * (d[i + plane]! - mean);
      sxx += (d[i]! - mean) ** 2;
    }
    return sxy / sxx;
  };
  const sharp = scanOf(51, { psfScale: 1 });
  const blurred = scanOf(51, { psfScale: 2 });
  assert.ok(lagCorrelation(blurred) > lagCorrelation(sharp) + 0.1);
  assert.ok(lagCorrelation(base) > lagCorrelation(sharp), "the default psfScale blurs");
  // Structure 0 removes the septa and lobules: the inside of the superficial fat becomes uniform.
  const clean: PhantomOptions = { speckle: 0, noise: 0, attenuation: 0, tgcJitterDb: 0 };
  const plain = scanOf(51, { ...clean, structure: 0 });
  const textured = scanOf(51, clean);
  const interiorFatVariance = (s: PhantomScan) => {
    const plane = s.labels.shape[0] * s.labels.shape[1];
    const l = s.labels.data;
    let m = 0, m2 = 0, n = 0;
    for (let i = 3 * plane; i + 3 * plane < l.length; i++) {
      if (l[i] !== 2 || l[i - 3 * plane] !== 2 || l[i + 3 * plane] !== 2) continue;
      const v = s.image.data[i]!;
      m += v;
      m2 += v * v;
      n++;
    }
    assert.ok(n > 100, `only ${n} interior fat voxels`);
    return m2 / n - (m / n) ** 2;
  };
  const vPlain = interiorFatVariance(plain);
  const vTextured = interiorFatVariance(textured);
  assert.ok(vPlain < 0.25 * vTextured, `${vPlain} vs ${vTextured}`);
});

Deno.test("generatePhantomScan rejects a participant too deep for the volume", () => {
  const rng = new Rng(1);
  const p = drawParticipant(rng);
  assert.throws(
    () => generatePhantomScan(p, { shape: [8, 8, 16] }, rng),
    (e: unknown) =>
      e instanceof RangeError && /^Cannot generate phantom scan: .*p00/.test(e.message),
  );
  assert.throws(() => generatePhantomScan(p, { scanIndex: -1 }, rng), /scanIndex/);
});
