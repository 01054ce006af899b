import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { readCheckpoint } from "../../engine/checkpoint.ts";
import { initEngine } from "../../engine/init_engine.ts";
import { PatchGANDiscriminator } from "../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { UNet } from "../../networks/unet.ts";
import { fit, type ProgressEvent } from "../../trainers/fit.ts";
import { GRN, type GRNOptions } from "../../trainers/grn.ts";
import { learningRateFactor } from "../../trainers/schedules.ts";
import { toyBands, ToySource } from "../_toy_data.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SIZE = 16, CLASSES = 3;

function trainer(options: Partial<GRNOptions> = {}, seed = 1): GRN {
  return new GRN({
    segmentor: new UNet({ channels: [4, 8], dropout: [0.1, 0.1], numClasses: CLASSES, seed }),
    generator: new ResUNetGenerator({ ngf: 4, downsamplings: 2, seed: seed + 1 }),
    discriminator: new PatchGANDiscriminator({ ndf: 4, nLayers: 1, seed: seed + 2 }),
    mode: "ssl",
    seed: 5,
    ...options,
  });
}

function sources() {
  return {
    labeled: new ToySource(toyBands(6, SIZE, CLASSES, 1), 11),
    unlabeled: new ToySource(toyBands(10, SIZE, CLASSES, 2), 12, false),
    validation: new ToySource(toyBands(4, SIZE, CLASSES, 3), 13),
  };
}

function stateOf(t: GRN): Float32Array[] {
  return [...t.namedState().values()].map((v) => v.dataSync() as Float32Array);
}

Deno.test("fit() trains epochs, validates, writes checkpoints and history", async () => {
  const dir = await Deno.makeTempDir();
  const grn = trainer();
  const events: ProgressEvent[] = [];
  const result = await fit(grn, sources(), {
    batchSize: 2,
    maxEpochs: 3,
    iterationsPerEpoch: 3,
    checkpointDir: dir,
    progress: (e) => events.push(e),
  });
  assert.equal(result.history.length, 3);
  for (const h of result.history) {
    assert.equal(h.iterations, 3);
    assert.ok(Number.isFinite(h.train.lossS!) && Number.isFinite(h.validation!.diceLoss));
    assert.ok(h.validation!.meanDice >= 0 && h.validation!.meanDice <= 1);
  }
  const losses = result.history.map((h) => h.validation!.diceLoss);
  assert.equal(result.bestValidationLoss, Math.min(...losses));
  assert.equal(result.bestEpoch, losses.indexOf(Math.min(...losses)) + 1);
  assert.equal(events.filter((e) => e.kind === "epoch").length, 3);
  assert.ok(events.some((e) => e.kind === "step" && Number.isFinite(e.etaSeconds)));
  const history = JSON.parse(await Deno.readTextFile(`${dir}/history.json`));
  assert.equal(history.length, 3);
  for (const f of ["last.ckpt", "best.ckpt"]) assert.ok((await Deno.stat(`${dir}/${f}`)).size > 0);
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp")),
    [],
  );
  grn.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fit() stops early after `patience` epochs without improvement", async () => {
  // A learning rate so small that float32 weights never change: validation cannot improve.
  const grn = trainer({ adam: { learningRate: 1e-30 } });
  const result = await fit(grn, sources(), {
    batchSize: 2,
    maxEpochs: 10,
    iterationsPerEpoch: 1,
    patience: 2,
    progress: false,
  });
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.history.length, 3);
  assert.equal(result.bestEpoch, 1);
  grn.dispose();
});

Deno.test("fit() resumes an interrupted run exactly (mid-epoch checkpoint)", async () => {
  const options = {
    batchSize: 2,
    maxEpochs: 2,
    iterationsPerEpoch: 3,
    progress: false,
    restoreBest: false,
  };
  const straight = trainer();
  await fit(straight, sources(), options);

  const dir = await Deno.makeTempDir();
  const interrupted = trainer();
  await assert.rejects(
    () =>
      fit(interrupted, sources(), {
        ...options,
        checkpointDir: dir,
        checkpointEvery: 1,
        progress: (e) => {
          if (e.kind === "step" && e.epoch === 2 && e.iteration === 2) throw new Error("power cut");
        },
      }),
    /power cut/,
  );
  interrupted.dispose();
  const resumed = trainer({}, 42); // different initial weights: all state must come from disk
  const result = await fit(resumed, sources(), { ...options, checkpointDir: dir, resume: true });
  assert.equal(result.resumed, true);
  assert.equal(result.history.length, 2);
  const a = stateOf(straight), b = stateOf(resumed);
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.deepEqual(x, b[i], `tensor ${i} differs after resume`));
  straight.dispose();
  resumed.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fit() rejects bad options with clear messages", async () => {
  const grn = trainer();
  await assert.rejects(
    () => fit(grn, sources(), { batchSize: 0 }),
    /batchSize must be a positive integer \(got 0\)/,
  );
  const { labeled } = sources();
  await assert.rejects(
    () => fit(grn, { labeled }, { progress: false }),
    /an unlabeled source with at least one item is required/,
  );
  grn.dispose();
  const seg = new GRN({
    segmentor: new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: CLASSES }),
  });
  await assert.rejects(
    () => fit(seg, sources(), { selectOn: "sge" }),
    /the trainer has no generator/,
  );
  seg.dispose();
});

/**
 * A trainer whose validation predictions follow a script: after epoch `e` (one iteration per
 * epoch), `S(x)` predicts background with strength `plain[e - 1]` and `S(G(x))` with
 * `sge[e - 1]`; the validation labels are all background, so a higher strength is a lower
 * Dice loss. Training steps are real.
 */
class ScriptedGRN extends GRN {
  constructor(readonly plain: number[], readonly sgeScript: number[]) {
    super({
      segmentor: new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: CLASSES, seed: 1 }),
      generator: new ResUNetGenerator({ ngf: 4, downsamplings: 2, seed: 2 }),
      discriminator: new PatchGANDiscriminator({ ndf: 4, nLayers: 1, seed: 3 }),
      mode: "sel",
      seed: 5,
    });
  }

  override predict(images: tf.Tensor4D, options: { sge?: boolean } = {}): tf.Tensor4D {
    const script = options.sge ? this.sgeScript : this.plain;
    const strength = script[Math.min(this.iteration, script.length) - 1]!;
    const [b, h, w] = images.shape;
    return tf.tidy(() =>
      tf.concat([tf.fill([b, h, w, 1], strength), tf.zeros([b, h, w, CLASSES - 1])], 3)
    ) as tf.Tensor4D;
  }
}

function backgroundValidation(): ToySource {
  const data = toyBands(4, SIZE, CLASSES, 3);
  return new ToySource({ ...data, labels: new Int32Array(data.labels.length) }, 13);
}

async function checkpointEpoch(path: string): Promise<number> {
  const meta = (await readCheckpoint<{ extra: { epoch: number } }>(path)).meta;
  return meta!.extra.epoch;
}

Deno.test("fit() keeps the best S(x) and the best S(G(x)) epoch apart; stops when neither improves", async () => {
  const dir = await Deno.makeTempDir();
  //                       epoch: 1  2  3  4  5  6  7  8
  const grn = new ScriptedGRN([1, 3, 2, 1, 1, 1, 1, 1], [1, 1, 2, 4, 3, 3, 3, 3]);
  const before = tf.memory().numTensors;
  const result = await fit(
    grn,
    { labeled: sources().labeled, validation: backgroundValidation() },
    {
      batchSize: 2,
      maxEpochs: 8,
      iterationsPerEpoch: 1,
      patience: 2,
      checkpointDir: dir,
      selectOn: "sge",
      progress: false,
    },
  );
  assert.equal(result.bestEpoch, 2);
  assert.equal(result.bestSgeEpoch, 4);
  // S(x) alone would stop after epoch 4; the SGE improvement at 4 keeps it going until 6.
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.history.length, 6);
  const losses = result.history.map((h) => h.validation!.diceLoss);
  const sgeLosses = result.history.map((h) => h.validationSge!.diceLoss);
  assert.equal(result.bestValidationLoss, Math.min(...losses));
  assert.equal(result.bestSgeValidationLoss, Math.min(...sgeLosses));
  assert.ok(result.bestSgeValidationLoss < result.bestValidationLoss);
  assert.deepEqual(result.history.map((h) => h.selected ?? []), [
    [],
    ["segmentor"],
    [],
    ["sge"],
    [],
    [],
  ]);
  const history = JSON.parse(await Deno.readTextFile(`${dir}/history.json`));
  assert.deepEqual(history[1].selected, ["segmentor"]);
  assert.deepEqual(history[3].selected, ["sge"]);
  assert.equal(await checkpointEpoch(`${dir}/best.ckpt`), 2);
  assert.equal(await checkpointEpoch(`${dir}/best_sge.ckpt`), 4);
  // selectOn "sge": the trainer ends with the weights of best_sge.ckpt, not best.ckpt.
  const sgeCkpt = await readCheckpoint(`${dir}/best_sge.ckpt`);
  const plainCkpt = await readCheckpoint(`${dir}/best.ckpt`);
  let differs = false;
  for (const [name, v] of grn.namedState()) {
    if (!name.startsWith("S/") && !name.startsWith("G/")) continue;
    assert.deepEqual(v.dataSync(), sgeCkpt.tensors.get(name)!.data, name);
    differs ||= v.dataSync().some((x, i) => x !== plainCkpt.tensors.get(name)!.data[i]);
  }
  assert.ok(differs, "the two selected checkpoints hold different weights");
  assert.equal(tf.memory().numTensors, before, "fit left tensors behind");
  grn.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fit() selectFromEpoch: no selection and no early stop before it", async () => {
  // Never improves after its first eligible epoch: without selectFromEpoch it stops at 2.
  const flat = new ScriptedGRN([1], [1]);
  const data = () => ({ labeled: sources().labeled, validation: backgroundValidation() });
  const options = { batchSize: 2, maxEpochs: 10, iterationsPerEpoch: 1, patience: 1 };
  const early = await fit(flat, data(), { ...options, progress: false });
  assert.equal(early.history.length, 2);
  assert.equal(early.selectFromEpoch, 1);
  flat.dispose();
  const ramped = new ScriptedGRN([1], [1]);
  const late = await fit(ramped, data(), { ...options, selectFromEpoch: 5, progress: false });
  assert.equal(late.selectFromEpoch, 5);
  assert.equal(late.history.length, 6, "runs to the ramp's end, then patience 1");
  assert.equal(late.bestEpoch, 5);
  assert.equal(late.bestSgeEpoch, 5);
  ramped.dispose();
  // The best S(x) epoch (2) lies before selectFromEpoch 3: the best eligible one (3) is kept.
  const peaked = new ScriptedGRN([1, 5, 2, 1, 1], [1, 1, 2, 4, 3]);
  const r = await fit(peaked, data(), { ...options, selectFromEpoch: 3, progress: false });
  assert.deepEqual([r.bestEpoch, r.bestSgeEpoch, r.history.length], [3, 4, 5]);
  peaked.dispose();
  const clamp = new ScriptedGRN([1], [1]);
  const c = await fit(clamp, data(), {
    ...options,
    maxEpochs: 2,
    selectFromEpoch: 9,
    progress: false,
  });
  assert.deepEqual([c.selectFromEpoch, c.bestEpoch, c.history.length], [2, 2, 2]);
  await assert.rejects(
    () => fit(clamp, data(), { ...options, selectFromEpoch: 0, progress: false }),
    /selectFromEpoch must be a positive integer \(got 0\)/,
  );
  clamp.dispose();
});

Deno.test("fit() resumed before selectFromEpoch still selects (JSON stores Infinity as null)", async () => {
  const data = () => ({ labeled: sources().labeled, validation: backgroundValidation() });
  const options = {
    batchSize: 2,
    maxEpochs: 5,
    iterationsPerEpoch: 1,
    patience: 5,
    selectFromEpoch: 3,
  };
  const straight = new ScriptedGRN([1, 1, 5, 2, 1], [1, 1, 1, 4, 3]);
  const full = await fit(straight, data(), { ...options, progress: false });
  straight.dispose();
  assert.deepEqual([full.bestEpoch, full.bestSgeEpoch], [3, 4]);

  const dir = await Deno.makeTempDir();
  const interrupted = new ScriptedGRN([1, 1, 5, 2, 1], [1, 1, 1, 4, 3]);
  await assert.rejects(
    () =>
      fit(interrupted, data(), {
        ...options,
        checkpointDir: dir,
        progress: (e) => {
          if (e.kind === "step" && e.epoch === 2) throw new Error("power cut");
        },
      }),
    /power cut/,
  );
  interrupted.dispose();
  const resumed = new ScriptedGRN([1, 1, 5, 2, 1], [1, 1, 1, 4, 3]);
  const r = await fit(resumed, data(), {
    ...options,
    checkpointDir: dir,
    resume: true,
    progress: false,
  });
  resumed.dispose();
  assert.equal(r.resumed, true);
  assert.deepEqual([r.bestEpoch, r.bestSgeEpoch], [full.bestEpoch, full.bestSgeEpoch]);
  assert.equal(r.bestValidationLoss, full.bestValidationLoss);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fit() resumes exactly under a learning-rate schedule, keeping both selections", async () => {
  // Halve every optimizer's rate each epoch of 3 iterations: the resumed run must pick the
  // rates up from the restored step.
  const schedule = (t: number) =>
    learningRateFactor("step", t, { iterationsPerEpoch: 3, stepEpochs: 1, gamma: 0.5 });
  // selectOn "sge": the weights at the end come from the best S(G(x)) snapshot, which the
  // resumed run must read back from best_sge.ckpt.
  const options = {
    batchSize: 2,
    maxEpochs: 3,
    iterationsPerEpoch: 3,
    selectOn: "sge" as const,
    progress: false,
  };
  const straight = trainer({ learningRateSchedule: schedule });
  const full = await fit(straight, sources(), options);
  assert.deepEqual(full.history.map((h) => h.train.learningRate), [2e-4, 1e-4, 5e-5]);

  const dir = await Deno.makeTempDir();
  const interrupted = trainer({ learningRateSchedule: schedule });
  await assert.rejects(
    () =>
      fit(interrupted, sources(), {
        ...options,
        checkpointDir: dir,
        checkpointEvery: 1,
        progress: (e) => {
          if (e.kind === "step" && e.epoch === 3 && e.iteration === 2) throw new Error("power cut");
        },
      }),
    /power cut/,
  );
  interrupted.dispose();
  const resumed = trainer({ learningRateSchedule: schedule }, 42);
  const result = await fit(resumed, sources(), { ...options, checkpointDir: dir, resume: true });
  assert.equal(result.resumed, true);
  assert.deepEqual(result.history.map((h) => h.train.learningRate), [2e-4, 1e-4, 5e-5]);
  assert.equal(result.bestEpoch, full.bestEpoch);
  assert.equal(result.bestSgeEpoch, full.bestSgeEpoch);
  assert.ok(full.bestSgeEpoch! < 3, "the SGE best predates the interruption (read from disk)");
  assert.deepEqual(
    result.history,
    full.history.map((h, i) => ({
      ...h,
      seconds: result.history[i]!.seconds,
    })),
  );
  const a = stateOf(straight), b = stateOf(resumed);
  a.forEach((x, i) => assert.deepEqual(x, b[i], `tensor ${i} differs after resume`));
  straight.dispose();
  resumed.dispose();
  await Deno.remove(dir, { recursive: true });
});
