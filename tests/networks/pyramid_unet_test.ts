import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { PyramidUNet } from "../../networks/pyramid_unet.ts";
import { isMultiScaleSegmentor } from "../../networks/segmentor.ts";
import { UNet } from "../../networks/unet.ts";
import { contractInput, segmentorContract } from "../_contracts.ts";

const tiny = { channels: [4, 8, 8, 16, 16], numClasses: 3 };

segmentorContract("PyramidUNet", (seed) => new PyramidUNet({ ...tiny, seed }), {
  height: 32,
  width: 16,
  badSize: [24, 16],
  badSizeMessage:
    /Cannot run PyramidUNet on 24x16: .*multiples of 16 \(nearest sizes: 16x16, 32x16\)/,
  zeroGradientInTraining: (name) => /\.conv[12]\.bias$/.test(name),
});

function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** Largest difference inside `block` x `block` tiles (0 when each tile is constant). */
function tileSpread(v: Float32Array, shape: number[], block: number): number {
  const [b, h, w, c] = shape as [number, number, number, number];
  let spread = 0;
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const at = (yy: number, xx: number) => v[((n * h + yy) * w + xx) * c + k]!;
          const corner = at(y - (y % block), x - (x % block));
          spread = Math.max(spread, Math.abs(at(y, x) - corner));
        }
      }
    }
  }
  return spread;
}

Deno.test("PyramidUNet returns [main, 1/2, 1/4, 1/8] at input resolution, main = apply()", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const net = new PyramidUNet({ ...tiny, seed: 2 });
  const x = contractInput(2, 32, 32, 1, 3);
  try {
    assert.ok(isMultiScaleSegmentor(net));
    assert.equal(net.numScales, 4);
    const outs = net.applyPyramid(x);
    assert.equal(outs.length, 4);
    for (const o of outs) assert.deepEqual(o.shape, [2, 32, 32, 3]);
    const main = net.apply(x);
    assert.deepEqual(await values(outs[0]!), await values(main));
    // Nearest upsampling: the 1/s head is constant on s x s tiles, not on larger ones.
    for (const [k, s] of [[1, 2], [2, 4], [3, 8]] as const) {
      const v = await values(outs[k]!);
      assert.equal(tileSpread(v, outs[k]!.shape, s), 0, `head 1/${s} constant on ${s}x${s}`);
      assert.ok(
        tileSpread(v, outs[k]!.shape, 2 * s) > 0,
        `head 1/${s} varies on ${2 * s}x${2 * s}`,
      );
    }
    assert.ok(tileSpread(await values(main), main.shape, 2) > 0, "main is full resolution");
    tf.dispose([...outs, main]);
  } finally {
    x.dispose();
    net.dispose();
  }
});

Deno.test("PyramidUNet perturbs the auxiliary heads in training mode only", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  // No encoder dropout: the main path is deterministic in training mode, the heads are not.
  const net = new PyramidUNet({ ...tiny, dropout: [0, 0, 0, 0, 0], seed: 5 });
  const x = contractInput(2, 64, 32, 1, 7);
  const run = async (training: boolean, rng?: Rng) => {
    const outs = net.applyPyramid(x, { training, ...(rng ? { rng } : {}) });
    const v = await Promise.all(outs.map(values));
    tf.dispose(outs);
    return v;
  };
  try {
    const [i1, i2] = [await run(false), await run(false)];
    assert.deepEqual(i1, i2, "inference is deterministic");
    const t = [await run(true), await run(true), await run(true), await run(true)];
    for (const later of t.slice(1)) assert.deepEqual(later[0], t[0]![0], "main unperturbed");
    // Dropout (1/8) and noise (1/2) change every pass; FeatureDropout (1/4) changes when the
    // drawn factor moves the threshold across a location's activation.
    assert.notDeepEqual(t[1]![3], t[0]![3], "1/8 head is perturbed");
    assert.notDeepEqual(t[1]![1], t[0]![1], "1/2 head is perturbed");
    assert.ok(t.slice(1).some((later) => relativeChange(later[2]!, t[0]![2]!) > 0), "1/4 head");
    assert.deepEqual(await run(true, new Rng(3)), await run(true, new Rng(3)), "seeded");
  } finally {
    x.dispose();
    net.dispose();
  }
});

Deno.test("PyramidUNet adds three 3x3 heads to the UNet's parameters", () => {
  const unet = new UNet();
  const pyramid = new PyramidUNet();
  try {
    const count = (n: UNet) => n.trainableVariables.reduce((s, v) => s + v.size, 0);
    const heads = [32, 64, 128].reduce((s, c) => s + 9 * c * 7 + 7, 0);
    assert.equal(count(pyramid), count(unet) + heads);
    assert.equal(count(pyramid), 1_958_892);
    assert.equal(pyramid.name, "pyramid_unet");
    assert.deepEqual(pyramid.variableNames.slice(0, unet.variableNames.length), unet.variableNames);
  } finally {
    unet.dispose();
    pyramid.dispose();
  }
});

Deno.test("PyramidUNet rejects fewer than 5 levels and bad perturbation settings", () => {
  assert.throws(
    () => new PyramidUNet({ channels: [4, 8, 16, 32], dropout: [0, 0, 0, 0] }),
    /Cannot create PyramidUNet: channels must list at least 5 levels/,
  );
  assert.throws(() => new PyramidUNet({ auxDropout: 1 }), /auxDropout must be in \[0, 1\)/);
  assert.throws(
    () => new PyramidUNet({ featureDropoutRange: [0.9, 0.7] }),
    /featureDropoutRange must satisfy 0 <= low <= high <= 1 \(got \[0.9,0.7\]\)/,
  );
});
