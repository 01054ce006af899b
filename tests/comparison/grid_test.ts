import assert from "node:assert/strict";
import {
  applyBenchOverrides,
  BENCH_PRESETS,
  benchCells,
  benchEvaluation,
  benchPreset,
  cellName,
  checkBenchSettings,
  evaluatesValidation,
} from "../../comparison/grid.ts";
import { runMethodOptions } from "../../run/_method_options.ts";
import { initEngine } from "../../engine/init_engine.ts";
import { createMethod } from "../../trainers/method_registry.ts";

Deno.test("cellName() is <method>_f<fraction>_s<seed>, as grn train's default run folder", () => {
  assert.equal(cellName("grn-ssl", 0.05, 2), "grn-ssl_f0.05_s2");
  assert.equal(cellName("supervised", 1, 0), "supervised_f1_s0");
});

Deno.test("quick preset: four methods at 10 %, then the supervised reference at 100 %", () => {
  const s = benchPreset("quick");
  const cells = benchCells(s);
  assert.deepEqual(cells.map((c) => c.name), [
    "supervised_f0.1_s0",
    "ict_f0.1_s0",
    "grn-sel_f0.1_s0",
    "grn-ssl_f0.1_s0",
    "supervised_f1_s0",
  ]);
  assert.deepEqual(cells.map((c) => c.index), [0, 1, 2, 3, 4]);
  // Full phantom depth, so the 2-3 voxel membranes survive; enough epochs to converge.
  assert.deepEqual(s.training.inputSize, [128, 32]);
  assert.equal(s.training.epochs, 50);
});

Deno.test("fidelity preset: 10 methods at 5 and 10 %, three seeds, the paper's split sizes", () => {
  const s = benchPreset("fidelity");
  const cells = benchCells(s);
  assert.equal(cells.length, 10 * 2 * 3);
  assert.deepEqual(
    [...new Set(cells.map((c) => c.method))],
    [
      "supervised",
      "mt",
      "uamt",
      "urpc",
      "ict",
      "grn-sel",
      "grn-ssl",
      "grn-sel-no-feedback",
      "grn-sel-negated",
      "grn-sel-frozen-s",
    ],
  );
  assert.deepEqual([...new Set(cells.map((c) => c.fraction))], [0.05, 0.1]);
  assert.deepEqual(s.seeds, [0, 1, 2]);
  assert.equal(s.phantom?.participants, 29);
  assert.equal(s.training.test, 11);
  assert.equal(s.training.validation, 2);
  assert.match(s.reduced, /1 and 2 of 16 training participants/);
  assert.equal(s.training.networks.depth, 5, "URPC's pyramid needs five levels");
});

Deno.test("paper preset: Tables 2, 4 and 6 over 3 seeds, seed-major, fractions ascending", () => {
  const s = benchPreset("paper");
  const cells = benchCells(s);
  // Per seed: 10 methods × 3 fractions + 3 × 3 (30-50 %) + 2 at 100 % + 5 ablations at 5 %.
  assert.equal(cells.length, 3 * (30 + 9 + 2 + 5));
  assert.equal(new Set(cells.map((c) => c.name)).size, cells.length, "names are unique");
  cells.forEach((c, i) => {
    assert.equal(c.index, i);
    assert.equal(c.name, cellName(c.method, c.fraction, c.seed));
  });
  const perSeed = cells.length / 3;
  assert.ok(cells.slice(0, perSeed).every((c) => c.seed === 0), "seed 0 first");
  assert.ok(cells.slice(perSeed, 2 * perSeed).every((c) => c.seed === 1));
  const fractions = cells.slice(0, perSeed).map((c) => c.fraction);
  assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b), "ascending fractions");
  // At 5 %: the 10 methods of Table 2 in order, then the ablations.
  assert.deepEqual(cells.filter((c) => c.seed === 0 && c.fraction === 0.05).map((c) => c.method), [
    "supervised",
    "mt",
    "uamt",
    "urpc",
    "sassnet",
    "rdrop",
    "ict",
    "dan",
    "grn-sel",
    "grn-ssl",
    "supervised-aug",
    "supervised-gan-aug",
    "grn-sel-no-feedback",
    "grn-sel-negated",
    "grn-sel-frozen-s",
  ]);
  assert.deepEqual(cells.filter((c) => c.seed === 2 && c.fraction === 1).map((c) => c.method), [
    "supervised",
    "grn-sel",
  ]);
  assert.equal(s.reduced, "", "the paper preset is not reduced");
});

Deno.test("demo preset: supervised and GRN-SSL at one low fraction, documented as reduced", () => {
  const s = benchPreset("demo");
  assert.deepEqual(benchCells(s).map((c) => c.name), ["supervised_f0.2_s0", "grn-ssl_f0.2_s0"]);
  assert.match(s.reduced, /^for a 2-core CPU: phantom of 12 participants/);
  assert.match(s.reduced, /128×32 input/);
  assert.match(s.reduced, /UNet 8-16-32-64/);
});

Deno.test("a (method, fraction) listed by two groups is one cell", () => {
  const s = benchPreset("quick");
  s.groups.push({ purpose: "again", methods: ["ict", "mt"], fractions: [0.1, 0.2] });
  const names = benchCells(s).map((c) => c.name);
  assert.deepEqual(names, [
    "supervised_f0.1_s0",
    "ict_f0.1_s0",
    "grn-sel_f0.1_s0",
    "grn-ssl_f0.1_s0",
    "mt_f0.1_s0",
    "ict_f0.2_s0",
    "mt_f0.2_s0",
    "supervised_f1_s0",
  ]);
});

Deno.test("applyBenchOverrides() replaces methods, fractions, seeds and epochs", () => {
  const base = benchPreset("quick");
  const s = applyBenchOverrides(base, {
    methods: ["mt", "grn-ssl"],
    fractions: [0.2, 0.05],
    seeds: [3, 4],
    epochs: 2,
  });
  assert.equal(s.preset, "quick+custom");
  assert.equal(s.training.epochs, 2);
  assert.equal(base.training.epochs, 50, "the preset itself is not changed");
  assert.deepEqual(benchCells(s).map((c) => c.name), [
    "mt_f0.05_s3",
    "grn-ssl_f0.05_s3",
    "mt_f0.2_s3",
    "grn-ssl_f0.2_s3",
    "mt_f0.05_s4",
    "grn-ssl_f0.05_s4",
    "mt_f0.2_s4",
    "grn-ssl_f0.2_s4",
  ]);
  const f = applyBenchOverrides(base, { fractions: [0.3] });
  assert.deepEqual(benchCells(f).map((c) => c.fraction), [0.3, 0.3, 0.3, 0.3]);
  assert.equal(benchCells(f).length, 4, "both groups at 30 %: supervised once");
  assert.equal(applyBenchOverrides(base, {}).preset, "quick", "no override, same name");
});

Deno.test("applyBenchOverrides() regenerates the preset's phantom with another seed", () => {
  const base = benchPreset("fidelity");
  const s = applyBenchOverrides(base, { phantomSeed: 7 });
  assert.equal(s.preset, "fidelity+custom");
  assert.deepEqual(s.phantom, { ...base.phantom!, seed: 7 }, "same size and cohort");
  assert.equal(base.phantom!.seed, 0, "the preset itself is not changed");
  assert.deepEqual(benchCells(s), benchCells(base), "same cells");
  assert.throws(
    () => applyBenchOverrides(base, { phantomSeed: -1 }),
    /Cannot set the phantom seed: it must be a non-negative integer \(got -1\)/,
  );
  assert.throws(
    () => applyBenchOverrides({ ...base, phantom: null }, { phantomSeed: 3 }),
    /Cannot set the phantom seed: preset fidelity uses a dataset folder/,
  );
});

Deno.test("checkBenchSettings() names the problem", () => {
  const bad = (edit: (s: ReturnType<typeof benchPreset>) => void, pattern: RegExp) => {
    const s = benchPreset("quick");
    edit(s);
    assert.throws(() => checkBenchSettings(s), pattern);
  };
  bad((s) => s.groups[0]!.methods.push("grn-xyz"), /grn-xyz/);
  bad((s) => (s.groups[0]!.fractions = [1.5]), /fraction must be in \(0, 1\] \(got 1.5\)/);
  bad((s) => (s.groups[0]!.fractions = [0]), /got 0\)/);
  bad((s) => (s.seeds = [1, 1]), /seeds repeat/);
  bad((s) => (s.seeds = []), /one or more integers/);
  bad((s) => (s.groups = []), /no group/);
  assert.throws(
    () => benchPreset("huge"),
    /unknown name \(got "huge"\); presets: demo, quick, fidelity, paper/,
  );
  assert.deepEqual([...BENCH_PRESETS], ["demo", "quick", "fidelity", "paper"]);
});

Deno.test("benchEvaluation(): per image, Table 6's cells also on validation, unless the grid says", () => {
  const s = benchPreset("paper");
  assert.equal(s.evaluation, undefined, "presets use the default");
  assert.deepEqual(benchEvaluation(s), { protocol: "image", validation: "table6" });
  // Table 6's methods at the lowest fraction (5 %) only.
  assert.equal(evaluatesValidation(s, { method: "grn-sel-negated", fraction: 0.05 }), true);
  assert.equal(evaluatesValidation(s, { method: "supervised", fraction: 0.05 }), true);
  assert.equal(evaluatesValidation(s, { method: "grn-ssl", fraction: 0.05 }), true);
  assert.equal(evaluatesValidation(s, { method: "ict", fraction: 0.05 }), false);
  assert.equal(evaluatesValidation(s, { method: "grn-sel", fraction: 0.1 }), false);
  const scan = applyBenchOverrides(s, { protocol: "scan", validation: "none" });
  assert.equal(scan.preset, "paper", "the cells are the same");
  assert.deepEqual(benchEvaluation(scan), { protocol: "scan", validation: "none" });
  assert.equal(evaluatesValidation(scan, { method: "supervised", fraction: 0.05 }), false);
  const all = applyBenchOverrides(s, { validation: "all" });
  assert.equal(evaluatesValidation(all, { method: "ict", fraction: 0.2 }), true);
  assert.equal(benchEvaluation(all).protocol, "image");
});

Deno.test("every preset's methods can be built at its networks and input size", async () => {
  await initEngine({ backend: "cpu", log: () => {} });
  for (const name of BENCH_PRESETS) {
    const s = benchPreset(name);
    const [h, w] = s.training.inputSize;
    for (const method of new Set(s.groups.flatMap((g) => g.methods))) {
      const m = createMethod(
        method,
        runMethodOptions({ numClasses: 7, ...s.training.networks }, 0, s.training.methodOptions),
      );
      try {
        m.trainer.segmentor.checkInputSize(h, w);
        m.trainer.generator?.checkInputSize(h, w);
        m.trainer.discriminator?.checkInputSize(h, w);
        m.stageEpochs(s.training.epochs);
      } finally {
        m.dispose();
      }
    }
  }
});
