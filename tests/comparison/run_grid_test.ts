import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { benchCells, type BenchSettings } from "../../comparison/grid.ts";
import {
  BENCH_FILES,
  cellDir,
  cellStatus,
  formatDuration,
  prepareBench,
  readBenchManifest,
  runBench,
} from "../../comparison/run_grid.ts";
import { RUN_FILES } from "../../run/run_config.ts";
import { loadBenchResults } from "../../report/data.ts";
import { buildEntries, entryStat } from "../../report/statistics.ts";
import { writeBenchReport } from "../../report/write.ts";
import { assertWellFormed } from "../report/_xml.ts";

const root = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** A grid of two tiny cells (a baseline and a GRN variant with SGE) on a tiny phantom. */
function tinySettings(): BenchSettings {
  return {
    preset: "tiny",
    description: "two cells of a few seconds",
    reduced: "tiny test configuration",
    phantom: { participants: 5, scansPerParticipant: 1, shape: [16, 16, 32], seed: 3 },
    seeds: [0],
    groups: [{ purpose: "test", methods: ["supervised", "grn-sel"], fractions: [0.5] }],
    training: {
      inputSize: [32, 32],
      directions: ["coronal", "sagittal"],
      every: 4,
      networks: {
        width: 4,
        depth: 2,
        generatorWidth: 4,
        discriminatorWidth: 4,
        auxiliaryDiscriminatorWidth: 4,
      },
      methodOptions: {},
      epochs: 1,
      iterationsPerEpoch: 2,
      batchSize: 2,
      patience: 0,
      test: 2,
      validation: 1,
      splitSeed: 0,
    },
  };
}

const bench = join(root, "bench");
const lines: string[] = [];
const first = await runBench({
  out: bench,
  settings: tinySettings(),
  backend: "wasm",
  progress: (l) => lines.push(l),
});

Deno.test("runBench() trains and evaluates every cell into its run folder", async () => {
  assert.deepEqual(first.outcomes.map((o) => [o.cell.name, o.outcome, o.before]), [
    ["supervised_f0.5_s0", "ran", "pending"],
    ["grn-sel_f0.5_s0", "ran", "pending"],
  ]);
  assert.equal(first.done, 2);
  for (const c of first.manifest.cells) {
    assert.equal(await cellStatus(bench, c), "done");
    // Per image by default; both cells are Table 6 methods at the lowest fraction, so they
    // are also scored on the validation split.
    const files = [RUN_FILES.config, RUN_FILES.model, RUN_FILES.train, RUN_FILES.images];
    for (const f of [...files, "metrics.validation.json", "images.validation.csv"]) {
      assert.ok((await Deno.stat(join(cellDir(bench, c), f))).isFile, `${c.name}/${f}`);
    }
  }
  const m = await readBenchManifest(bench);
  assert.equal(m.dataset, resolve(bench, BENCH_FILES.dataset), "the phantom is in the bench");
  assert.deepEqual(m.cells, benchCells(tinySettings()));
  assert.ok((await Deno.stat(join(bench, BENCH_FILES.dataset, "dataset.json"))).isFile);
  assert.ok(lines.some((l) => /\[2\/2\] grn-sel_f0\.5_s0: finished in/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /ETA/.test(l)), "an ETA is shown");
});

Deno.test("every cell of a grid is scored on the same test images", async () => {
  const results = await loadBenchResults(bench);
  const scans = results.cells.map((c) => c.scores.plain!.scans);
  assert.equal(scans.length, 2);
  assert.deepEqual(scans[0], scans[1]);
  assert.equal(scans[0]!.length, 2 * (16 + 16), "2 test scans × 16 coronal + 16 sagittal slices");
  assert.equal(results.cells[0]!.scores.plain!.unit, "image");
  const validation = results.cells.map((c) => c.validation!.scores.plain!.scans);
  assert.deepEqual(validation[0], validation[1]);
  assert.equal(validation[0]!.length, 16 + 16, "1 validation scan");
  assert.equal(new Set([...validation[0]!, ...scans[0]!]).size, 3 * 32, "different scans");
  assert.ok(results.cells[1]!.scores.sge, "GRN-SEL is also scored with SGE");
  assert.equal(results.cells[0]!.scores.sge, undefined, "supervised has no generator");
});

Deno.test("a second run skips finished cells", async () => {
  const again = await runBench({ out: bench, settings: tinySettings(), backend: "wasm" });
  assert.deepEqual(again.outcomes.map((o) => o.outcome), ["skipped", "skipped"]);
  assert.equal(again.done, 2);
});

Deno.test("a trained cell without scores is only evaluated; --cell K runs cell K alone", async () => {
  const cells = benchCells(tinySettings());
  const dir = cellDir(bench, cells[1]!);
  const trainStat = await Deno.stat(join(dir, RUN_FILES.train));
  await Deno.remove(join(dir, RUN_FILES.images));
  assert.equal(await cellStatus(bench, cells[1]!), "trained", "metrics.json alone is not done");
  const r = await runBench({ out: bench, settings: tinySettings(), backend: "wasm", cell: 1 });
  assert.deepEqual(r.outcomes.map((o) => [o.cell.index, o.outcome, o.before]), [[
    1,
    "ran",
    "trained",
  ]]);
  assert.equal(
    (await Deno.stat(join(dir, RUN_FILES.train))).mtime?.getTime(),
    trainStat.mtime?.getTime(),
    "training was not repeated",
  );
  assert.equal(await cellStatus(bench, cells[1]!), "done");
  await assert.rejects(
    runBench({ out: bench, settings: tinySettings(), cell: 2 }),
    /index out of range 0-1 \(got 2\)/,
  );
});

Deno.test("an interrupted cell resumes from its checkpoint", async () => {
  const cells = benchCells(tinySettings());
  const dir = cellDir(bench, cells[0]!);
  for (const f of [RUN_FILES.metrics, RUN_FILES.images, RUN_FILES.train, RUN_FILES.model]) {
    await Deno.remove(join(dir, f));
  }
  assert.equal(await cellStatus(bench, cells[0]!), "started");
  const r = await runBench({ out: bench, settings: tinySettings(), backend: "wasm", cell: 0 });
  assert.deepEqual(r.outcomes.map((o) => [o.outcome, o.before]), [["ran", "started"]]);
  const train = JSON.parse(await Deno.readTextFile(join(dir, RUN_FILES.train)));
  assert.equal(train.resumed, true);
  assert.equal(await cellStatus(bench, cells[0]!), "done");
});

Deno.test("a bench folder refuses another grid or dataset", async () => {
  const other = tinySettings();
  other.training.epochs = 2;
  await assert.rejects(runBench({ out: bench, settings: other }), /holds another grid/);
  await assert.rejects(
    prepareBench({ out: bench, settings: tinySettings(), dataset: join(bench, "dataset") }),
    /holds another grid|another dataset/,
  );
  await assert.rejects(
    prepareBench({ out: join(root, "b2"), settings: tinySettings(), dataset: join(root, "nope") }),
    /no dataset\.json in the dataset folder/,
  );
});

Deno.test("writeBenchReport() writes tables from the cells' scores and a well-formed report", async () => {
  const report = await writeBenchReport(bench, { backend: "wasm" });
  assert.equal(report.cells, 2);
  assert.deepEqual(report.missing, []);
  const t2 = report.tables.find((t) => t.id === "table2")!;
  assert.deepEqual(t2.rows.map((r) => r.label), ["Fully supervised", "GRN-SEL", "GRN-SEL (w SGE)"]);
  // The table's value is the mean over test images of each image's class-mean Dice in
  // images.csv.
  const results = await loadBenchResults(bench);
  const sup = results.cells[0]!.scores.plain!;
  const perImage = sup.dice.map((r) => {
    const v = r.filter((x) => !Number.isNaN(x));
    return v.reduce((a, b) => a + b, 0) / v.length;
  });
  const expected = perImage.reduce((a, b) => a + b, 0) / perImage.length * 100;
  assert.ok(Math.abs(t2.rows[0]!.cells[0]!.mean! - expected) < 1e-9);
  assert.equal(t2.rows[0]!.cells[0]!.isReference, true, "the only baseline is the reference");
  assert.equal(t2.protocol!.unit, "image");
  assert.equal(t2.rows[0]!.cells[0]!.n, 64);
  const entries = buildEntries(results.cells);
  assert.equal(entryStat(entries.find((e) => e.split === "test")!).n, 64);
  // Table 6 comes from the validation split, where both cells were also scored.
  const t6 = report.tables.find((t) => t.id === "table6")!;
  assert.equal(t6.protocol!.split, "validation");
  assert.equal(t6.rows[0]!.cells[0]!.n, 32);
  // Findings: every claim listed; this grid measures RAug (c) at 50 % and SGE for GRN-SEL (b).
  assert.deepEqual([...new Set(report.findings.map((f) => f.claim))], ["a", "b", "c", "d", "e"]);
  const raug = report.findings.find((f) => f.claim === "c" && f.fraction === 0.5);
  assert.equal(raug, undefined, "50 % is not a low fraction");
  const sge = report.findings.find((f) => f.claim === "b" && f.fraction === 0.5)!;
  assert.notEqual(sge.verdict, "not measured");
  assert.equal(sge.n, 64);

  const json = JSON.parse(await Deno.readTextFile(report.files.json));
  assert.equal(json.format, "grn-bench-tables");
  assert.equal(json.version, 2);
  assert.equal(json.findings.items.length, report.findings.length);
  assert.match(json.statistics, /Table 2, Table 3, Table 5: per image/);
  assert.deepEqual(json.tables.map((t: { id: string }) => t.id), report.tables.map((t) => t.id));
  const csv = await Deno.readTextFile(report.files.csv);
  assert.match(
    csv,
    /^table,row,method,variant,column,key,unit,split,sample_unit,mean,lower,upper,n,p,reference,bold\n/,
  );
  assert.match(csv, /\ntable2,GRN-SEL \(w SGE\),grn-sel,sge,50%,0\.5,Dice \(%\),test,image,/);
  const md = await Deno.readTextFile(report.files.markdown);
  assert.match(md, /### Table 2: /);
  assert.match(md, /## Findings: the paper's claims on this grid/);
  assert.match(md, /Protocol: per image: Dice of each 2-D B-mode slice \(coronal and sagittal/);
  assert.match(md, /\*\*Reduced configuration\*\* tiny test configuration\./);
  assert.match(md, /## Convergence\n/);
  assert.match(md, /\n- grn-sel_f0\.5_s0: selected epoch \d+ of \d+, SGE epoch \d+; /);

  const html = await Deno.readTextFile(report.files.html);
  for (
    const id of [
      "configuration",
      "summary",
      "findings",
      "figure-6",
      "figure-8",
      "per-layer",
      "curves",
      "overlays",
      "cells",
      "convergence",
    ]
  ) {
    assert.match(html, new RegExp(`id="${id}"`), `section ${id}`);
  }
  assert.match(html, /Reduced configuration/);
  assert.match(html, /<td>image \(64 test images\)<\/td>/, "the cells table says the unit");
  assert.match(html, /This grid has one labeled fraction; the curve needs two or more/);
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.ok(svgs.length >= 3, `charts: Figure 6, per-layer, 2 curves (got ${svgs.length})`);
  for (const svg of svgs) assertWellFormed(svg);
  assertWellFormed(html.replace(/<style>[\s\S]*?<\/style>/, ""), true);
  // Overlays: 2 runs × 2 slices; GRN-SEL has S(G(x)) and G(x), supervised does not.
  const pngs = html.match(/src="data:image\/png;base64,[A-Za-z0-9+/=]+"/g) ?? [];
  assert.equal(pngs.length, 2 * 3 + 2 * 5);
  assert.equal(html.match(/no generator/g)?.length, 4);
  assert.doesNotMatch(html, /NaN|undefined/);
});

Deno.test("formatDuration() prints hours, minutes and seconds", () => {
  assert.equal(formatDuration(3725), "1h02m");
  assert.equal(formatDuration(245.4), "4m05s");
  assert.equal(formatDuration(12), "12s");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("a copied bench folder resumes and evaluates with its own phantom, where it is now", async () => {
  const moved = join(root, "moved");
  await copyDir(bench, moved);
  const away = `${bench}-dataset-away`;
  await Deno.rename(join(bench, BENCH_FILES.dataset), away); // the old location is gone
  try {
    const manifest = await readBenchManifest(moved);
    assert.equal(manifest.dataset, resolve(moved, BENCH_FILES.dataset));
    const cells = benchCells(tinySettings());
    await Deno.remove(join(cellDir(moved, cells[1]!), RUN_FILES.images));
    const r = await runBench({ out: moved, settings: tinySettings(), backend: "wasm" });
    assert.deepEqual(r.outcomes.map((o) => [o.outcome, o.before]), [
      ["skipped", "done"],
      ["ran", "trained"],
    ]);
    assert.equal(await cellStatus(moved, cells[1]!), "done");
  } finally {
    await Deno.rename(away, join(bench, BENCH_FILES.dataset));
  }
});

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else if (e.isFile) await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}
