import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { diceLoss } from "../../losses/dice_loss.ts";
import { consistencyLossNames, createConsistencyLoss } from "../../losses/consistency_registry.ts";
import { PatchGANDiscriminator } from "../../networks/patchgan_discriminator.ts";
import { PyramidUNet } from "../../networks/pyramid_unet.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { UNet } from "../../networks/unet.ts";
import { GRN } from "../../trainers/grn.ts";
import type { Method, MethodOptions, MethodProgressEvent } from "../../trainers/method.ts";
import { createMethod, methodNames } from "../../trainers/method_registry.ts";
import { toyBands, ToySource } from "../_toy_data.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SIZE = 16, CLASSES = 3, BATCH = 4;

const TINY: MethodOptions = {
  numClasses: CLASSES,
  seed: 1,
  unet: { channels: [4, 8], dropout: [0.1, 0.1] },
  generator: { ngf: 4, downsamplings: 2 },
  discriminator: { ndf: 4, nLayers: 1 },
  auxiliaryDiscriminator: { ndf: 4, nLayers: 2 },
  adam: { learningRate: 3e-3 },
};

/** Per-method tweaks: URPC's pyramid needs 5 levels. */
function optionsFor(name: string): MethodOptions {
  if (name.endsWith("urpc")) {
    return { ...TINY, unet: { channels: [4, 4, 8, 8, 8], dropout: [0.1, 0.1, 0.1, 0.1, 0.1] } };
  }
  return TINY;
}

const labeledData = toyBands(8, SIZE, CLASSES, 3);
const unlabeledData = toyBands(8, SIZE, CLASSES, 4);
const validationData = toyBands(4, SIZE, CLASSES, 5);

function fixedBatch() {
  const n = BATCH * SIZE * SIZE;
  return {
    images: tf.tensor4d(labeledData.images.subarray(0, n), [BATCH, SIZE, SIZE, 1]),
    labels: tf.tensor3d(labeledData.labels.subarray(0, n), [BATCH, SIZE, SIZE], "int32"),
  };
}

/** Dice loss of the evaluated segmentor on a fixed batch, training-mode pass, fixed dropout. */
function trainModeDice(method: Method, b: ReturnType<typeof fixedBatch>): number {
  return tf.tidy(() =>
    diceLoss(
      method.trainer.segmentor.apply(b.images, { training: true, rng: new Rng(5) }),
      b.labels,
    ).dataSync()[0]!
  );
}

for (const name of methodNames()) {
  Deno.test(`method ${name}: trains with finite losses, falling supervised loss, no leak`, async () => {
    const method = createMethod(name, optionsFor(name));
    const b = fixedBatch();
    const before = trainModeDice(method, b);
    const counts = new Map<string, number[]>();
    const twoStages = method.stages.length > 1;
    const result = await method.fit({
      labeled: new ToySource(labeledData, 1),
      unlabeled: new ToySource(unlabeledData, 2, false),
      validation: new ToySource(validationData, 3),
    }, {
      maxEpochs: twoStages ? 4 : 2,
      iterationsPerEpoch: 3,
      batchSize: BATCH,
      patience: 0,
      progress: (e: MethodProgressEvent) => {
        if (e.kind !== "step") return;
        const key = `${e.stage}/${e.epoch}`;
        counts.set(key, [...(counts.get(key) ?? []), tf.memory().numTensors]);
      },
    });
    const after = trainModeDice(method, b);
    for (const stage of result.stages) {
      for (const epoch of stage.result.history) {
        for (const [k, v] of Object.entries(epoch.train)) {
          assert.ok(Number.isFinite(v), `${name} ${stage.name} epoch ${epoch.epoch}: ${k} = ${v}`);
        }
      }
    }
    // After the warm-up epoch, every step of an epoch ends with the same number of tensors.
    const flat = [...counts].filter(([k]) => !k.endsWith("/1"));
    assert.ok(flat.length > 0);
    for (const [key, c] of flat) assert.ok(c.every((v) => v === c[0]), `${name} ${key}: ${c}`);
    assert.ok(after < before - 0.02, `${name}: Dice loss ${before} -> ${after}`);
    tf.dispose([b.images, b.labels]);
    method.dispose();
  });
}

function batches(i: number) {
  const px = SIZE * SIZE;
  const pick = (data: typeof labeledData, offset: number) => {
    const img = new Float32Array(BATCH * px), lab = new Int32Array(BATCH * px);
    for (let k = 0; k < BATCH; k++) {
      const j = (offset + k) % data.n;
      img.set(data.images.subarray(j * px, (j + 1) * px), k * px);
      lab.set(data.labels.subarray(j * px, (j + 1) * px), k * px);
    }
    return {
      images: tf.tensor4d(img, [BATCH, SIZE, SIZE, 1]),
      labels: tf.tensor3d(lab, [BATCH, SIZE, SIZE], "int32"),
    };
  };
  return { labeled: pick(labeledData, 3 * i), unlabeled: pick(unlabeledData, 5 * i) };
}

function run(trainer: GRN, from: number, count: number) {
  for (let i = from; i < from + count; i++) {
    const { labeled, unlabeled } = batches(i);
    trainer.step(labeled, { images: unlabeled.images });
    tf.dispose([labeled.images, labeled.labels, unlabeled.images, unlabeled.labels]);
  }
}

function state(trainer: GRN, prefix: string): Map<string, Float32Array> {
  return new Map(
    [...trainer.namedState()].filter(([n]) => n.startsWith(prefix)).map((
      [n, v],
    ) => [n, v.dataSync() as Float32Array]),
  );
}

for (const [name, prefix] of [["mt", "consistency.mt/S/"], ["dan", "consistency.dan/D"]]) {
  Deno.test(`method ${name}: GRN.save/restore carries the plug-in's state (exact resume)`, async () => {
    const dir = await Deno.makeTempDir();
    const straight = createMethod(name!, TINY);
    run(straight.trainer, 0, 4);
    const first = createMethod(name!, TINY);
    run(first.trainer, 0, 2);
    await first.trainer.save(`${dir}/mid.ckpt`);
    first.dispose();
    const second = createMethod(name!, { ...TINY, seed: 9 }); // everything must come from the file
    await second.trainer.restore(`${dir}/mid.ckpt`);
    run(second.trainer, 2, 2);
    const plugin = state(straight.trainer, prefix!);
    assert.ok(plugin.size > 0, `${name}: no ${prefix} variables in the checkpoint state`);
    for (const p of ["S/", prefix!]) {
      const a = state(straight.trainer, p), b = state(second.trainer, p);
      assert.deepEqual([...a.keys()], [...b.keys()]);
      for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${name}: ${k} differs after resume`);
    }
    straight.dispose();
    second.dispose();
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("method supervised-gan-aug: stage 1 trains G and D only, stage 2 S only on x and G(x)", () => {
  const method = createMethod("supervised-gan-aug", TINY);
  assert.deepEqual(method.stages.map((s) => [s.name, s.validate]), [
    ["gan", false],
    ["segmentor", true],
  ]);
  // The GAN stage's epochs come on top: the segmentor gets the supervised baseline's budget.
  assert.deepEqual(method.stageEpochs(50), [25, 50]);
  assert.deepEqual(method.stageEpochs(3), [2, 3]);
  assert.deepEqual(method.stageEpochs(1), [1, 1]);
  const [gan, seg] = method.stages.map((s) => s.trainer);
  assert.equal(gan!.generator, seg!.generator, "stage 2 uses the stage-1 generator");
  assert.equal(gan!.segmentor, seg!.segmentor);
  const snap = (t: GRN) => ({ G: state(t, "G/"), S: state(t, "S/"), D: state(gan!, "D/") });
  const same = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
    [...a].every(([k, v]) => b.get(k)!.every((x, i) => x === v[i]));
  const s0 = snap(gan!);
  run(gan!, 0, 1);
  const s1 = snap(gan!);
  assert.ok(same(s0.S, s1.S) && !same(s0.G, s1.G) && !same(s0.D, s1.D));
  const { labeled } = batches(1);
  const losses = seg!.step(labeled);
  tf.dispose([labeled.images, labeled.labels]);
  const s2 = snap(seg!);
  assert.ok(same(s1.G, s2.G) && same(s1.D, s2.D) && !same(s1.S, s2.S));
  assert.ok(Number.isFinite(losses.diceFake!), "S trains on the reconstructions too");
  assert.equal(losses.lossG, undefined);
  method.dispose();
});

Deno.test("Method.fit: plans the ramps for the run and needs unlabeled data where used", async () => {
  const method = createMethod("mt", TINY);
  assert.equal(method.plannedIterations, 30000, "30000 before fit()");
  const weights: number[] = [];
  await assert.rejects(
    () => method.fit({ labeled: new ToySource(labeledData, 1) }, { progress: false }),
    /Cannot train method "mt": it needs an unlabeled source/,
  );
  await method.fit({
    labeled: new ToySource(labeledData, 1),
    unlabeled: new ToySource(unlabeledData, 2, false),
  }, {
    maxEpochs: 1,
    iterationsPerEpoch: 2,
    progress: (e) => {
      if (e.kind === "step") weights.push(e.losses.consistencyWeight!);
    },
  });
  assert.equal(method.plannedIterations, 2);
  // The ramp spans rampFraction 0.4 of the 2 planned iterations: P = 0.8/200, so
  // w(t) = 0.1·sigmoidRampup(floor(t / 0.004), 200): t = 0 → 0.1·e^-5, t = 1 → 0.1
  // (progress events carry running means over the epoch).
  const w0 = 0.1 * Math.exp(-5), w1 = 0.1;
  assert.ok(Math.abs(weights[0]! - w0) < 1e-9, `${weights[0]}`);
  assert.ok(Math.abs(weights[1]! - (w0 + w1) / 2) < 1e-9, `${weights[1]}`);
  method.dispose();
  const fixed = createMethod("mt", { ...TINY, plannedIterations: 1234 });
  assert.equal(fixed.plannedIterations, 1234);
  fixed.dispose();
});

Deno.test("every consistency plug-in but SASSNet runs as GRN-SSL's L_customize", () => {
  const nets = (pyramid: boolean) => ({
    segmentor: pyramid
      ? new PyramidUNet({ channels: [2, 2, 4, 4, 4], numClasses: CLASSES, seed: 1 })
      : new UNet({ channels: [4, 8], dropout: [0.1, 0.1], numClasses: CLASSES, seed: 1 }),
    generator: new ResUNetGenerator({ ngf: 4, downsamplings: 2, seed: 2 }),
    discriminator: new PatchGANDiscriminator({ ndf: 4, nLayers: 1, seed: 3 }),
  });
  for (const name of consistencyLossNames().slice(0, 7)) {
    const loss = createConsistencyLoss(name, {
      discriminator: { ndf: 4, nLayers: 2 },
      passes: 2,
    });
    if (name === "sassnet") {
      const n = nets(false);
      assert.throws(
        () => new GRN({ ...n, mode: "ssl", consistency: loss }),
        /needs a segmentor with a signed-distance head/,
      );
      for (const m of Object.values(n)) m.dispose();
      continue;
    }
    const grn = new GRN({ ...nets(name === "urpc"), mode: "ssl", consistency: loss });
    for (let i = 0; i < 2; i++) {
      const { labeled, unlabeled } = batches(i);
      const l = grn.step(labeled, { images: unlabeled.images });
      for (const [k, v] of Object.entries(l)) {
        assert.ok(Number.isFinite(v), `${name}: ${k} = ${v}`);
      }
      assert.ok(l.consistencyG !== undefined && l.consistencyFake !== undefined, name);
      tf.dispose([labeled.images, labeled.labels, unlabeled.images, unlabeled.labels]);
    }
    grn.dispose();
  }
});

Deno.test("Method.fit: a ramped baseline is neither selected nor stopped before full weight", async () => {
  // A rate so small the weights never change: validation never improves after the first
  // eligible epoch, so without the ramp rule patience 1 would stop the run at epoch 2.
  const method = createMethod("mt", {
    ...TINY,
    adam: { learningRate: 1e-30 },
    rampFraction: 0.5,
  });
  const result = await method.fit({
    labeled: new ToySource(labeledData, 1),
    unlabeled: new ToySource(unlabeledData, 2, false),
    validation: new ToySource(validationData, 3),
  }, { maxEpochs: 10, iterationsPerEpoch: 2, batchSize: BATCH, patience: 1, progress: false });
  // Ramp over 0.5 × 20 = 10 iterations: iteration 10, the first at λ, opens epoch 6.
  assert.equal(result.selectFromEpoch, 6);
  assert.equal(method.selectFromEpoch(method.stages[0]!, 10), 6);
  assert.equal(result.bestEpoch, 6);
  assert.equal(result.history.length, 7, "patience counts from epoch 6");
  const w = result.history.map((h) => h.consistencyWeight!);
  assert.ok(w[4]! < 0.1, `still ramping in epoch 5 (${w[4]})`);
  assert.equal(w[5], 0.1, "the selected epoch ends at the full weight");
  assert.equal(w[6], 0.1);
  method.dispose();
  // Methods without a ramp select from epoch 1.
  for (const name of ["supervised", "grn-ssl"]) {
    const m = createMethod(name, TINY);
    assert.equal(m.selectFromEpoch(m.stages[0]!, 10), 1, name);
    m.dispose();
  }
});

Deno.test("Method equalSegmentorUpdates: one-update methods run twice the iterations of GRN-SSL", async () => {
  const data = () => ({
    labeled: new ToySource(labeledData, 1),
    unlabeled: new ToySource(unlabeledData, 2, false),
  });
  const iterations: Record<string, number> = {};
  for (const name of ["mt", "supervised", "grn-ssl"]) {
    const method = createMethod(name, { ...TINY, equalSegmentorUpdates: true });
    const result = await method.fit(data(), {
      maxEpochs: 1,
      iterationsPerEpoch: 2,
      batchSize: BATCH,
      progress: false,
    });
    iterations[name] = result.history[0]!.iterations;
    // Segmentor updates per epoch: iterations × updates per iteration.
    assert.equal(iterations[name]! * method.trainer.segmentorUpdatesPerIteration, 4, name);
    assert.equal(method.trainer.iteration, iterations[name], name);
    if (name === "mt") assert.equal(method.plannedIterations, 4, "ramps plan the doubled run");
    method.dispose();
  }
  assert.deepEqual(iterations, { mt: 4, supervised: 4, "grn-ssl": 2 });
  const plain = createMethod("mt", TINY);
  assert.equal(plain.stageIterationsPerEpoch(plain.stages[0]!, 2), 2, "off by default");
  plain.dispose();
  assert.throws(
    () => createMethod("mt", { equalSegmentorUpdates: "yes" as unknown as boolean }),
    /equalSegmentorUpdates must be a boolean \(got "yes"\)/,
  );
  assert.throws(
    () => createMethod("mt", { lrSchedule: "cosine" as "poly" }),
    /lrSchedule must be one of "none", "step", "poly" \(got "cosine"\)/,
  );
});

Deno.test("Method lrSchedule: step and poly reach every trainer, planned per stage", async () => {
  const data = () => ({
    labeled: new ToySource(labeledData, 1),
    unlabeled: new ToySource(unlabeledData, 2, false),
  });
  const rates = async (name: string, lrSchedule: "none" | "step" | "poly", epochs: number) => {
    const method = createMethod(name, { ...TINY, lrSchedule, adam: { learningRate: 1e-3 } });
    const seen: number[] = [];
    let previous = 0;
    await method.fit(data(), {
      maxEpochs: epochs,
      iterationsPerEpoch: 2,
      batchSize: BATCH,
      patience: 0,
      progress: (e) => {
        if (e.kind !== "step") return;
        // Progress carries running means over the epoch; recover each step's rate.
        const sum = e.losses.learningRate! * e.iteration;
        seen.push(e.iteration === 1 ? sum : sum - previous);
        previous = sum;
      },
    });
    method.dispose();
    return seen;
  };
  const near = (a: number[], b: number[]) => {
    assert.equal(a.length, b.length);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `${a} != ${b}`));
  };
  near(await rates("mt", "none", 2), [1e-3, 1e-3, 1e-3, 1e-3]);
  // poly over the 4 planned iterations: (1 - t/4)^0.9.
  near(await rates("mt", "poly", 2), [0, 1, 2, 3].map((t) => 1e-3 * Math.pow(1 - t / 4, 0.9)));
  // step: StepLR(10 epochs, 0.1) on G, S and D of GRN-SSL: epoch 11 runs at a tenth.
  near(await rates("grn-ssl", "step", 11), [...new Array(20).fill(1e-3), 1e-4, 1e-4]);
});
