import assert from "node:assert/strict";
import type { CellResult, ScanScores } from "../../report/data.ts";
import { parseCsv, parseScanScores } from "../../report/data.ts";
import { formatCell, tablesToCsvRows, tableToMarkdown } from "../../report/format.ts";
import { buildEntries, compareEntries, type Entry, entryStat } from "../../report/statistics.ts";
import { buildTables, table2, table4, table5, table6 } from "../../report/tables.ts";
import { meanCI } from "../../metrics/mean_ci.ts";
import { pairedTTest } from "../../metrics/paired_t_test.ts";

const CLASSES = [1, 2];
const NAMES = [{ label: 1, name: "dermis" }, { label: 2, name: "muscle" }];

function scores(scans: string[], dice: number[][]): ScanScores {
  return { unit: "scan", scans, classes: CLASSES, dice, hd95: dice.map((r) => r.map(() => 1)) };
}

/** A finished cell with given per-scan Dice (only what the tables read). */
function cell(
  method: string,
  fraction: number,
  seed: number,
  plain: ScanScores,
  sge?: ScanScores,
): CellResult {
  return {
    cell: { index: 0, name: `${method}_f${fraction}_s${seed}`, method, fraction, seed },
    dir: "",
    metrics: {} as CellResult["metrics"],
    train: null,
    history: [],
    scores: sge ? { plain, sge } : { plain },
  };
}

const SCANS = ["a", "b", "c", "d"];

Deno.test("buildEntries() averages each scan over seeds and matches scans by id", () => {
  const s0 = cell("mt", 0.1, 0, scores(SCANS, [[0.2, 0.4], [0.5, 0.5], [0.6, NaN], [0.1, 0.3]]));
  // Seed 1 lists the scans in another order.
  const s1 = cell(
    "mt",
    0.1,
    1,
    scores(["d", "c", "b", "a"], [[0.3, 0.5], [0.8, 0.2], [0.7, 0.7], [0.4, 0.6]]),
  );
  const [e] = buildEntries([s1, s0]);
  assert.ok(e);
  assert.deepEqual(e.seeds, [0, 1]);
  assert.deepEqual(e.scans, SCANS);
  const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);
  near(e.classDice[0]![0]!, 0.3); // (0.2 + 0.4) / 2
  near(e.classDice[2]![1]!, 0.2); // NaN in seed 0 is left out
  near(e.overall[0]!, (0.3 + 0.5) / 2);
  near(e.seedMeans[0]!, (0.3 + 0.5 + 0.6 + 0.2) / 4);
  const stat = entryStat(e);
  const ci = meanCI(e.overall);
  near(stat.mean!, ci.mean * 100);
  near(stat.lower!, ci.lower * 100);
  assert.equal(stat.n, 4);
});

Deno.test("compareEntries() pairs by scan id and leaves out undefined pairs", () => {
  const a = buildEntries([
    cell("grn-sel", 0.1, 0, scores(SCANS, [[0.6, 0.6], [0.7, 0.7], [0.5, 0.5], [0.9, 0.9]])),
  ])[0]!;
  const b = buildEntries([
    cell(
      "mt",
      0.1,
      0,
      scores(["c", "a", "b", "d"], [[NaN, NaN], [0.5, 0.5], [0.4, 0.6], [0.6, 0.8]]),
    ),
  ])[0]!;
  const cmp = compareEntries(a, b)!;
  const t = pairedTTest([0.6, 0.7, 0.9], [0.5, 0.5, 0.7]); // scan c is undefined in b
  assert.equal(cmp.n, 3);
  assert.ok(Math.abs(cmp.difference - t.meanDifference * 100) < 1e-9);
  assert.ok(Math.abs(cmp.p! - t.p) < 1e-12);
  assert.equal(compareEntries(a, { ...b, scans: ["x", "y", "z", "w"] }), null, "no shared scans");
});

Deno.test("compareEntries() pairs only the seeds both entries have (a partial grid)", () => {
  // GRN-SEL has seeds 0-2, the supervised baseline only seed 0: the comparison must set GRN-SEL's
  // seed 0 against the supervised seed 0, not GRN-SEL's three-seed average.
  const sel = [
    [[0.6, 0.6], [0.7, 0.7], [0.5, 0.5], [0.9, 0.9]],
    [[0.9, 0.9], [0.9, 0.9], [0.9, 0.9], [0.9, 0.9]],
    [[0.8, 0.8], [0.95, 0.95], [0.85, 0.85], [0.9, 0.9]],
  ];
  const sup = [[0.65, 0.65], [0.75, 0.75], [0.55, 0.55], [0.9, 0.9]];
  const entries = buildEntries([
    ...sel.map((d, seed) => cell("grn-sel", 0.1, seed, scores(SCANS, d))),
    cell("supervised", 0.1, 0, scores(SCANS, sup)),
  ]);
  const a = entries.find((e) => e.method === "grn-sel")!;
  const b = entries.find((e) => e.method === "supervised")!;
  assert.deepEqual(a.seeds, [0, 1, 2]);
  assert.equal(a.seedClassDice.length, 3);
  const cmp = compareEntries(a, b)!;
  assert.deepEqual(cmp.seeds, [0]);
  const t = pairedTTest(sel[0]!.map((r) => r[0]!), sup.map((r) => r[0]!));
  assert.ok(Math.abs(cmp.difference - t.meanDifference * 100) < 1e-9, `${cmp.difference}`);
  assert.ok(Math.abs(cmp.p! - t.p) < 1e-12);
  // Seed 0 alone: GRN-SEL is on average slightly below the supervised model; the three-seed
  // average would have been well above it.
  assert.ok(cmp.difference < 0);
  assert.deepEqual(cmp.perSeed.length, 1);
  assert.ok(Math.abs(cmp.perSeed[0]! - cmp.difference) < 1e-9, "one seed: its own difference");
  const same = b.seedClassDice[0]!;
  const b3 = { ...b, seeds: [0, 1, 2], seedClassDice: [same, same, same] };
  const all = compareEntries(a, { ...b3, seedMeans: [0, 1, 2].map(() => b.seedMeans[0]!) });
  // Each seed alone against the same supervised scores: seed 0 below, seeds 1 and 2 above.
  assert.deepEqual(all!.perSeed.map((d) => Math.sign(d)), [-1, 1, 1]);
  assert.ok(all !== null && all.difference > 0, "the unrestricted average is higher");
  // No seed in common: not comparable.
  const other = buildEntries([cell("mt", 0.1, 5, scores(SCANS, sup))])[0]!;
  assert.equal(compareEntries(a, other), null);
});

function grid(): Entry[] {
  // Supervised < ICT < GRN-SEL < GRN-SEL (w SGE) < GRN-SSL (w SGE) at 10 %; the wobbles sum
  // to zero over the scans, so each mean is 50 % plus the shift.
  const base = [0.40, 0.50, 0.45, 0.55, 0.60];
  const scans = ["s1", "s2", "s3", "s4", "s5"];
  const shift = (d: number, wobble = 0) =>
    scores(scans, base.map((v, i) => [v + d + [-1, 1, -1, 1, 0][i]! * wobble, v + d]));
  return buildEntries([
    cell("supervised", 0.1, 0, shift(0, 0.01)),
    cell("ict", 0.1, 0, shift(0.1, 0.02)),
    cell("grn-sel", 0.1, 0, shift(0.12, 0.01), shift(0.15, 0.005)),
    cell("grn-ssl", 0.1, 0, shift(0.14, 0.03), shift(0.2, 0.01)),
    cell("supervised", 1, 0, shift(0.3, 0.01)),
    cell("grn-sel", 1, 0, shift(0.29, 0.02), shift(0.31, 0.01)),
  ]);
}

Deno.test("table2() tests every row against the best baseline and bolds significant GRN rows", () => {
  const t = table2(grid(), ["supervised", "ict", "grn-sel", "grn-ssl"])!;
  assert.deepEqual(t.columns, ["10%"], "100 % is not a low fraction");
  assert.deepEqual(t.rows.map((r) => r.label), [
    "Fully supervised",
    "ICT",
    "GRN-SEL",
    "GRN-SEL (w SGE)",
    "GRN-SSL",
    "GRN-SSL (w SGE)",
  ]);
  const ict = t.rows[1]!.cells[0]!;
  assert.equal(ict.isReference, true, "ICT is the best baseline");
  const sup = t.rows[0]!.cells[0]!;
  assert.equal(sup.reference, "ICT");
  assert.ok(sup.p !== null && sup.p < 0.05);
  assert.equal(sup.bold, false, "baselines are never bold");
  const sslSge = t.rows[5]!.cells[0]!;
  assert.ok(sslSge.bold, "GRN-SSL (w SGE) is 10 points above ICT on every scan");
  assert.ok(Math.abs(sslSge.mean! - (0.5 + 0.2) * 100) < 1e-9);
  const md = tableToMarkdown(t);
  assert.match(md, /\| ICT \| 60\.00 \(\d+\.\d\d, \d+\.\d\d\) \(ref\.\) \|/);
  assert.match(md, /\| GRN-SSL \(w SGE\) \| \*\*70\.00 \(/);
});

Deno.test("table4() compares with the supervised model at 100 %", () => {
  const t = table4(grid())!;
  assert.deepEqual(t.columns, ["10%", "100%"]);
  assert.deepEqual(t.rows.map((r) => r.label), [
    "Fully supervised",
    "GRN-SEL",
    "GRN-SEL (w SGE)",
    "GRN-SSL",
    "GRN-SSL (w SGE)",
  ]);
  assert.equal(t.rows[0]!.cells[1]!.isReference, true);
  assert.equal(t.rows[0]!.cells[0]!.bold, false, "supervised at 10 % is 30 points worse");
  assert.equal(t.rows[2]!.cells[1]!.bold, true, "GRN-SEL (w SGE) at 100 % is not inferior");
  assert.equal(t.rows[3]!.cells[1], null, "no GRN-SSL at 100 %");
});

Deno.test("table5() gives paired differences: RAug, SGE and SSL effects", () => {
  const t = table5(grid())!;
  assert.deepEqual(t.rows.map((r) => r.label), [
    "RAug",
    "SGE w. SEL",
    "SGE w. SSL",
    "SSL w. no SGE",
    "SSL w. SGE",
  ]);
  const raug = t.rows[0]!.cells[0]!;
  assert.ok(Math.abs(raug.mean! - 12) < 1e-9, `RAug = 12 points (got ${raug.mean})`);
  const sslSge = t.rows[4]!.cells[0]!;
  assert.ok(Math.abs(sslSge.mean! - 5) < 1e-9);
  assert.equal(t.rows[2]!.cells[1], null, "no GRN-SSL at 100 %");
  assert.match(formatCell(raug, true), /^\+12\.00 \(\+/);
});

Deno.test("table6() lists the ablations present with their improvement over supervised", () => {
  const t = table6(grid())!;
  assert.deepEqual(t.rows.map((r) => r.label), [
    "Fully supervised",
    "GRN-SEL",
    "GRN-SEL (w SGE)",
    "GRN-SSL (w SGE)",
  ]);
  assert.equal(t.rows[0]!.cells[1], null);
  assert.ok(Math.abs(t.rows[3]!.cells[1]!.mean! - 20) < 1e-9);
});

Deno.test("buildTables() and the CSV rows cover every non-empty cell", () => {
  const tables = buildTables(grid(), NAMES, ["supervised", "ict", "grn-sel", "grn-ssl"]);
  assert.deepEqual(tables.map((t) => t.id), ["table2", "table3", "table4", "table5", "table6"]);
  const t3 = tables[1]!;
  assert.deepEqual(t3.columns, ["Dermis", "Muscle", "Overall"]);
  const rows = tablesToCsvRows(tables);
  const cells = tables.reduce(
    (n, t) => n + t.rows.flatMap((r) => r.cells).filter((c) => c).length,
    0,
  );
  assert.equal(rows.length, cells);
  assert.ok(rows.every((r) => typeof r.table === "string" && typeof r.mean === "number"));
});

Deno.test("parseCsv() and parseScanScores() read grn eval's scans.csv", () => {
  assert.deepEqual(parseCsv('a,"b,""c"""\r\n1,2\n'), [["a", 'b,"c"'], ["1", "2"]]);
  const text = "scan,participant,variant,class,name,dice,hd95\n" +
    "s1,p1,plain,1,dermis,0.5,2\ns1,p1,plain,2,muscle,NaN,3\n" +
    "s1,p1,sge,1,dermis,0.6,1\ns2,p2,plain,1,dermis,0.7,4\ns2,p2,plain,2,muscle,0.8,5\n";
  const s = parseScanScores(text, "scans.csv");
  assert.deepEqual(s.plain!.scans, ["s1", "s2"]);
  assert.deepEqual(s.plain!.classes, [1, 2]);
  assert.ok(Number.isNaN(s.plain!.dice[0]![1]!));
  assert.deepEqual(s.plain!.dice[1], [0.7, 0.8]);
  assert.deepEqual(s.sge!.dice, [[0.6]]);
  assert.throws(() => parseScanScores("scan,dice\n", "x.csv"), /x\.csv has no column variant/);
});

Deno.test("parseScanScores() reads images.csv: one unit per scan, direction and slice", () => {
  const text = "scan,participant,direction,slice,variant,class,name,dice,hd95\n" +
    "s1,p1,coronal,0,plain,1,dermis,0.5,2\ns1,p1,coronal,0,plain,2,muscle,0.9,1\n" +
    "s1,p1,sagittal,0,plain,1,dermis,0.7,2\ns1,p1,sagittal,0,plain,2,muscle,NaN,NaN\n";
  const s = parseScanScores(text, "images.csv");
  assert.equal(s.plain!.unit, "image");
  assert.deepEqual(s.plain!.scans, ["s1/coronal/0", "s1/sagittal/0"]);
  assert.deepEqual(s.plain!.dice[0], [0.5, 0.9]);
  assert.equal(parseScanScores("scan,variant,class,dice,hd95\n", "scans.csv").plain, undefined);
  assert.equal(
    parseScanScores("scan,variant,class,dice,hd95\ns,plain,1,0.5,1\n", "scans.csv").plain!.unit,
    "scan",
  );
});

/** A cell scored per image on the test split and, optionally, on the validation split. */
function imageCell(method: string, fraction: number, test: number[], validation?: number[]) {
  const ids = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}/coronal/${i}`);
  const sc = (p: string, v: number[]): ScanScores => ({
    unit: "image",
    scans: ids(p, v.length),
    classes: CLASSES,
    dice: v.map((x) => [x, x]),
    hd95: v.map(() => [1, 1]),
  });
  const c = cell(method, fraction, 0, sc("t", test));
  if (validation) {
    c.validation = {
      metrics: { protocol: { directions: ["coronal"] } } as CellResult["metrics"],
      scores: { plain: sc("v", validation) },
    };
  }
  return c;
}

Deno.test("buildEntries() keeps units and splits apart; compareEntries() never mixes them", () => {
  const entries = buildEntries([
    imageCell("supervised", 0.05, [0.4, 0.5, 0.6], [0.3, 0.35, 0.4]),
    cell("supervised", 0.05, 1, scores(["a", "b"], [[0.4, 0.4], [0.5, 0.5]])),
  ]);
  const key = (e: Entry) => `${e.split}/${e.unit}/${e.seeds.join(",")}`;
  assert.deepEqual(entries.map(key).sort(), ["test/image/0", "test/scan/1", "validation/image/0"]);
  const image = entries.find((e) => e.unit === "image" && e.split === "test")!;
  const scan = entries.find((e) => e.unit === "scan")!;
  const validation = entries.find((e) => e.split === "validation")!;
  assert.deepEqual(validation.directions, ["coronal"]);
  assert.deepEqual(validation.scans, ["v/coronal/0", "v/coronal/1", "v/coronal/2"]);
  assert.throws(
    () => compareEntries(image, scan),
    /Cannot compare Fully supervised with Fully supervised: they were scored on different units \(got test images and test scans\)/,
  );
  assert.throws(() => compareEntries(image, validation), /got test images and validation images/);
});

Deno.test("buildTables() builds Table 6 on the validation split when its cells were scored there", () => {
  const up = (v: number[], d: number) => v.map((x, i) => x + d + (i % 2 ? 0.01 : -0.01));
  const t = [0.4, 0.5, 0.6, 0.45, 0.55];
  const v = [0.3, 0.35, 0.4, 0.45];
  const cells = [
    imageCell("supervised", 0.05, t, v),
    imageCell("grn-sel", 0.05, up(t, 0.1), up(v, 0.2)),
    imageCell("grn-sel-frozen-s", 0.05, up(t, 0.05), up(v, 0.1)),
    imageCell("ict", 0.05, up(t, 0.02)),
  ];
  const tables = buildTables(buildEntries(cells), NAMES);
  const t2 = tables.find((x) => x.id === "table2")!;
  assert.equal(t2.protocol!.split, "test");
  assert.equal(t2.protocol!.unit, "image");
  assert.match(t2.title, /mean over test images/);
  assert.equal(t2.rows[0]!.cells[0]!.n, 5);
  const t6 = tables.find((x) => x.id === "table6")!;
  assert.equal(t6.protocol!.split, "validation");
  assert.match(t6.title, /validation split/);
  assert.deepEqual(t6.rows.map((r) => r.label), [
    "Fully supervised",
    "GRN-SEL",
    "GRN-SEL (freeze S for L_G)",
  ]);
  assert.equal(t6.rows[1]!.cells[0]!.n, 4, "the 4 validation images");
  assert.ok(Math.abs(t6.rows[1]!.cells[1]!.mean! - 20) < 1e-9, "+20 points on validation");
  const md = tableToMarkdown(t6);
  assert.match(
    md,
    /Protocol: per image: Dice of each 2-D B-mode slice \(coronal\), validation split/,
  );
  assert.match(md, /n counts images\./);
  const csv = tablesToCsvRows(tables);
  assert.ok(csv.some((r) => r.table === "table6" && r.split === "validation"));
  assert.ok(csv.every((r) => r.sample_unit === "image"));
  // Without validation scores, Table 6 falls back to the test split and says so.
  const testOnly = buildTables(
    buildEntries(cells.map((c) => ({ ...c, validation: undefined }))),
    NAMES,
  );
  const t6test = testOnly.find((x) => x.id === "table6")!;
  assert.equal(t6test.protocol!.split, "test");
  assert.ok(t6test.notes.some((n) => /these cells were not scored there/.test(n)));
  // Nor from a validation split with a single unit (no interval, no test).
  const one = cells.map((c) =>
    c.validation ? imageCell(c.cell.method, 0.05, t, [c.validation.scores.plain!.dice[0]![0]!]) : c
  );
  const t6one = buildTables(buildEntries(one), NAMES).find((x) => x.id === "table6")!;
  assert.equal(t6one.protocol!.split, "test");
});
