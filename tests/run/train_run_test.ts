import assert from "node:assert/strict";
import { readCheckpoint } from "../../engine/checkpoint.ts";
import { loadRunModel } from "../../run/load_run_model.ts";
import { readRunConfig, readRunSplit, RUN_FILES } from "../../run/run_config.ts";
import { DatasetChangedError, readRunFingerprint } from "../../run/run_fingerprint.ts";
import { trainRun, type TrainRunOptions } from "../../run/train_run.ts";
import { datasetFingerprint } from "../../data/dataset_fingerprint.ts";
import { writeTinyDataset } from "./_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const dataset = `${dir}/ds`;
await writeTinyDataset(dataset);

function tiny(method: string, out: string): TrainRunOptions {
  return {
    dataset,
    method,
    out,
    fraction: 0.5,
    seed: 2,
    test: 2,
    validation: 1,
    inputSize: [32, 32],
    every: 4,
    networks: { width: 4, depth: 2, generatorWidth: 4, discriminatorWidth: 4 },
    epochs: 1,
    iterationsPerEpoch: 2,
    batchSize: 2,
    backend: "wasm",
    progress: false,
  };
}

Deno.test("trainRun() gives every method the same split and labeled subset", async () => {
  const a = await trainRun(tiny("supervised", `${dir}/sup`));
  const b = await trainRun(tiny("grn-ssl", `${dir}/ssl`));
  const sa = await readRunSplit(`${dir}/sup`);
  const sb = await readRunSplit(`${dir}/ssl`);
  assert.deepEqual(sa.scans, sb.scans);
  assert.deepEqual(sa.participants, sb.participants);
  assert.deepEqual(sa.labeledParticipants, sb.labeledParticipants);
  assert.equal(sa.participants.test.length, 2);
  assert.equal(sa.participants.validation.length, 1);
  assert.equal(sa.labeledParticipants.length, 1); // round(0.5 * 2) = 1 of 2 training participants
  assert.equal(sa.unlabeledSource, "none");
  assert.equal(sb.unlabeledSource, "pool");
  assert.ok(b.slices.unlabeled > 0);
  assert.equal(a.slices.labeled, b.slices.labeled);
  for (const f of [RUN_FILES.config, RUN_FILES.model, RUN_FILES.history, RUN_FILES.train]) {
    assert.ok((await Deno.stat(`${dir}/ssl/${f}`)).isFile, f);
  }
  const config = await readRunConfig(`${dir}/ssl`);
  assert.equal(config.method, "grn-ssl");
  assert.equal(config.splitSeed, 2, "the split seed defaults to the seed");
  assert.equal(config.dataset.name, "LumbarPhantom");
  assert.equal(config.engine.used?.backend, "wasm");
  // Another split seed moves participants between the sides.
  const c = await trainRun({ ...tiny("supervised", `${dir}/other`), splitSeed: 11 });
  const sc = await readRunSplit(`${dir}/other`);
  assert.equal(c.participants.test, 2);
  assert.notDeepEqual(sc.participants, sa.participants);
});

Deno.test("trainRun() resumes a run with more epochs and rejects conflicting options", async () => {
  const out = `${dir}/resume`;
  const first = await trainRun(tiny("grn-sel", out));
  assert.equal(first.epochs, 1);
  assert.equal(first.resumed, false);
  await assert.rejects(
    () => trainRun(tiny("grn-sel", out)),
    /Cannot train into .*already holds a run/,
  );
  await assert.rejects(
    () => trainRun({ out, resume: true, method: "supervised" }),
    /Cannot resume .*--method differs from the run's \(got "supervised", run has "grn-sel"\)/,
  );
  const second = await trainRun({ out, resume: true, epochs: 2, progress: false });
  assert.equal(second.resumed, true);
  assert.equal(second.epochs, 2);
  const history = JSON.parse(await Deno.readTextFile(`${out}/${RUN_FILES.history}`));
  assert.deepEqual(history.map((e: { epoch: number }) => e.epoch), [1, 2]);
  assert.equal((await readRunConfig(out)).training.epochs, 2);
});

Deno.test("trainRun() with fraction 1 feeds an SSL method the labeled images as unlabeled", async () => {
  const r = await trainRun({ ...tiny("grn-ssl", `${dir}/full`), fraction: 1 });
  const split = await readRunSplit(`${dir}/full`);
  assert.equal(split.unlabeledSource, "labeled-images");
  assert.deepEqual(split.scans.unlabeled, []);
  assert.equal(r.slices.unlabeled, r.slices.labeled);
});

Deno.test("trainRun() saves the S(x)- and S(G(x))-selected models and records both and w(t)", async () => {
  const out = `${dir}/selection`;
  const ssl = await trainRun({ ...tiny("grn-ssl", out), epochs: 3 });
  const history = JSON.parse(await Deno.readTextFile(`${out}/${RUN_FILES.history}`));
  const argmin = (xs: number[]) => xs.indexOf(Math.min(...xs)) + 1;
  type Record = { validation: { diceLoss: number }; validationSge: { diceLoss: number } };
  assert.equal(ssl.bestEpoch, argmin(history.map((h: Record) => h.validation.diceLoss)));
  assert.ok(ssl.sge !== null);
  assert.equal(ssl.sge.bestEpoch, argmin(history.map((h: Record) => h.validationSge.diceLoss)));
  assert.equal(ssl.sge.model, `${out}/${RUN_FILES.modelSge}`);
  assert.equal(ssl.consistencyWeight, 1, "GRN-SSL's constant weight");
  assert.equal(ssl.selectFromEpoch, 1);
  const stored = JSON.parse(await Deno.readTextFile(`${out}/${RUN_FILES.train}`));
  assert.deepEqual(stored.sge, ssl.sge);
  assert.equal(stored.consistencyWeight, 1);
  // model.ckpt holds best.ckpt's networks, model_sge.ckpt best_sge.ckpt's.
  for (
    const [model, best] of [[RUN_FILES.model, RUN_FILES.best], [
      RUN_FILES.modelSge,
      "best_sge.ckpt",
    ]]
  ) {
    const a = await readCheckpoint(`${out}/${model}`), b = await readCheckpoint(`${out}/${best}`);
    for (const [name, t] of b.tensors) {
      if (name.startsWith("S/") || name.startsWith("G/")) {
        assert.deepEqual(a.tensors.get(name)!.data, t.data, `${model}: ${name}`);
      }
    }
  }
  const plain = await loadRunModel(out), sge = await loadRunModel(out, { sge: true });
  assert.equal(plain.checkpoint, `${out}/${RUN_FILES.model}`);
  assert.equal(sge.checkpoint, `${out}/${RUN_FILES.modelSge}`);
  plain.method.dispose();
  sge.method.dispose();

  // A ramped baseline: selected at full weight, with the options stored in config.json.
  const mt = await trainRun({
    ...tiny("mt", `${dir}/ramped`),
    epochs: 4,
    methodOptions: { rampFraction: 0.5, lrSchedule: "poly" },
  });
  // Ramp over 0.5 × 4 × 2 = 4 iterations: iteration 4 opens epoch 3.
  assert.equal(mt.selectFromEpoch, 3);
  assert.ok(mt.bestEpoch >= 3);
  assert.equal(mt.consistencyWeight, 0.1);
  assert.equal(mt.sge, null);
  const config = await readRunConfig(`${dir}/ramped`);
  assert.equal(config.methodOptions.lrSchedule, "poly");
  assert.equal(config.methodOptions.rampFraction, 0.5);
});

Deno.test("trainRun() records its split's dataset fingerprint; a resume on changed data is refused naming the file, unless allowChangedData", async () => {
  const ds = `${dir}/fp-ds`;
  await writeTinyDataset(ds, 3);
  await writeTinyDataset(`${dir}/fp-other`, 4); // same ids and shapes, other content
  const out = `${dir}/fp`;
  await trainRun({ ...tiny("supervised", out), dataset: ds });
  const split = await readRunSplit(out);
  const recorded = await readRunFingerprint(out);
  assert.ok(recorded !== null, `${RUN_FILES.fingerprint} written`);
  const ids = [...split.scans.train, ...split.scans.validation, ...split.scans.test];
  assert.deepEqual(Object.keys(recorded.scans).sort(), ids.sort());
  assert.equal(ids.length, 5);
  assert.equal(recorded.hash, (await datasetFingerprint(ds, { ids })).hash);
  // The dataset is regenerated under the run: one test scan's image has new content.
  const id = split.scans.test[0]!;
  const image = `imagesTr/${id}_0000.nii.gz`;
  await Deno.copyFile(`${dir}/fp-other/${image}`, `${ds}/${image}`);
  const notes: string[] = [];
  const error = await trainRun({
    out,
    resume: true,
    epochs: 2,
    progress: false,
    log: (l) => notes.push(l),
  }).then(() => null, (e) => e);
  assert.ok(error instanceof DatasetChangedError, String(error));
  assert.match(
    error.message,
    new RegExp(
      `^Cannot resume ${out}: the dataset .*fp-ds changed since the run recorded its ` +
        `fingerprint \\(got 1 change: ${image}: content changed \\(image of scan "${id}"`,
    ),
  );
  assert.ok(
    notes.some((n) => n.startsWith(`grn train: dataset changed: ${image}: content changed`)),
  );
  assert.equal(JSON.parse(await Deno.readTextFile(`${out}/${RUN_FILES.history}`)).length, 1);
  // Allowed: the run continues and records the data it now trains on.
  const resumed = await trainRun({
    out,
    resume: true,
    epochs: 2,
    allowChangedData: true,
    progress: false,
  });
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.epochs, 2);
  assert.equal((await readRunFingerprint(out))?.hash, (await datasetFingerprint(ds, { ids })).hash);
});

Deno.test("trainRun() follows links leaving the dataset folder only with allowExternalLinks; config.json keeps it for --resume", async () => {
  const ds = `${dir}/links-ds`;
  await writeTinyDataset(ds, 3);
  await Deno.mkdir(`${dir}/elsewhere`);
  const image = "imagesTr/p01_s00_0000.nii.gz";
  await Deno.rename(`${ds}/${image}`, `${dir}/elsewhere/p01.nii.gz`);
  await Deno.symlink(`${dir}/elsewhere/p01.nii.gz`, `${ds}/${image}`);
  const out = `${dir}/links`;
  await assert.rejects(
    () => trainRun({ ...tiny("supervised", out), dataset: ds }),
    /p01_s00_0000\.nii\.gz.*symbolic link .*leaves .*allowExternalLinks \(--allow-external-links\)/,
  );
  await trainRun({ ...tiny("supervised", out), dataset: ds, allowExternalLinks: true });
  assert.equal((await readRunConfig(out)).dataset.allowExternalLinks, true);
  assert.ok((await readRunFingerprint(out))?.scans["p01_s00"]?.imageSha256);
  // The resume does not repeat the option: config.json has it.
  const resumed = await trainRun({ out, resume: true, epochs: 2, progress: false });
  assert.equal(resumed.epochs, 2);
});
