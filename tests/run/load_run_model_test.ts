import assert from "node:assert/strict";
import { loadRunModel } from "../../run/load_run_model.ts";
import { RUN_FILES } from "../../run/run_config.ts";
import { trainRun } from "../../run/train_run.ts";
import { writeTinyDataset } from "./_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
await writeTinyDataset(`${dir}/ds`);
const run = `${dir}/gan`;
const summary = await trainRun({
  dataset: `${dir}/ds`,
  method: "supervised-gan-aug",
  out: run,
  fraction: 1,
  test: 2,
  validation: 1,
  inputSize: [32, 32],
  every: 4,
  networks: { width: 4, depth: 2, generatorWidth: 4, discriminatorWidth: 4 },
  epochs: 2,
  iterationsPerEpoch: 1,
  batchSize: 2,
  backend: "wasm",
  progress: false,
});

function weights(values: Iterable<{ dataSync(): ArrayLike<number> }>): number[] {
  return [...values].flatMap((v) => Array.from(v.dataSync()));
}

Deno.test("trainRun() runs a staged method stage by stage into sub-folders", async () => {
  // The GAN stage's epochs come on top of the segmentor's full budget.
  assert.deepEqual(summary.stages, [{ name: "gan", epochs: 1 }, { name: "segmentor", epochs: 2 }]);
  assert.equal(summary.epochs, 3);
  for (
    const f of ["gan/last.ckpt", "segmentor/best.ckpt", "segmentor/history.json", RUN_FILES.model]
  ) {
    assert.ok((await Deno.stat(`${run}/${f}`)).isFile, f);
  }
});

Deno.test("loadRunModel() restores model.ckpt, a stage checkpoint, or the stage's best", async () => {
  const a = await loadRunModel(run);
  assert.equal(a.checkpoint, `${run}/${RUN_FILES.model}`);
  assert.equal(a.method.name, "supervised-gan-aug");
  assert.equal(a.method.hasGenerator, true);
  const fromModel = weights(a.method.trainer.segmentor.trainableVariables);
  a.method.dispose();

  const b = await loadRunModel(`${run}/segmentor/best.ckpt`);
  assert.equal(b.dir, run, "a stage checkpoint finds the run's config one folder up");
  assert.deepEqual(weights(b.method.trainer.segmentor.trainableVariables), fromModel);
  b.method.dispose();

  await Deno.rename(`${run}/${RUN_FILES.model}`, `${dir}/model.bak`);
  try {
    const c = await loadRunModel(run);
    assert.equal(c.checkpoint, `${run}/segmentor/${RUN_FILES.best}`);
    c.method.dispose();
  } finally {
    await Deno.rename(`${dir}/model.bak`, `${run}/${RUN_FILES.model}`);
  }
});

Deno.test("loadRunModel() names what is missing", async () => {
  await assert.rejects(() => loadRunModel(`${dir}/none`), /no such run folder or checkpoint/);
  await assert.rejects(() => loadRunModel(`${dir}/ds`), /not a run folder \(got no config\.json\)/);
  await assert.rejects(
    () => loadRunModel(`${dir}/ds/dataset.json`),
    /expected a run folder or a \.ckpt file/,
  );
  const empty = `${dir}/empty-run`;
  await Deno.mkdir(empty);
  await Deno.copyFile(`${run}/${RUN_FILES.config}`, `${empty}/${RUN_FILES.config}`);
  await assert.rejects(() => loadRunModel(empty), /no checkpoint .*train it first/);
  const config = JSON.parse(await Deno.readTextFile(`${empty}/${RUN_FILES.config}`));
  delete config.methodOptions;
  await Deno.writeTextFile(`${empty}/${RUN_FILES.config}`, JSON.stringify(config));
  await assert.rejects(() => loadRunModel(empty), /has no methodOptions .*older grn/);
});
