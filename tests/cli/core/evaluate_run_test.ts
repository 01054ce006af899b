import assert from "node:assert/strict";
import { evaluateRun } from "../../../cli/core/evaluate_run.ts";
import { RUN_FILES } from "../../../cli/core/run_config.ts";
import { trainTinyRun } from "../_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const run = await trainTinyRun(dir);

Deno.test("evaluateRun() scores S(x) only for a method without a generator", async () => {
  const m = await evaluateRun(run, { backend: "wasm", write: false });
  assert.deepEqual(m.variants.map((v) => v.variant), ["plain"]);
  assert.equal(m.sgeVsPlain, null);
  assert.equal(m.split, "test");
  assert.equal(m.scans.length, 2);
  const dice = m.variants[0]!.dice;
  assert.deepEqual(dice.classes, [1, 2, 3, 4, 5, 6]);
  for (const c of dice.perClass) {
    if (c.n > 0) assert.ok(c.mean >= 0 && c.mean <= 1);
    if (c.n === 2) assert.ok(c.lower <= c.mean && c.mean <= c.upper);
  }
  for (const c of m.variants[0]!.hd95.perClass) {
    if (c.n > 0) assert.ok(Number.isFinite(c.mean) && c.mean >= 0, "finite HD95 in mm");
  }
  assert.equal(await Deno.stat(`${run}/${RUN_FILES.metrics}`).then(() => 1, () => 0), 0);
});

Deno.test("evaluateRun() refuses required SGE without a generator", async () => {
  await assert.rejects(
    () => evaluateRun(run, { backend: "wasm", sge: "on" }),
    /Cannot evaluate .* with SGE: method supervised has no generator/,
  );
});

Deno.test("evaluateRun() on the validation split writes its own files", async () => {
  const m = await evaluateRun(run, { backend: "wasm", split: "validation", direction: "coronal" });
  assert.equal(m.split, "validation");
  assert.equal(m.scans.length, 1);
  assert.equal(m.variants[0]!.dice.overall.n, 1);
  assert.ok(Number.isNaN(m.variants[0]!.dice.overall.lower), "no interval from one scan");
  const written = JSON.parse(await Deno.readTextFile(`${run}/metrics.validation.json`));
  assert.equal(written.protocol.direction, "coronal");
  const csv = await Deno.readTextFile(`${run}/scans.validation.csv`);
  assert.equal(csv.trimEnd().split("\n").length, 1 + 6);
});
