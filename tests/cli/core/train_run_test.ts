import assert from "node:assert/strict";
import { readRunConfig, readRunSplit, RUN_FILES } from "../../../cli/core/run_config.ts";
import { trainRun, type TrainRunOptions } from "../../../cli/core/train_run.ts";
import { writeTinyDataset } from "../_fixture.ts";

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
