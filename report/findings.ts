/**
 * The "Findings" of a bench: each of the paper's claims checked on the grid's own results, as
 * a measured paired difference with its 95 % CI, p and n, and a verdict.
 *
 * Claims (the paper's Sections 3.1-3.4):
 * - **(a)** GRN-SSL with SGE beats the best baseline at each low labeled fraction (≤ 20 %);
 * - **(b)** SGE does not lower Dice (GRN-SEL and GRN-SSL, each fraction);
 * - **(c)** RAug (GRN-SEL − supervised) is positive at low fractions and shrinks toward 100 %;
 * - **(d)** SSL beats SEL (GRN-SSL − GRN-SEL, without and with SGE, each fraction);
 * - **(e)** Table 6's ordering: negated feedback < no feedback < GRN-SEL, and frozen S < GRN-SEL.
 *
 * Verdicts, from the paired difference `a − b` in the claimed direction and its 95 % Student-t
 * interval (the same t-test as the tables: the interval excludes 0 exactly when p < 0.05):
 * `holds` (interval above 0: significant in the claimed direction), `contradicted` (interval
 * below 0: significant in the opposite direction), `not significant` (the interval contains 0),
 * `not measured` (a method of the claim is missing from the grid, or fewer than two units pair).
 * Claim (b) is "≥": a significant drop contradicts it, a significant gain makes it hold (the
 * paper reports SGE as a consistent gain), and no significant difference is reported as
 * `not significant` rather than `holds`, because without an equivalence margin the absence of
 * a significant drop is not evidence that there is none.
 *
 * Every comparison pairs the same units (images or scans) of one protocol and split, as the
 * tables do ({@linkcode tableEntries}); (a)-(d) use the test split, (e) Table 6's split (the
 * validation split when its cells were scored there, as the paper) and also the test split
 * when it has those methods.
 *
 * Their text, Markdown and HTML forms are in `findings_format.ts`.
 * @module
 */
import { pairedTTest } from "../metrics/paired_t_test.ts";
import { fractionLabel, methodLabel } from "./labels.ts";
import {
  commonSeeds,
  compareEntries,
  type Entry,
  findEntry,
  meanDifferencePercent,
  type PairedComparison,
  restrictToSeeds,
  type Split,
  type Unit,
  type Variant,
} from "./statistics.ts";
import { bestBaseline, tableEntries } from "./tables.ts";

/** A claim's verdict; see the module documentation. */
export type Verdict = "holds" | "not significant" | "contradicted" | "not measured";

/** The paper's claims, by letter. */
export const CLAIMS: Readonly<Record<"a" | "b" | "c" | "d" | "e", string>> = Object.freeze({
  a: "GRN-SSL (w SGE) beats the best baseline at each low labeled fraction",
  b: "SGE does not lower Dice (GRN-SEL and GRN-SSL, each fraction)",
  c: "RAug (GRN-SEL − supervised) > 0 at low fractions and shrinks toward 100 %",
  d: "SSL > SEL (GRN-SSL − GRN-SEL)",
  e: "Ablations (Table 6): negated < no feedback < GRN-SEL; frozen S < GRN-SEL",
});

/** One checked comparison of a claim. */
export interface Finding {
  /** The claim's letter (see {@linkcode CLAIMS}). */
  claim: keyof typeof CLAIMS;
  /** What is compared, e.g. `"GRN-SSL (w SGE) − ICT (best baseline) > 0 at 5%"`. */
  statement: string;
  /** `">"`: the difference is claimed positive; `"≥"`: claimed not negative (claim b). */
  relation: ">" | "≥";
  /** Labeled fraction (`null`: the claim spans fractions or none is present). */
  fraction: number | null;
  /** Split side of the units (`null` when not measured). */
  split: Split | null;
  /** The unit paired and counted by `n` (`null` when not measured). */
  unit: Unit | null;
  /** Mean paired difference in Dice points (`null` when not measured). */
  difference: number | null;
  /** Lower bound of its 95 % CI. */
  lower: number | null;
  /** Upper bound of its 95 % CI. */
  upper: number | null;
  /** Two-sided p of the paired t-test (`null`: not measured or undefined). */
  p: number | null;
  /** Units paired (0 when not measured). */
  n: number;
  /** The verdict. */
  verdict: Verdict;
  /** Why it was not measured, or what was compared in detail. */
  note: string;
  /** The training seeds both sides were averaged over (empty when not measured). */
  seeds: number[];
  /**
   * The difference (points) for each of `seeds` alone, over the same units: the interval is
   * over units and does not include seed-to-seed variation, so a verdict whose seeds disagree
   * in sign is fragile (empty when not measured).
   */
  seedDifferences: number[];
  /**
   * Of `seedDifferences`, how many point the way of a significant verdict (`holds`: above 0,
   * `contradicted`: below 0); `null` for the other verdicts. A verdict whose count is below
   * `seeds.length` rests on some seeds only: a new seed may well not repeat it.
   */
  seedsAgreeing: number | null;
}

/** Options of {@linkcode buildFindings}. */
export interface FindingsOptions {
  /**
   * Largest labeled fraction counted as "low" by claims (a) and (c) (the paper's 5, 10 and
   * 20 %).
   * @default {0.2}
   */
  lowFractionMax?: number;
}

/** Tolerance when comparing fractions with the low-fraction limit. */
const EPS = 1e-9;

/**
 * The verdict of a claimed positive difference from its 95 % CI; see the module documentation
 * (claim b's "≥" maps the same way: a significant gain holds, a significant drop contradicts).
 */
export function verdictOf(ci: { lower: number | null; upper: number | null } | null): Verdict {
  if (ci === null || ci.lower === null || ci.upper === null) return "not measured";
  if (Number.isNaN(ci.lower) || Number.isNaN(ci.upper)) return "not measured";
  if (ci.lower > 0) return "holds";
  if (ci.upper < 0) return "contradicted";
  return "not significant";
}

/** What a finding says before it is measured: the claim, the comparison and a note. */
type FindingBase = Pick<Finding, "claim" | "statement" | "relation" | "fraction" | "note">;

function measured(
  base: FindingBase,
  compared: readonly Entry[],
  cmp: PairedComparison | null,
): Finding {
  const unitOf = compared[0]!;
  const seeds = commonSeeds(...compared);
  const join = (...parts: string[]) => parts.filter((x) => x).join("; ");
  if (cmp === null) {
    const why = seeds.length === 0
      ? `no seed finished by every compared method (${
        compared.map((e) => `${methodLabel(e.method, e.variant)}: ${seedList(e.seeds)}`).join(", ")
      })`
      : `fewer than two paired ${unitOf.split} ${unitOf.unit}s`;
    return notMeasured({ ...base, note: join(why, base.note) });
  }
  const partial = compared.some((e) => e.seeds.length !== cmp.seeds.length);
  const verdict = verdictOf(cmp);
  const significant = verdict === "holds" || verdict === "contradicted";
  const against =
    cmp.perSeed.filter((d) =>
      verdict === "contradicted" ? d >= 0 : verdict === "holds" ? d <= 0 : false
    ).length;
  return {
    ...base,
    note: join(
      base.note,
      partial
        ? `averaged over ${seedList(cmp.seeds)} only, the seeds every compared method has finished`
        : "",
    ),
    seeds: cmp.seeds,
    seedDifferences: cmp.perSeed,
    seedsAgreeing: significant ? cmp.perSeed.length - against : null,
    split: unitOf.split,
    unit: unitOf.unit,
    difference: cmp.difference,
    lower: cmp.lower,
    upper: cmp.upper,
    p: cmp.p,
    n: cmp.n,
    verdict,
  };
}

function seedList(seeds: readonly number[]): string {
  return `seed${seeds.length === 1 ? "" : "s"} ${seeds.join(", ")}`;
}

function notMeasured(
  base: FindingBase,
): Finding {
  return {
    ...base,
    split: null,
    unit: null,
    difference: null,
    lower: null,
    upper: null,
    p: null,
    n: 0,
    verdict: "not measured",
    seeds: [],
    seedDifferences: [],
    seedsAgreeing: null,
  };
}

function missing(entries: readonly Entry[], keys: [string, Variant][], fraction: number): string {
  const absent = keys.filter(([m, v]) => !findEntry(entries, m, v, fraction));
  return `not in the grid at ${fractionLabel(fraction)}: ${
    absent.map(([m, v]) => methodLabel(m, v)).join(", ")
  }`;
}

function fractionsOf(entries: readonly Entry[], methods: readonly string[]): number[] {
  return [
    ...new Set(entries.filter((e) => methods.includes(e.method)).map((e) => e.fraction)),
  ].sort((a, b) => a - b);
}

/** A paired comparison `a − b` of two entries, or "not measured" when one is missing. */
function pair(
  entries: readonly Entry[],
  claim: Finding["claim"],
  a: [string, Variant],
  b: [string, Variant],
  fraction: number,
  relation: Finding["relation"] = ">",
): Finding {
  const ea = findEntry(entries, a[0], a[1], fraction);
  const eb = findEntry(entries, b[0], b[1], fraction);
  const statement = `${methodLabel(...a)} − ${methodLabel(...b)} ${relation} 0 at ${
    fractionLabel(fraction)
  }`;
  if (!ea || !eb) {
    return notMeasured({
      claim,
      statement,
      relation,
      fraction,
      note: missing(entries, [a, b], fraction),
    });
  }
  return measured(
    { claim, statement, relation, fraction, note: "" },
    [ea, eb],
    compareEntries(ea, eb),
  );
}

/** Claim (a): GRN-SSL (w SGE) against the best baseline at each low fraction. */
function claimA(main: readonly Entry[], low: number): Finding[] {
  const sslLabel = methodLabel("grn-ssl", "sge");
  const fractions = [...new Set(main.map((e) => e.fraction))].filter((f) => f <= low + EPS)
    .sort((a, b) => a - b);
  if (fractions.length === 0) {
    return [notMeasured({
      claim: "a",
      statement: `${sslLabel} − best baseline > 0 at a low fraction`,
      relation: ">",
      fraction: null,
      note: `no labeled fraction ≤ ${fractionLabel(low)} in the grid`,
    })];
  }
  return fractions.map((f) => {
    const ssl = findEntry(main, "grn-ssl", "sge", f);
    const best = bestBaseline(main, f, "overall");
    const statement = `${sslLabel} − ${
      best ? `${methodLabel(best.method, "plain")} (best baseline)` : "best baseline"
    } > 0 at ${fractionLabel(f)}`;
    if (!ssl || !best) {
      return notMeasured({
        claim: "a",
        statement,
        relation: ">",
        fraction: f,
        note: `not in the grid at ${fractionLabel(f)}: ${
          [!ssl ? sslLabel : "", !best ? "any baseline" : ""].filter((x) => x).join(", ")
        }`,
      });
    }
    return measured(
      {
        claim: "a",
        statement,
        relation: ">",
        fraction: f,
        note: "best baseline: the non-GRN method with the highest mean at this fraction",
      },
      [ssl, best],
      compareEntries(ssl, best),
    );
  });
}

/** Claim (b): SGE − plain for GRN-SEL and GRN-SSL at each fraction. */
function claimB(main: readonly Entry[]): Finding[] {
  const out: Finding[] = [];
  for (const m of ["grn-sel", "grn-ssl"]) {
    const fractions = fractionsOf(main, [m]);
    if (fractions.length === 0) {
      out.push(notMeasured({
        claim: "b",
        statement: `${methodLabel(m, "sge")} − ${methodLabel(m, "plain")} ≥ 0`,
        relation: "≥",
        fraction: null,
        note: `${methodLabel(m, "plain")} is not in the grid`,
      }));
      continue;
    }
    for (const f of fractions) out.push(pair(main, "b", [m, "sge"], [m, "plain"], f, "≥"));
  }
  return out;
}

/**
 * A paired test of `(a1 − b1) − (a2 − b2)` over the units all four entries define (same unit
 * and split), or `null` with fewer than two.
 */
function differenceOfDifferences(
  a1: Entry,
  b1: Entry,
  a2: Entry,
  b2: Entry,
): PairedComparison | null {
  const seeds = commonSeeds(a1, b1, a2, b2);
  if (seeds.length === 0) return null;
  const all = [a1, b1, a2, b2].map((e) => restrictToSeeds(e, seeds));
  if (all.some((e) => e.unit !== a1.unit || e.split !== a1.split)) {
    throw new Error(
      `Cannot compare differences: the entries were scored on different units (got ${
        all.map((e) => `${e.split} ${e.unit}s`).join(", ")
      })`,
    );
  }
  const { x, y, ids } = differencePairs(all);
  if (x.length < 2) return null;
  const t = pairedTTest(x, y);
  const perSeed = seeds.map((s) => {
    const one = differencePairs(all.map((e) => restrictToSeeds(e, [s])), ids);
    return meanDifferencePercent(one.x, one.y);
  });
  return {
    difference: t.meanDifference * 100,
    lower: t.ci95.lower * 100,
    upper: t.ci95.upper * 100,
    p: Number.isNaN(t.p) ? null : t.p,
    n: t.n,
    seeds,
    perSeed,
  };
}

/** Per unit defined by all four entries: `a1 − b1` (x) and `a2 − b2` (y). */
function differencePairs(
  all: readonly Entry[],
  only?: ReadonlySet<string>,
): { x: number[]; y: number[]; ids: Set<string> } {
  const maps = all.map((e) => new Map(e.scans.map((s, i) => [s, e.overall[i]!])));
  const x: number[] = [];
  const y: number[] = [];
  const ids = new Set<string>();
  for (const id of all[0]!.scans) {
    if (only !== undefined && !only.has(id)) continue;
    const v = maps.map((m) => m.get(id));
    if (v.some((u) => u === undefined || Number.isNaN(u))) continue;
    x.push(v[0]! - v[1]!);
    y.push(v[2]! - v[3]!);
    ids.add(id);
  }
  return { x, y, ids };
}

/** Claim (c): RAug > 0 at each low fraction; RAug at the lowest > RAug at the highest fraction. */
function claimC(main: readonly Entry[], low: number): Finding[] {
  const sel: [string, Variant] = ["grn-sel", "plain"];
  const sup: [string, Variant] = ["supervised", "plain"];
  const both = fractionsOf(main, ["grn-sel"]).filter((f) =>
    findEntry(main, ...sup, f) !== undefined
  );
  const out: Finding[] = [];
  const lowFractions = fractionsOf(main, ["grn-sel", "supervised"]).filter((f) => f <= low + EPS);
  if (lowFractions.length === 0) {
    out.push(notMeasured({
      claim: "c",
      statement: "GRN-SEL − Fully supervised > 0 at a low fraction",
      relation: ">",
      fraction: null,
      note: `GRN-SEL and the supervised baseline are not in the grid at a fraction ≤ ${
        fractionLabel(low)
      }`,
    }));
  }
  for (const f of lowFractions) out.push(pair(main, "c", sel, sup, f));
  const statement = both.length >= 2
    ? `RAug at ${fractionLabel(both[0]!)} − RAug at ${fractionLabel(both.at(-1)!)} > 0`
    : "RAug at the lowest fraction − RAug at the highest fraction > 0";
  if (both.length < 2) {
    out.push(notMeasured({
      claim: "c",
      statement,
      relation: ">",
      fraction: null,
      note: "needs GRN-SEL and the supervised baseline at two or more fractions",
    }));
    return out;
  }
  const [f0, f1] = [both[0]!, both.at(-1)!];
  const e = [
    findEntry(main, ...sel, f0)!,
    findEntry(main, ...sup, f0)!,
    findEntry(main, ...sel, f1)!,
    findEntry(main, ...sup, f1)!,
  ] as const;
  out.push(measured(
    {
      claim: "c",
      statement,
      relation: ">",
      fraction: null,
      note: `the per-unit RAug (GRN-SEL − Fully supervised) at ${fractionLabel(f0)} minus at ${
        fractionLabel(f1)
      }, paired on the same units${f1 < 1 ? "; the grid's highest fraction is below 100%" : ""}`,
    },
    e,
    differenceOfDifferences(...e),
  ));
  return out;
}

/** Claim (d): GRN-SSL − GRN-SEL without and with SGE at each fraction. */
function claimD(main: readonly Entry[]): Finding[] {
  const fractions = fractionsOf(main, ["grn-sel", "grn-ssl"]);
  if (fractions.length === 0) {
    return [notMeasured({
      claim: "d",
      statement: "GRN-SSL − GRN-SEL > 0",
      relation: ">",
      fraction: null,
      note: "GRN-SEL and GRN-SSL are not in the grid",
    })];
  }
  return fractions.flatMap((f) =>
    (["plain", "sge"] as const).map((v) => pair(main, "d", ["grn-ssl", v], ["grn-sel", v], f))
  );
}

const E_PAIRS: readonly [[string, Variant], [string, Variant]][] = [
  [["grn-sel-no-feedback", "plain"], ["grn-sel-negated", "plain"]],
  [["grn-sel", "plain"], ["grn-sel-no-feedback", "plain"]],
  [["grn-sel", "plain"], ["grn-sel-frozen-s", "plain"]],
];

/** Claim (e) on one set of entries (one split), at its lowest fraction. */
function claimE(entries: readonly Entry[]): Finding[] {
  const fraction = Math.min(...entries.map((e) => e.fraction));
  if (!Number.isFinite(fraction)) {
    return E_PAIRS.map(([a, b]) =>
      notMeasured({
        claim: "e",
        statement: `${methodLabel(...a)} − ${methodLabel(...b)} > 0`,
        relation: ">",
        fraction: null,
        note: "no results",
      })
    );
  }
  return E_PAIRS.map(([a, b]) => pair(entries, "e", a, b, fraction));
}

/**
 * Checks each of the paper's claims on a grid's entries (see the module documentation): pure,
 * from the entries alone.
 *
 * @param entries The grid's entries (`buildEntries`), of any units and splits: the tables'
 *   choice ({@linkcode tableEntries}) is applied.
 * @param options See {@linkcode FindingsOptions}.
 * @returns The findings, claim by claim, fraction by fraction.
 */
export function buildFindings(
  entries: readonly Entry[],
  options: FindingsOptions = {},
): Finding[] {
  const { lowFractionMax = 0.2 } = options;
  const { main, table6 } = tableEntries(entries);
  const out = [
    ...claimA(main, lowFractionMax),
    ...claimB(main),
    ...claimC(main, lowFractionMax),
    ...claimD(main),
    ...claimE(table6),
  ];
  if (table6 !== main) {
    // Table 6 came from the validation split: the same ordering on the test split too, when
    // the grid has those methods there.
    const onTest = claimE(main);
    if (onTest.some((f) => f.verdict !== "not measured")) out.push(...onTest);
  }
  return out;
}

/** Counts of each verdict. */
export function countVerdicts(findings: readonly Finding[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = {
    "holds": 0,
    "not significant": 0,
    "contradicted": 0,
    "not measured": 0,
  };
  for (const f of findings) counts[f.verdict]++;
  return counts;
}

/**
 * Of the significant verdicts (`holds`, `contradicted`), how many every seed alone agrees with
 * (see {@linkcode Finding.seedsAgreeing}); findings with a single seed count as agreeing.
 */
export function countSeedAgreement(
  findings: readonly Finding[],
): { holds: number; contradicted: number } {
  const out = { holds: 0, contradicted: 0 };
  for (const f of findings) {
    if (f.verdict !== "holds" && f.verdict !== "contradicted") continue;
    if (f.seedsAgreeing === f.seedDifferences.length) out[f.verdict]++;
  }
  return out;
}

/** The rule behind the verdicts, one line each (for the report and `tables.json`). */
export const VERDICT_RULES: readonly string[] = Object.freeze([
  "Each finding is a paired difference a − b in Dice points over the same units (images or " +
  "scans) of one split, with its 95% Student-t interval and the paired two-sided t-test p.",
  "holds: the interval lies above 0 (significant in the claimed direction, p < 0.05); " +
  "contradicted: it lies below 0 (significant in the opposite direction); not significant: " +
  "it contains 0; not measured: a method of the claim is not in the grid (or fewer than two " +
  "units pair).",
  'Claim (b) is "SGE does not lower Dice" (≥): a significant drop contradicts it, a ' +
  "significant gain holds (the paper reports a consistent gain); no significant difference is " +
  '"not significant", since without an equivalence margin it does not show that there is no ' +
  "drop.",
  "Best baseline (a): the non-GRN method with the highest mean at that fraction (choosing the " +
  "best makes the claim harder to hold). Seeds are averaged per unit before pairing.",
  "Per seed: the same difference for each training seed alone, over the same units. The " +
  "interval is over units (images or scans) and does not include seed-to-seed variation; a " +
  "verdict whose seeds disagree in sign rests on some seeds only: its verdict says how many of " +
  "the seeds agree (e.g. holds, 2 of 3 seeds), and the counts say how many verdicts every seed " +
  "repeats.",
]);
