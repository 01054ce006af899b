import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { PatchGANDiscriminator } from "../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { UNet } from "../../networks/unet.ts";
import type { ProgressEvent } from "../../trainers/fit.ts";
import { GRN, type GRNOptions } from "../../trainers/grn.ts";
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
  const result = await grn.fit(sources(), {
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
  const result = await grn.fit(sources(), {
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
  await straight.fit(sources(), options);

  const dir = await Deno.makeTempDir();
  const interrupted = trainer();
  await assert.rejects(
    () =>
      interrupted.fit(sources(), {
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
  const result = await resumed.fit(sources(), { ...options, checkpointDir: dir, resume: true });
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
    () => grn.fit(sources(), { batchSize: 0 }),
    /batchSize must be a positive integer \(got 0\)/,
  );
  const { labeled } = sources();
  await assert.rejects(
    () => grn.fit({ labeled }, { progress: false }),
    /an unlabeled source with at least one item is required/,
  );
  grn.dispose();
  const seg = new GRN({
    segmentor: new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: CLASSES }),
  });
  await assert.rejects(
    () => seg.fit(sources(), { selectOn: "sge" }),
    /the trainer has no generator/,
  );
  seg.dispose();
});
