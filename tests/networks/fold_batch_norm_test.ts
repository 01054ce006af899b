import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { predictVolume } from "../../data/predict_volume.ts";
import { generatePhantomCohort, phantomToScanRecord } from "../../data/phantom/mod.ts";
import { initEngine } from "../../engine/init_engine.ts";
import { foldBatchNorm } from "../../networks/fold_batch_norm.ts";
import type { ModuleBase } from "../../networks/module_base.ts";
import { PyramidUNet } from "../../networks/pyramid_unet.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { UNet } from "../../networks/unet.ts";
import { assertNoTensorLeak } from "../_helpers.ts";

await initEngine({ backend: "wasm", log: () => {} });

/**
 * Gives every batch norm non-trivial statistics and affine parameters (seeded), so that the
 * fold has something to fold: gamma in [0.5, 1.5], beta and the running mean in [-0.5, 0.5],
 * the running variance in [0.2, 2].
 */
function perturbNorms(net: ModuleBase, seed: number): void {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const ranges: Record<string, [number, number]> = {
    gamma: [0.5, 1.5],
    beta: [-0.5, 0.5],
    runningMean: [-0.5, 0.5],
    runningVariance: [0.2, 2],
  };
  net.variableNames.forEach((name, i) => {
    const range = ranges[name.slice(name.lastIndexOf(".") + 1)];
    if (!range) return;
    const v = net.variables[i]!;
    const values = Float32Array.from(
      { length: v.size },
      () => range[0] + (range[1] - range[0]) * next(),
    );
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  });
}

function snapshot(net: ModuleBase): Float32Array[] {
  return net.variables.map((v) => (v.dataSync() as Float32Array).slice());
}

/** Max |a - b| over the outputs of two networks on the same input. */
function maxDiff(
  a: (x: tf.Tensor4D) => tf.Tensor4D,
  b: (x: tf.Tensor4D) => tf.Tensor4D,
  x: tf.Tensor4D,
) {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a(x), b(x)))).dataSync()[0]!);
}

const input = (shape: [number, number, number, number], seed: number) =>
  tf.randomUniform(shape, -1, 1, "float32", seed) as tf.Tensor4D;

Deno.test("foldBatchNorm: a UNet's folded logits match the unfolded ones, with and without conv biases", () => {
  for (const convBias of [true, false]) {
    const net = new UNet({ channels: [4, 8, 16], dropout: [0.1, 0.2, 0.3], convBias, seed: 3 });
    perturbNorms(net, 7);
    const before = snapshot(net);
    const folded = foldBatchNorm(net);
    try {
      assert.ok(folded instanceof UNet);
      assert.equal(folded.name, "unet_folded");
      assert.equal(folded.config.norm, "none");
      assert.equal(folded.variableNames.some((n) => /norm/.test(n)), false, "no norm left");
      const x = input([3, 32, 16, 1], 1);
      const diff = maxDiff((t) => net.apply(t), (t) => folded.apply(t), x);
      const scale = tf.tidy(() => tf.max(tf.abs(net.apply(x))).dataSync()[0]!);
      x.dispose();
      assert.ok(scale > 0.1, `logits are not trivially small (got ${scale})`);
      assert.ok(diff < 1e-4 * Math.max(1, scale), `convBias ${convBias}: max |diff| ${diff}`);
      // The source is untouched (a pure function of it).
      snapshot(net).forEach((v, i) => assert.deepEqual(v, before[i], net.variableNames[i]));
    } finally {
      folded.dispose();
      net.dispose();
    }
  }
});

Deno.test("foldBatchNorm: the fold is not a plain copy (perturbed norms change the weights)", () => {
  const net = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 2 });
  perturbNorms(net, 5);
  const folded = foldBatchNorm(net, "s");
  try {
    const k = (m: ModuleBase) => m.variables[m.variableNames.indexOf("enc0.conv1.kernel")]!;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(k(net), k(folded)))).dataSync()[0]!);
    assert.ok(diff > 1e-3, `folded kernel differs (got ${diff})`);
    assert.equal(folded.name, "s");
  } finally {
    folded.dispose();
    net.dispose();
  }
});

Deno.test("foldBatchNorm: ResUNetGenerator and PyramidUNet outputs match", () => {
  const g = new ResUNetGenerator({ ngf: 4, downsamplings: 3, bottleneckBlocks: 1, seed: 4 });
  perturbNorms(g, 11);
  const fg = foldBatchNorm(g);
  const p = new PyramidUNet({ channels: [4, 4, 8, 8, 16], dropout: [0, 0, 0, 0, 0], seed: 5 });
  perturbNorms(p, 13);
  const fp = foldBatchNorm(p);
  try {
    assert.ok(fg instanceof ResUNetGenerator);
    assert.ok(fp instanceof PyramidUNet);
    const x = input([2, 32, 32, 1], 2);
    const dg = maxDiff((t) => g.apply(t), (t) => fg.apply(t), x);
    const dp = maxDiff((t) => p.apply(t), (t) => fp.apply(t), x);
    x.dispose();
    assert.ok(dg < 1e-4, `generator max |diff| ${dg}`);
    assert.ok(dp < 1e-4, `pyramid max |diff| ${dp}`);
  } finally {
    for (const m of [fg, g, fp, p]) m.dispose();
  }
});

Deno.test("foldBatchNorm: labels of a phantom scan are identical folded and unfolded, S(x) and S(G(x))", async () => {
  const { scans } = generatePhantomCohort({
    participants: 1,
    scansPerParticipant: 1,
    shape: [12, 10, 64],
    seed: 3,
  });
  const scan = phantomToScanRecord(scans[0]!);
  const s = new UNet({ channels: [8, 16, 32], dropout: [0, 0, 0], seed: 6 });
  const g = new ResUNetGenerator({ ngf: 4, downsamplings: 2, bottleneckBlocks: 1, seed: 7 });
  perturbNorms(s, 17);
  perturbNorms(g, 19);
  const fs = foldBatchNorm(s);
  const fg = foldBatchNorm(g);
  try {
    const options = { inputSize: [64, 16] as const, batchSize: 5 };
    const plain = await predictVolume(scan.image, (x) => s.apply(x), options);
    const plainFolded = await predictVolume(scan.image, (x) => fs.apply(x), options);
    assert.ok(new Set(plain.data).size > 1, "more than one class predicted");
    assert.deepEqual(plainFolded.data, plain.data);
    const sge = await predictVolume(scan.image, (x) => s.apply(g.apply(x)), options);
    const sgeFolded = await predictVolume(scan.image, (x) => fs.apply(fg.apply(x)), options);
    assert.deepEqual(sgeFolded.data, sge.data);
  } finally {
    for (const m of [fs, fg, s, g]) m.dispose();
  }
});

Deno.test("foldBatchNorm: instance norm and disposed networks are refused; no tensor leaks", async () => {
  const inst = new UNet({ channels: [4, 8], dropout: [0, 0], norm: "instance" });
  assert.throws(
    () => foldBatchNorm(inst),
    (e: unknown) =>
      e instanceof RangeError &&
      /^Cannot fold batch norm: instance norm .* \(got norm: "instance" in UNet\)$/.test(e.message),
  );
  inst.dispose();
  const gone = new UNet({ channels: [4, 8], dropout: [0, 0] });
  gone.dispose();
  assert.throws(
    () => foldBatchNorm(gone),
    /^Error: Cannot fold batch norm: UNet "unet" has been disposed$/,
  );
  const none = new UNet({ channels: [4, 8], dropout: [0, 0], norm: "none", seed: 1 });
  const x = input([1, 16, 16, 1], 3);
  await assertNoTensorLeak(() => foldBatchNorm(none).dispose(), 2, "foldBatchNorm");
  const copy = foldBatchNorm(none);
  assert.equal(
    maxDiff((t) => none.apply(t), (t) => copy.apply(t), x),
    0,
    "norm none: a plain copy",
  );
  for (const t of [copy, none, x]) t.dispose();
});
