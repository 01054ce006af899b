import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import type { ConsistencyLoss } from "../../losses/consistency_loss.ts";
import { InterpolationConsistency } from "../../losses/interpolation_consistency.ts";
import { PatchGANDiscriminator } from "../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { UNet } from "../../networks/unet.ts";
import { GRN, type GRNOptions, type SegmentationFeedback } from "../../trainers/grn.ts";
import { toyBands } from "../_toy_data.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SIZE = 16, CLASSES = 3, BATCH = 4;

function networks(seed = 1) {
  return {
    segmentor: new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: CLASSES, seed }),
    generator: new ResUNetGenerator({ ngf: 4, downsamplings: 2, seed: seed + 1 }),
    discriminator: new PatchGANDiscriminator({ ndf: 4, nLayers: 1, seed: seed + 2 }),
  };
}

function trainer(options: Partial<GRNOptions> = {}, seed = 1): GRN {
  return new GRN({ ...networks(seed), seed: 7, ...options });
}

const data = toyBands(8, SIZE, CLASSES, 3);
function batch(offset: number, labelShift = 0) {
  const px = SIZE * SIZE;
  const idx = Array.from({ length: BATCH }, (_, k) => (offset + k) % data.n);
  const img = new Float32Array(BATCH * px), lab = new Int32Array(BATCH * px);
  idx.forEach((j, k) => {
    img.set(data.images.subarray(j * px, (j + 1) * px), k * px);
    for (let p = 0; p < px; p++) {
      lab[k * px + p] = (data.labels[j * px + p]! + labelShift) % CLASSES;
    }
  });
  return {
    images: tf.tensor4d(img, [BATCH, SIZE, SIZE, 1]),
    labels: tf.tensor3d(lab, [BATCH, SIZE, SIZE], "int32"),
  };
}

function weights(t: GRN, prefix: string): Float32Array[] {
  return [...t.namedState()].filter(([n]) => n.startsWith(prefix + "/")).map(([, v]) =>
    v.dataSync() as Float32Array
  );
}

function same(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length &&
    a.every((x, i) => x.length === b[i]!.length && x.every((v, k) => v === b[i]![k]));
}

Deno.test("GRN-SEL (Algorithm 1): every loss is finite and the segmentation loss falls", () => {
  const grn = trainer({ mode: "sel", adam: { learningRate: 3e-3 } });
  const first: number[] = [], last: number[] = [];
  for (let i = 0; i < 24; i++) {
    const b = batch(i * BATCH);
    const l = grn.step(b);
    for (const v of Object.values(l)) assert.ok(Number.isFinite(v), JSON.stringify(l));
    assert.ok(
      l.lossG !== undefined && l.lossD !== undefined && l.diceFake !== undefined &&
        l.adv !== undefined,
    );
    if (i < 3) first.push(l.diceReal!);
    if (i >= 21) last.push(l.diceReal!);
    tf.dispose([b.images, b.labels]);
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(mean(last) < mean(first) - 0.05, `Dice loss ${mean(first)} -> ${mean(last)}`);
  grn.dispose();
});

Deno.test("GRN-SSL (Algorithm 2) with ICT: both phases run and the segmentation loss falls", () => {
  const grn = trainer({ mode: "ssl", adam: { learningRate: 3e-3 } });
  assert.equal(grn.consistency?.name, "ict");
  const first: number[] = [], last: number[] = [];
  for (let i = 0; i < 24; i++) {
    const b = batch(i * BATCH), u = batch(i * BATCH + 2);
    const l = grn.step(b, { images: u.images });
    for (const v of Object.values(l)) assert.ok(Number.isFinite(v), JSON.stringify(l));
    assert.ok(
      l.lossDUnlabeled !== undefined && l.consistencyG !== undefined &&
        l.consistencyFake !== undefined,
    );
    assert.equal(l.adv, undefined, "no adversarial term in the labeled phase of GRN-SSL");
    if (i < 3) first.push(l.diceReal!);
    if (i >= 21) last.push(l.diceReal!);
    tf.dispose([b.images, b.labels, u.images, u.labels]);
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(mean(last) < mean(first) - 0.05, `Dice loss ${mean(first)} -> ${mean(last)}`);
  grn.dispose();
});

/** One SEL step from identical starting points with two different label maps. */
function oneStep(feedback: SegmentationFeedback, labelShift: number) {
  const grn = trainer({ mode: "sel", feedback });
  const b = batch(0, labelShift);
  grn.step(b);
  const out = { G: weights(grn, "G"), S: weights(grn, "S"), D: weights(grn, "D") };
  tf.dispose([b.images, b.labels]);
  grn.dispose();
  return out;
}

Deno.test("GRN feedback 'none': the generator's update does not depend on the labels", () => {
  const a = oneStep("none", 0), b = oneStep("none", 1);
  assert.ok(same(a.G, b.G), "G must get exactly zero gradient from the Dice term");
  assert.ok(!same(a.S, b.S), "S still learns from the labels");
  const c = oneStep("joint", 0), d = oneStep("joint", 1);
  assert.ok(!same(c.G, d.G), "with joint feedback the Dice gradient reaches G through S");
});

Deno.test("GRN feedback modes differ exactly where their definitions say", () => {
  const joint = oneStep("joint", 0);
  const frozen = oneStep("frozen-segmentor", 0);
  const negated = oneStep("negated", 0);
  const none = oneStep("none", 0);
  assert.ok(same(joint.G, frozen.G), "freezing S does not change G's gradient");
  assert.ok(!same(joint.S, frozen.S), "joint: S also receives L_G's gradient");
  assert.ok(same(frozen.S, negated.S), "negated: S is held fixed during L_G, like frozen");
  assert.ok(!same(joint.G, negated.G) && !same(joint.G, none.G));
  assert.ok(same(joint.D, none.D), "D's update does not depend on the feedback mode");
});

Deno.test("GRN step leaks no tensors over 10 SSL iterations", () => {
  const grn = trainer({ mode: "ssl" });
  const b = batch(0), u = batch(2);
  grn.step(b, { images: u.images });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) grn.step(b, { images: u.images });
  assert.equal(tf.memory().numTensors, before, "tensors leaked by GRN.step");
  tf.dispose([b.images, b.labels, u.images, u.labels]);
  const live = tf.memory().numTensors;
  grn.dispose();
  assert.ok(tf.memory().numTensors < live, "dispose frees the networks and optimizers");
  grn.dispose();
});

Deno.test("GRN stepAsync: the same losses and weights as step, no tensor leak, also on errors", async () => {
  const sync = trainer({ mode: "ssl" }), async_ = trainer({ mode: "ssl" });
  const b = batch(0), u = batch(2);
  await async_.stepAsync(b, { images: u.images });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const fromAsync = await async_.stepAsync(b, { images: u.images });
    assert.equal(tf.memory().numTensors, before, `tensors leaked by GRN.stepAsync (step ${i})`);
    const fromSync = sync.step(b, { images: u.images });
    if (i === 0) sync.step(b, { images: u.images }); // catch up with async_'s first step
    else assert.deepEqual(fromAsync, fromSync, `step ${i}: the same loss values`);
  }
  assert.ok(same(weights(async_, "S"), weights(sync, "S")), "the same segmentor weights");
  assert.ok(same(weights(async_, "G"), weights(sync, "G")), "the same generator weights");
  const bad = tf.fill([BATCH, SIZE, SIZE, 1], NaN) as tf.Tensor4D;
  const count = tf.memory().numTensors;
  await assert.rejects(
    () => async_.stepAsync({ images: bad, labels: b.labels }, { images: u.images }),
    /Cannot train on the labeled batch: images must be finite/,
  );
  await assert.rejects(
    () => async_.stepAsync(b),
    /Cannot run a GRN-SSL iteration: an unlabeled batch is required \(got none\)/,
  );
  assert.equal(tf.memory().numTensors, count, "tensors leaked by a refused stepAsync");
  tf.dispose([bad, b.images, b.labels, u.images, u.labels]);
  sync.dispose();
  async_.dispose();
});

Deno.test("GRN resume: 4 steps straight equal 2 steps, checkpoint, restore into a new trainer, 2 steps", async () => {
  const dir = await Deno.makeTempDir();
  const run = (grn: GRN, from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      const b = batch(i * BATCH), u = batch(i * BATCH + 1);
      grn.step(b, { images: u.images });
      tf.dispose([b.images, b.labels, u.images, u.labels]);
    }
  };
  const straight = trainer({ mode: "ssl" });
  run(straight, 0, 4);
  const first = trainer({ mode: "ssl" });
  run(first, 0, 2);
  await first.save(`${dir}/mid.ckpt`, { note: "half way" });
  first.dispose();
  const second = trainer({ mode: "ssl" }, 99); // different init: everything must come from the file
  const extra = await second.restore(`${dir}/mid.ckpt`);
  assert.deepEqual(extra, { note: "half way" });
  assert.equal(second.iteration, 2);
  run(second, 2, 2);
  for (const prefix of ["G", "S", "D", "S.adam"]) {
    assert.ok(
      same(weights(straight, prefix), weights(second, prefix)),
      `${prefix} differs after resume`,
    );
  }
  straight.dispose();
  second.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("GRN.predict(): S(x), SGE S(G(x)), and clear errors", () => {
  const grn = trainer();
  const b = batch(0);
  const plain = grn.predict(b.images), sge = grn.predict(b.images, { sge: true });
  assert.deepEqual(plain.shape, [BATCH, SIZE, SIZE, CLASSES]);
  assert.deepEqual(sge.shape, [BATCH, SIZE, SIZE, CLASSES]);
  const expected = tf.tidy(() =>
    grn.segmentor.apply(grn.generator!.apply(b.images), { training: false })
  );
  assert.equal(tf.max(tf.abs(tf.sub(sge, expected))).dataSync()[0], 0);
  tf.dispose([plain, sge, expected]);
  const noG = new GRN({ segmentor: networks().segmentor });
  assert.throws(
    () => noG.predict(b.images, { sge: true }),
    /Cannot predict with SGE: this trainer has no generator/,
  );
  noG.dispose();
  assert.throws(
    () => grn.step({ images: b.images, labels: tf.zeros([BATCH, 8, 8], "int32") as tf.Tensor3D }),
    /labels must be \[batch, height, width\] matching images/,
  );
  const ssl = trainer({ mode: "ssl" });
  assert.throws(() => ssl.step(b), /an unlabeled batch is required/);
  ssl.dispose();
  tf.dispose([b.images, b.labels]);
  grn.dispose();
});

Deno.test("GRN refuses a consistency loss whose requirements the segmentor cannot meet", () => {
  const pyramidLoss: ConsistencyLoss = {
    name: "needs-pyramid",
    requires: ["pyramid"],
    compute: () => tf.scalar(0),
  };
  const nets = networks();
  assert.throws(
    () => new GRN({ ...nets, mode: "ssl", consistency: pyramidLoss }),
    /consistency loss "needs-pyramid" needs a multi-scale segmentor with pyramid outputs/,
  );
  nets.segmentor.dispose();
  nets.generator.dispose();
  nets.discriminator.dispose();
  assert.throws(
    () => trainer({ feedback: "sideways" as SegmentationFeedback }),
    /feedback must be one of joint, none, negated, frozen-segmentor/,
  );
});

Deno.test("GRN train flags freeze exactly the networks they name", () => {
  const before = (t: GRN) => ({ G: weights(t, "G"), S: weights(t, "S"), D: weights(t, "D") });
  const stepOnce = (train: GRNOptions["train"]) => {
    const grn = trainer({ mode: "sel", train });
    const start = before(grn);
    const b = batch(0);
    const l = grn.step(b);
    tf.dispose([b.images, b.labels]);
    const end = before(grn);
    grn.dispose();
    return { start, end, l };
  };
  const frozenG = stepOnce({ generator: false, discriminator: false });
  assert.ok(same(frozenG.start.G, frozenG.end.G) && same(frozenG.start.D, frozenG.end.D));
  assert.ok(!same(frozenG.start.S, frozenG.end.S));
  assert.ok(
    Number.isFinite(frozenG.l.diceFake!),
    "S still trains on the frozen generator's images",
  );
  const frozenS = stepOnce({ segmentor: false });
  assert.ok(same(frozenS.start.S, frozenS.end.S) && !same(frozenS.start.G, frozenS.end.G));
  assert.equal(frozenS.l.lossS, undefined);
});

Deno.test("GRN combined unlabeled phase: one segmentor update on L_sup + w(t)·L_cus", () => {
  const segmentor = networks().segmentor;
  const grn = new GRN({
    segmentor,
    mode: "ssl",
    unlabeledPhase: "combined",
    consistencyWeight: (t) => 0.5 + t,
  });
  const b = batch(0), u = batch(2);
  const l = grn.step(b, { images: u.images });
  assert.equal(l.consistencyWeight, 0.5);
  assert.ok(Number.isFinite(l.consistencyReal!) && Number.isFinite(l.lossS!));
  assert.ok(Math.abs(l.lossS! - (l.diceReal! + 0.5 * l.consistencyReal!)) < 1e-5);
  assert.equal(l.lossSUnlabeled, undefined, "no separate unlabeled update");
  tf.dispose([b.images, b.labels, u.images, u.labels]);
  grn.dispose();
  const nets = networks();
  assert.throws(
    () => new GRN({ ...nets, mode: "ssl", unlabeledPhase: "combined" }),
    /needs generator: null/,
  );
});

Deno.test("GRN supervisedLoss 'dice-ce' and plug-in hooks (supervised override, a part's auxiliaryStep)", () => {
  const calls = { supervised: 0, auxiliary: 0 };
  const plugin: ConsistencyLoss = {
    name: "probe",
    requires: [],
    compute: ({ images, predict }) =>
      tf.tidy(() => tf.mean(tf.square(tf.softmax(predict(images))))),
    supervised: (ctx) => {
      calls.supervised++;
      return tf.tidy(() => tf.mul(ctx.baseLoss(ctx.predict(ctx.images), ctx.labels), 2));
    },
    parts: [{
      auxiliaryStep: (ctx) => {
        calls.auxiliary++;
        assert.equal(ctx.labeled.images.shape[0], BATCH);
        return { lossAux: 0.25 };
      },
    }],
  };
  const grn = new GRN({
    segmentor: networks().segmentor,
    mode: "ssl",
    consistency: plugin,
    supervisedLoss: "dice-ce",
  });
  const b = batch(0), u = batch(2);
  const l = grn.step(b, { images: u.images });
  assert.equal(calls.supervised, 1);
  assert.equal(calls.auxiliary, 1);
  assert.equal(l.lossAux, 0.25);
  assert.ok(l.diceReal! > 0 && Number.isFinite(l.diceReal!));
  tf.dispose([b.images, b.labels, u.images, u.labels]);
  grn.dispose();
  assert.throws(
    () => new GRN({ segmentor: networks().segmentor, supervisedLoss: "focal" as "dice" }),
    /supervisedLoss must be "dice", "dice-ce" or a function \(got "focal"\)/,
  );
});

/** Copies of the trainable weights of one network (`"G"`, `"S"` or `"D"`). */
function trainable(t: GRN, key: string): Float32Array[] {
  const module = key === "G" ? t.generator! : key === "S" ? t.segmentor : t.discriminator!;
  return module.trainableVariables.map((v) => (v.dataSync() as Float32Array).slice());
}

Deno.test("GRN learningRateSchedule scales the rate of G, S and D from the step", () => {
  const halved = trainer({ mode: "ssl", learningRateSchedule: () => 0.5 });
  const direct = trainer({ mode: "ssl", adam: { learningRate: 1e-4 } });
  // Full rate for step 0, then 0: the second step must leave every weight where it was.
  const stopped = trainer({ mode: "ssl", learningRateSchedule: (t) => (t === 0 ? 1 : 0) });
  const b = batch(0), u = batch(2);
  let afterFirst: Float32Array[][] = [];
  for (let i = 0; i < 2; i++) {
    const l = halved.step(b, { images: u.images });
    assert.equal(l.learningRate, 1e-4);
    assert.equal(direct.step(b, { images: u.images }).learningRate, 1e-4);
    assert.equal(stopped.step(b, { images: u.images }).learningRate, i === 0 ? 2e-4 : 0);
    if (i === 0) afterFirst = ["G", "S", "D"].map((k) => trainable(stopped, k));
  }
  for (const k of ["G", "S", "D"]) {
    assert.ok(same(weights(halved, k), weights(direct, k)), `${k}: lr·0.5 = lr/2`);
  }
  // (Batch-norm running statistics still move: they are not optimizer-updated.)
  ["G", "S", "D"].forEach((k, i) => {
    assert.ok(same(trainable(stopped, k), afterFirst[i]!), `${k} moved at rate 0`);
  });
  const bad = trainer({ mode: "sel", learningRateSchedule: () => NaN });
  assert.throws(
    () => bad.step(b),
    /learning-rate schedule must return a finite factor >= 0 \(got NaN at step 0\)/,
  );
  tf.dispose([b.images, b.labels, u.images, u.labels]);
  for (const t of [halved, direct, stopped, bad]) t.dispose();
});

Deno.test("GRN-SSL's default ICT draws one λ and one permutation per iteration for its three terms", () => {
  const count = (grn: GRN) => {
    const counts = { beta: 0, permutation: 0 };
    const rng = grn.rng;
    const beta = rng.beta.bind(rng), permutation = rng.permutation.bind(rng);
    rng.beta = (a: number, c: number) => (counts.beta++, beta(a, c));
    rng.permutation = (n: number) => (counts.permutation++, permutation(n));
    return counts;
  };
  const b = batch(0), u = batch(2);
  const shared = trainer({ mode: "ssl" });
  const sharedCounts = count(shared);
  for (let i = 0; i < 2; i++) {
    const l = shared.step(b, { images: u.images });
    assert.ok(l.consistencyG !== undefined && l.consistencyFake !== undefined);
    assert.ok(l.consistencyReal !== undefined);
    assert.deepEqual(sharedCounts, { beta: i + 1, permutation: i + 1 });
  }
  const perImage = trainer({
    mode: "ssl",
    consistency: new InterpolationConsistency({ sampling: "image" }),
  });
  const perImageCounts = count(perImage);
  perImage.step(b, { images: u.images });
  // G term, S(x) term, S(G(x)) term: three pairings, one λ per image each.
  assert.deepEqual(perImageCounts, { beta: 3 * BATCH, permutation: 3 });
  tf.dispose([b.images, b.labels, u.images, u.labels]);
  shared.dispose();
  perImage.dispose();
});

Deno.test("GRN segmentorUpdatesPerIteration: 2 for GRN-SSL, 1 for SEL and combined, 0 frozen", () => {
  const cases: [Partial<GRNOptions>, number][] = [
    [{ mode: "ssl" }, 2],
    [{ mode: "sel" }, 1],
    [{ mode: "sel", train: { segmentor: false } }, 0],
    [{ mode: "ssl", generator: null, unlabeledPhase: "combined" }, 1],
    [{ mode: "ssl", generator: null }, 2],
  ];
  for (const [options, updates] of cases) {
    const grn = trainer(options);
    assert.equal(grn.segmentorUpdatesPerIteration, updates, JSON.stringify(options));
    grn.dispose();
  }
});
