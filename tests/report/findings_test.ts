import assert from "node:assert/strict";
import { buildFindings, countVerdicts, type Finding, verdictOf } from "../../report/findings.ts";
import {
  findingsToHtml,
  findingsToMarkdown,
  findingsToText,
} from "../../report/findings_format.ts";
import type { Entry, Split, Unit, Variant } from "../../report/statistics.ts";
import { pairedTTest } from "../../metrics/paired_t_test.ts";
import { assertWellFormed } from "./_xml.ts";

const BASE = [0.5, 0.6, 0.55, 0.65, 0.45, 0.7];
const WOBBLE = [1, -1, 1, -1, 1, -1];

/** An entry whose per-unit Dice is `BASE + shift + wobble·(±1)` on 6 units. */
function entry(
  method: string,
  variant: Variant,
  fraction: number,
  shift: number,
  wobble: number,
  split: Split = "test",
  unit: Unit = "image",
): Entry {
  const overall = BASE.map((v, i) => v + shift + WOBBLE[i]! * wobble);
  return {
    method,
    variant,
    fraction,
    unit,
    split,
    directions: ["coronal", "sagittal"],
    seeds: [0],
    scans: BASE.map((_, i) => `${split}-scan/${i % 2 ? "sagittal" : "coronal"}/${i}`),
    classes: [1],
    classDice: overall.map((v) => [v]),
    overall,
    seedMeans: [overall.reduce((a, b) => a + b, 0) / overall.length],
    seedClassDice: [overall.map((v) => [v])],
  };
}

function grid(): Entry[] {
  return [
    // 5 %
    entry("supervised", "plain", 0.05, 0, 0.01),
    entry("mt", "plain", 0.05, 0.05, 0.01),
    entry("ict", "plain", 0.05, 0.08, 0.02),
    entry("grn-sel", "plain", 0.05, 0.1, 0.01),
    entry("grn-sel", "sge", 0.05, 0.1, 0.03),
    entry("grn-ssl", "plain", 0.05, 0.12, 0.015),
    entry("grn-ssl", "sge", 0.05, 0.18, 0.025),
    // 10 %
    entry("supervised", "plain", 0.1, 0.1, 0.01),
    entry("ict", "plain", 0.1, 0.2, 0.01),
    entry("grn-sel", "plain", 0.1, 0.15, 0.02),
    entry("grn-sel", "sge", 0.1, 0.12, 0.01),
    entry("grn-ssl", "plain", 0.1, 0.16, 0.01),
    entry("grn-ssl", "sge", 0.1, 0.16, 0.03),
    // 100 %
    entry("supervised", "plain", 1, 0.3, 0.01),
    entry("grn-sel", "plain", 1, 0.3, 0.02),
  ];
}

function byStatement(findings: Finding[]): Map<string, Finding> {
  return new Map(findings.map((f) => [`(${f.claim}) ${f.statement}`, f]));
}

Deno.test("verdictOf() reads the 95% interval of a claimed positive difference", () => {
  assert.equal(verdictOf({ lower: 0.1, upper: 2 }), "holds");
  assert.equal(verdictOf({ lower: -2, upper: -0.1 }), "contradicted");
  assert.equal(verdictOf({ lower: -1, upper: 1 }), "not significant");
  assert.equal(verdictOf({ lower: 0, upper: 0 }), "not significant", "identical scores");
  assert.equal(verdictOf({ lower: null, upper: null }), "not measured");
  assert.equal(verdictOf(null), "not measured");
});

Deno.test("buildFindings() checks claims (a)-(d) with each verdict", () => {
  const findings = buildFindings(grid());
  const f = byStatement(findings);
  const verdict = (key: string) => {
    const x = f.get(key);
    assert.ok(x, `${key} in:\n${[...f.keys()].join("\n")}`);
    return x.verdict;
  };
  // (a) only at the low fractions; ICT is the best baseline at both.
  assert.equal(verdict("(a) GRN-SSL (w SGE) − ICT (best baseline) > 0 at 5%"), "holds");
  assert.equal(verdict("(a) GRN-SSL (w SGE) − ICT (best baseline) > 0 at 10%"), "contradicted");
  assert.equal(findings.filter((x) => x.claim === "a").length, 2, "100 % is not a low fraction");
  // (b) SGE ≥ plain.
  assert.equal(verdict("(b) GRN-SEL (w SGE) − GRN-SEL ≥ 0 at 5%"), "not significant");
  assert.equal(verdict("(b) GRN-SEL (w SGE) − GRN-SEL ≥ 0 at 10%"), "contradicted");
  assert.equal(verdict("(b) GRN-SEL (w SGE) − GRN-SEL ≥ 0 at 100%"), "not measured");
  assert.match(f.get("(b) GRN-SEL (w SGE) − GRN-SEL ≥ 0 at 100%")!.note, /GRN-SEL \(w SGE\)/);
  assert.equal(verdict("(b) GRN-SSL (w SGE) − GRN-SSL ≥ 0 at 5%"), "holds");
  assert.equal(verdict("(b) GRN-SSL (w SGE) − GRN-SSL ≥ 0 at 10%"), "not significant");
  // (c) RAug at the low fractions, and its shrinkage from 5 % to 100 %.
  assert.equal(verdict("(c) GRN-SEL − Fully supervised > 0 at 5%"), "holds");
  assert.equal(verdict("(c) GRN-SEL − Fully supervised > 0 at 10%"), "holds");
  const shrink = f.get("(c) RAug at 5% − RAug at 100% > 0")!;
  assert.equal(shrink.verdict, "holds");
  // RAug(5 %) = 0.1 on every unit, RAug(100 %) = 0.01·(∓1): the difference is 10 points.
  assert.ok(Math.abs(shrink.difference! - 10) < 1e-9, `got ${shrink.difference}`);
  assert.equal(shrink.n, 6);
  // (d) SSL − SEL without and with SGE at each fraction.
  assert.equal(verdict("(d) GRN-SSL − GRN-SEL > 0 at 5%"), "holds");
  assert.equal(verdict("(d) GRN-SSL (w SGE) − GRN-SEL (w SGE) > 0 at 5%"), "holds");
  assert.equal(verdict("(d) GRN-SSL − GRN-SEL > 0 at 10%"), "not significant");
  assert.equal(verdict("(d) GRN-SSL − GRN-SEL > 0 at 100%"), "not measured");
  // (e) no ablation in the grid: every comparison is listed as not measured.
  const e = findings.filter((x) => x.claim === "e");
  assert.equal(e.length, 3);
  assert.ok(e.every((x) => x.verdict === "not measured" && x.n === 0 && x.difference === null));
  assert.match(e[0]!.note, /not in the grid at 5%: GRN-SEL \(w\/o L_seg feedback\)/);
  const counts = countVerdicts(findings);
  assert.equal(counts.contradicted, 2, "(a) and (b) at 10 %");
  assert.equal(
    counts.holds + counts["not significant"] + counts.contradicted + counts["not measured"],
    findings.length,
  );
});

Deno.test("buildFindings() reports the paired difference, CI, p and n of the same units", () => {
  const entries = grid();
  const a = buildFindings(entries).find((x) => x.claim === "a" && x.fraction === 0.05)!;
  const ssl = entries.find((e) =>
    e.method === "grn-ssl" && e.variant === "sge" && e.fraction === 0.05
  )!;
  const ict = entries.find((e) => e.method === "ict" && e.fraction === 0.05)!;
  const t = pairedTTest(ssl.overall, ict.overall);
  assert.ok(Math.abs(a.difference! - t.meanDifference * 100) < 1e-9);
  assert.ok(Math.abs(a.lower! - t.ci95.lower * 100) < 1e-9);
  assert.ok(Math.abs(a.upper! - t.ci95.upper * 100) < 1e-9);
  assert.ok(Math.abs(a.p! - t.p) < 1e-12);
  assert.equal(a.n, 6);
  assert.equal(a.unit, "image");
  assert.equal(a.split, "test");
});

Deno.test("buildFindings() lists claims of absent methods as not measured", () => {
  const only = [entry("supervised", "plain", 0.5, 0, 0.01), entry("mt", "plain", 0.5, 0.1, 0.02)];
  const findings = buildFindings(only);
  assert.ok(findings.every((f) => f.verdict === "not measured"), JSON.stringify(findings));
  assert.deepEqual([...new Set(findings.map((f) => f.claim))], ["a", "b", "c", "d", "e"]);
  assert.match(findings.find((f) => f.claim === "a")!.note, /no labeled fraction ≤ 20%/);
  assert.match(
    findings.find((f) => f.claim === "d")!.note,
    /GRN-SEL and GRN-SSL are not in the grid/,
  );
});

Deno.test("buildFindings() checks Table 6's ordering on the validation split, then on the test split", () => {
  const ablations = (split: Split, frozen: number) => [
    entry("supervised", "plain", 0.05, 0, 0.01, split),
    entry("grn-sel", "plain", 0.05, 0.2, 0.01, split),
    entry("grn-sel-no-feedback", "plain", 0.05, 0.1, 0.02, split),
    entry("grn-sel-negated", "plain", 0.05, -0.05, 0.01, split),
    entry("grn-sel-frozen-s", "plain", 0.05, frozen, 0.015, split),
  ];
  const findings = buildFindings([...ablations("validation", 0.1), ...ablations("test", 0.3)]);
  const e = findings.filter((f) => f.claim === "e");
  assert.deepEqual(e.map((f) => [f.split, f.statement, f.verdict]), [
    [
      "validation",
      "GRN-SEL (w/o L_seg feedback) − GRN-SEL (w. -L_seg feedback) > 0 at 5%",
      "holds",
    ],
    ["validation", "GRN-SEL − GRN-SEL (w/o L_seg feedback) > 0 at 5%", "holds"],
    ["validation", "GRN-SEL − GRN-SEL (freeze S for L_G) > 0 at 5%", "holds"],
    ["test", "GRN-SEL (w/o L_seg feedback) − GRN-SEL (w. -L_seg feedback) > 0 at 5%", "holds"],
    ["test", "GRN-SEL − GRN-SEL (w/o L_seg feedback) > 0 at 5%", "holds"],
    ["test", "GRN-SEL − GRN-SEL (freeze S for L_G) > 0 at 5%", "contradicted"],
  ]);
  // The other claims use the test split only.
  assert.ok(
    findings.filter((f) => f.claim !== "e" && f.split !== null).every((f) => f.split === "test"),
  );
});

Deno.test("buildFindings() uses the tables' unit and ignores entries of another unit", () => {
  const mixed = [
    ...grid(),
    entry("grn-ssl", "sge", 0.05, -0.3, 0.01, "test", "scan"),
    entry("ict", "plain", 0.05, 0.3, 0.01, "test", "scan"),
  ];
  const a = buildFindings(mixed).find((f) => f.claim === "a" && f.fraction === 0.05)!;
  assert.equal(a.unit, "image");
  assert.equal(a.verdict, "holds");
});

Deno.test("findingsToMarkdown() and findingsToHtml() show each finding with its verdict", () => {
  const findings = buildFindings(grid());
  const md = findingsToMarkdown(findings);
  assert.match(md, /^## Findings: the paper's claims on this grid$/m);
  assert.match(
    md,
    /\| \(a\) \| GRN-SSL \(w SGE\) − ICT \(best baseline\) > 0 at 5% \| \+10\.00 \(\+\d+\.\d\d, \+\d+\.\d\d\) \| p<0\.001 \| 6 test images \| \+10\.00 \(seed 0\) \| \*\*holds\*\* \|/,
  );
  assert.match(md, /\*\*contradicted\*\*/);
  assert.match(md, /\| – \| – \| – \| – \| \*\*not measured\*\* \|/);
  assert.equal(md.split("\n").filter((l) => l.startsWith("| (")).length, findings.length);
  const html = findingsToHtml(findings);
  assertWellFormed(html.replace(/<h2[^>]*>.*?<\/h2>\n/, "<div>") + "</div>");
  assert.equal(html.match(/class="v-contra"/g)?.length, 2);
  assert.match(html, /id="findings"/);
});

Deno.test("findingsToText() prints the verdict counts and one line per finding", () => {
  const findings = buildFindings(grid());
  const lines = findingsToText(findings).split("\n");
  assert.equal(lines.length, 1 + findings.length);
  const c = countVerdicts(findings);
  assert.equal(
    lines[0],
    `Findings (the paper's claims): ${c.holds} hold, ${c["not significant"]} not significant, ` +
      `${c.contradicted} contradicted, ${c["not measured"]} not measured`,
  );
  assert.match(
    lines[1]!,
    /^ {2}\(a\) holds: GRN-SSL \(w SGE\) − ICT \(best baseline\) > 0 at 5%: \+10\.00 \(.*\) points, p<0\.001, 6 test images$/,
  );
  assert.ok(lines.some((l) => /^ {2}\(e\) not measured: .*: not in the grid at 5%/.test(l)));
});

Deno.test("buildFindings() in a partial grid pairs only the seeds every compared method finished", () => {
  // GRN-SEL has seeds 0 and 1; the supervised baseline only seed 0, where GRN-SEL is worse.
  // Averaging GRN-SEL's two seeds would make RAug hold; seed 0 alone contradicts it.
  const sup = entry("supervised", "plain", 0.05, 0, 0.01);
  const sel0 = entry("grn-sel", "plain", 0.05, -0.05, 0.01);
  const sel1 = entry("grn-sel", "plain", 0.05, 0.2, 0.01);
  const avg = sel0.classDice.map((r, i) => [(r[0]! + sel1.classDice[i]![0]!) / 2]);
  const sel: Entry = {
    ...sel0,
    seeds: [0, 1],
    classDice: avg,
    overall: avg.map((r) => r[0]!),
    seedMeans: [sel0.seedMeans[0]!, sel1.seedMeans[0]!],
    seedClassDice: [sel0.seedClassDice[0]!, sel1.seedClassDice[0]!],
  };
  const raug = buildFindings([sup, sel]).find((x) =>
    x.statement === "GRN-SEL − Fully supervised > 0 at 5%"
  )!;
  assert.equal(raug.verdict, "contradicted");
  assert.ok(Math.abs(raug.difference! + 5) < 1e-9, `got ${raug.difference}`);
  assert.match(raug.note, /averaged over seed 0 only/);
  // No seed in common: not measured, and the note says why.
  const none = buildFindings([{ ...sup, seeds: [2] }, sel]).find((x) =>
    x.statement === "GRN-SEL − Fully supervised > 0 at 5%"
  )!;
  assert.equal(none.verdict, "not measured");
  assert.match(none.note, /no seed finished by every compared method/);
});

/** Two seeds of one method as one entry: per-unit Dice averaged, each seed kept. */
function twoSeeds(s0: Entry, s1: Entry): Entry {
  const avg = s0.classDice.map((r, i) => [(r[0]! + s1.classDice[i]![0]!) / 2]);
  return {
    ...s0,
    seeds: [0, 1],
    classDice: avg,
    overall: avg.map((r) => r[0]!),
    seedMeans: [s0.seedMeans[0]!, s1.seedMeans[0]!],
    seedClassDice: [s0.seedClassDice[0]!, s1.seedClassDice[0]!],
  };
}

Deno.test("buildFindings() gives each seed's difference and says how many seeds agree with a verdict", () => {
  const sup = twoSeeds(
    entry("supervised", "plain", 0.05, 0, 0.01),
    entry("supervised", "plain", 0.05, 0, 0.01),
  );
  // Seed 0: GRN-SEL +10 points; seed 1: −2 points. Averaged: +4, significant over the units.
  const sel = twoSeeds(
    entry("grn-sel", "plain", 0.05, 0.1, 0.01),
    entry("grn-sel", "plain", 0.05, -0.02, 0.01),
  );
  const raug = buildFindings([sup, sel]).find((x) =>
    x.statement === "GRN-SEL − Fully supervised > 0 at 5%"
  )!;
  assert.equal(raug.verdict, "holds");
  assert.deepEqual(raug.seeds, [0, 1]);
  assert.equal(raug.seedDifferences.length, 2);
  assert.ok(Math.abs(raug.seedDifferences[0]! - 10) < 1e-9, `got ${raug.seedDifferences}`);
  assert.ok(Math.abs(raug.seedDifferences[1]! + 2) < 1e-9, `got ${raug.seedDifferences}`);
  assert.ok(Math.abs(raug.difference! - 4) < 1e-9, `got ${raug.difference}`);
  assert.equal(raug.seedsAgreeing, 1);
  assert.match(
    findingsToMarkdown([raug]),
    /\| \+10\.00, -2\.00 \(seeds 0, 1\) \| \*\*holds, 1 of 2 seeds\*\*/,
  );
  assert.match(findingsToMarkdown([raug]), /^1 hold \(0 in every seed\), 0 not significant/m);
  assert.match(findingsToText([raug]), /\(c\) holds, 1 of 2 seeds: .*per seed \+10\.00, -2\.00/);
  assert.match(findingsToHtml([raug]), /<td class="v-holds">holds, 1 of 2 seeds<\/td>/);
  assertWellFormed(findingsToHtml([raug]));

  // Both seeds agree: no such note.
  const sel2 = twoSeeds(
    entry("grn-sel", "plain", 0.05, 0.1, 0.01),
    entry("grn-sel", "plain", 0.05, 0.05, 0.01),
  );
  const agree = buildFindings([sup, sel2]).find((x) =>
    x.statement === "GRN-SEL − Fully supervised > 0 at 5%"
  )!;
  assert.equal(agree.verdict, "holds");
  assert.equal(agree.seedsAgreeing, 2);
  assert.match(findingsToMarkdown([agree]), /\*\*holds\*\* \|/);
  assert.match(findingsToText([agree]), /^Findings .*: 1 hold \(1 in every seed\), 0 not/);
  // Not measured: no seeds, no per-seed differences.
  const absent = buildFindings([sup]).find((x) => x.claim === "d")!;
  assert.deepEqual([absent.seeds, absent.seedDifferences, absent.seedsAgreeing], [[], [], null]);
});
