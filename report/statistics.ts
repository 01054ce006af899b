/**
 * The statistics behind the bench's tables: a grid's cells grouped into seed-averaged entries
 * (per-unit scores of one method, prediction path, fraction, split and unit), an entry's mean
 * with its 95 % Student-t interval, and paired comparisons of two entries.
 *
 * A cell's scores per unit — per 2-D image (the paper's protocol) or per 3-D scan, as the cells
 * were evaluated — are averaged over its seeds (every cell of a grid uses the same split, so the
 * units are the same); a table cell is the mean over units with a 95 % Student-t interval, in
 * Dice percent; comparisons are paired two-sided t-tests on the per-unit scores of two entries
 * of the same protocol and split (units where either is undefined are left out), averaged over
 * the seeds both entries have: in a partial grid, where one method has finished more seeds than
 * another, a comparison never sets a three-seed average against a one-seed one.
 * @module
 */
import { meanCI } from "../metrics/mean_ci.ts";
import { pairedTTest } from "../metrics/paired_t_test.ts";
import type { CellResult } from "./data.ts";
import { methodLabel } from "./labels.ts";

/** A prediction path: `S(x)` (`plain`) or SGE `S(G(x))` (the methods' `MethodVariant`). */
export type Variant = "plain" | "sge";

/** An evaluation unit: a 2-D image (slice) or a 3-D scan. */
export type Unit = "image" | "scan";

/** A split side scored. */
export type Split = "test" | "validation";

/** The seed-averaged per-unit scores of one method, variant, fraction, split and unit. */
export interface Entry {
  /** Method name. */
  method: string;
  /** Prediction path. */
  variant: Variant;
  /** Labeled fraction. */
  fraction: number;
  /** The evaluation unit of the rows. */
  unit: Unit;
  /** The split side scored. */
  split: Split;
  /**
   * Slice directions: per image the image sets, per scan the directions of the prediction
   * (two: averaged); empty when unknown.
   */
  directions: string[];
  /** Seeds averaged. */
  seeds: number[];
  /** Unit ids (rows): scan ids, or image ids `<scan>/<direction>/<slice>`. */
  scans: string[];
  /** Scored labels (columns). */
  classes: number[];
  /** Dice per unit and class, averaged over seeds (`NaN` when undefined in every seed). */
  classDice: number[][];
  /** Per-unit mean Dice over the classes defined for that unit. */
  overall: number[];
  /** Mean overall Dice of each seed, in seed order. */
  seedMeans: number[];
  /**
   * Dice per seed (in `seeds` order), unit (in `scans` order) and class (in `classes` order);
   * `NaN` where the seed did not score the unit or the class is undefined. `classDice` is its
   * mean over seeds.
   */
  seedClassDice: number[][][];
}

/** One table cell: a mean (or a difference) in Dice percent with its 95 % CI and a test. */
export interface TableCell {
  /** Mean or mean difference, Dice percent (`null`: no value). */
  mean: number | null;
  /** Lower bound of the 95 % CI (`null` with fewer than 2 units). */
  lower: number | null;
  /** Upper bound of the 95 % CI. */
  upper: number | null;
  /** Number of units (images or scans, the table's `protocol.unit`; pairs for a difference). */
  n: number;
  /** Two-sided p of the paired t-test against `reference` (`null`: no test). */
  p: number | null;
  /** Label of the row it was tested against (`null`: none). */
  reference: string | null;
  /** Emphasis by the table's criterion (see the table's notes). */
  bold: boolean;
  /** Whether this cell is the reference of its column. */
  isReference?: boolean;
}

/** Which protocol produced a table's numbers. */
export interface TableProtocol {
  /** The evaluation unit: every `n` counts these. */
  unit: Unit;
  /** The split side. */
  split: Split;
  /** Slice directions (see {@linkcode Entry.directions}). */
  directions: string[];
  /** One sentence: unit, directions, split, and what the statistics are over. */
  text: string;
}

/** The protocol of entries of one unit and split, described in one sentence. */
export function describeProtocol(
  e: Pick<Entry, "unit" | "split" | "directions">,
): TableProtocol {
  const dirs = e.directions.length > 0 ? e.directions.join(" and ") : "";
  const how = e.unit === "image"
    ? `per image: Dice of each 2-D B-mode slice${
      dirs ? ` (${dirs}${e.directions.length > 1 ? " slices as separate images" : ""})` : ""
    }`
    : `per scan: Dice of each 3-D volume${
      e.directions.length > 1
        ? ` (${dirs} predictions averaged)`
        : dirs
        ? ` (predicted from ${dirs} slices)`
        : ""
    }`;
  return {
    unit: e.unit,
    split: e.split,
    directions: [...e.directions],
    text: `${how}, ${e.split} split; means with 95% Student-t intervals over ${e.unit}s, ` +
      `paired t-tests pairing the same ${e.unit}s`,
  };
}

/** `"test images"`, `"validation scans"`. */
export function unitNoun(e: Pick<Entry, "unit" | "split">): string {
  return `${e.split} ${e.unit}s`;
}

function nanMean(values: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

/**
 * Groups the cells' scores by method, variant, fraction, split side and unit (test scores, and
 * validation scores of the cells that have them) and averages each unit's scores over the
 * seeds. Units are matched by id; a unit missing from some seed is averaged over the others.
 * Scores of different units or splits never share an entry.
 */
export function buildEntries(cells: readonly CellResult[]): Entry[] {
  type Scores = NonNullable<CellResult["scores"]["plain"]>;
  interface Member {
    seed: number;
    scores: Scores;
  }
  const groups = new Map<
    string,
    Omit<
      Entry,
      "seeds" | "scans" | "classes" | "classDice" | "overall" | "seedMeans" | "seedClassDice"
    > & {
      members: Member[];
    }
  >();
  for (const c of cells) {
    const sides: [Split, CellResult["scores"], CellResult["metrics"] | undefined][] = [
      ["test", c.scores, c.metrics],
      ...(c.validation
        ? [["validation", c.validation.scores, c.validation.metrics] as [
          Split,
          CellResult["scores"],
          CellResult["metrics"],
        ]]
        : []),
    ];
    for (const [split, byVariant, metrics] of sides) {
      for (const variant of ["plain", "sge"] as const) {
        const scores = byVariant[variant];
        if (!scores) continue;
        const unit: Unit = scores.unit ?? "scan";
        const key = `${c.cell.method}|${variant}|${c.cell.fraction}|${split}|${unit}`;
        const g = groups.get(key) ?? {
          method: c.cell.method,
          variant,
          fraction: c.cell.fraction,
          unit,
          split,
          directions: [...(metrics?.protocol?.directions ?? [])],
          members: [],
        };
        g.members.push({ seed: c.cell.seed, scores });
        groups.set(key, g);
      }
    }
  }
  const entries: Entry[] = [];
  for (const { members, ...g } of groups.values()) {
    const sorted = [...members].sort((a, b) => a.seed - b.seed);
    const classes = sorted[0]!.scores.classes;
    const scans: string[] = [];
    const seen = new Set<string>();
    for (const m of sorted) {
      for (const s of m.scores.scans) {
        if (!seen.has(s)) {
          seen.add(s);
          scans.push(s);
        }
      }
    }
    const index = sorted.map((m) => new Map(m.scores.scans.map((s, i) => [s, i])));
    const columns = sorted.map((m) => classes.map((label) => m.scores.classes.indexOf(label)));
    const seedClassDice = sorted.map((m, j) =>
      scans.map((scan) => {
        const i = index[j]!.get(scan);
        return classes.map((_, kk) => {
          const k = columns[j]![kk]!;
          return i !== undefined && k >= 0 ? m.scores.dice[i]![k]! : NaN;
        });
      })
    );
    const classDice = averageSeeds(seedClassDice, scans.length, classes.length);
    const seedMeans = sorted.map((m) => nanMean(m.scores.dice.map(nanMean)));
    entries.push({
      ...g,
      seeds: sorted.map((m) => m.seed),
      scans,
      classes,
      classDice,
      overall: classDice.map(nanMean),
      seedMeans,
      seedClassDice,
    });
  }
  return entries;
}

/** Per unit and class, the mean over the given seeds' scores (`NaN` where none is defined). */
function averageSeeds(perSeed: readonly number[][][], units: number, classes: number): number[][] {
  return Array.from(
    { length: units },
    (_, i) => Array.from({ length: classes }, (_, k) => nanMean(perSeed.map((d) => d[i]![k]!))),
  );
}

/** The seeds every given entry has, ascending. */
export function commonSeeds(...entries: readonly Entry[]): number[] {
  const [first, ...rest] = entries;
  if (!first) return [];
  return first.seeds.filter((s) => rest.every((e) => e.seeds.includes(s))).sort((a, b) => a - b);
}

/**
 * The entry averaged over a subset of its seeds (those of `seeds` it has): the same units and
 * classes, its per-unit scores recomputed. Returns the entry itself when it has exactly those
 * seeds.
 */
export function restrictToSeeds(e: Entry, seeds: readonly number[]): Entry {
  const keep = e.seeds.map((s, j) => [s, j] as const).filter(([s]) => seeds.includes(s));
  if (keep.length === e.seeds.length) return e;
  const seedClassDice = keep.map(([, j]) => e.seedClassDice[j]!);
  const classDice = averageSeeds(seedClassDice, e.scans.length, e.classes.length);
  return {
    ...e,
    seeds: keep.map(([s]) => s),
    classDice,
    overall: classDice.map(nanMean),
    seedMeans: keep.map(([, j]) => e.seedMeans[j]!),
    seedClassDice,
  };
}

/** Which score of an entry: the overall per-scan mean, or one class (by label). */
export type ScoreColumn = "overall" | number;

function valuesOf(e: Entry, column: ScoreColumn): number[] {
  if (column === "overall") return e.overall;
  const k = e.classes.indexOf(column);
  return k < 0 ? e.scans.map(() => NaN) : e.classDice.map((r) => r[k]!);
}

/** Mean and 95 % t interval (percent) of an entry's column. */
export function entryStat(e: Entry, column: ScoreColumn = "overall"): TableCell {
  const values = valuesOf(e, column).filter((v) => !Number.isNaN(v));
  const n = values.length;
  if (n === 0) {
    return { mean: null, lower: null, upper: null, n: 0, p: null, reference: null, bold: false };
  }
  if (n === 1) {
    return {
      mean: values[0]! * 100,
      lower: null,
      upper: null,
      n,
      p: null,
      reference: null,
      bold: false,
    };
  }
  const ci = meanCI(values, { bounds: [0, 1] }); // Dice: the interval stays within [0, 1]
  return {
    mean: ci.mean * 100,
    lower: ci.lower * 100,
    upper: ci.upper * 100,
    n,
    p: null,
    reference: null,
    bold: false,
  };
}

/** A paired comparison `a − b` of two entries on the units they share. */
export interface PairedComparison {
  /** Mean difference, Dice percent. */
  difference: number;
  /** 95 % CI of the mean difference. */
  lower: number;
  /** Upper bound. */
  upper: number;
  /** Two-sided p (`null` when undefined, e.g. identical scores). */
  p: number | null;
  /** Pairs used. */
  n: number;
  /** The seeds averaged on both sides: those the compared entries share. */
  seeds: number[];
  /**
   * The same mean difference (points) for each of `seeds` alone, over the same paired units:
   * how much the result depends on the training seed, which the interval over units does not
   * include.
   */
  perSeed: number[];
}

/**
 * Paired two-sided t-test of `a − b` over the units both entries scored (matched by unit id;
 * pairs where either score is undefined are left out), each side averaged over the seeds both
 * entries have (see {@linkcode commonSeeds}). Entries must share their unit and split: images
 * are never paired with scans, nor test with validation units.
 *
 * @returns The comparison, or `null` with fewer than two pairs or no seed in common.
 * @throws {Error} When the entries differ in unit or split.
 */
export function compareEntries(
  a: Entry,
  b: Entry,
  column: ScoreColumn = "overall",
): PairedComparison | null {
  if (a.unit !== b.unit || a.split !== b.split) {
    throw new Error(
      `Cannot compare ${methodLabel(a.method, a.variant)} with ${
        methodLabel(b.method, b.variant)
      }: they were scored on different units (got ${unitNoun(a)} and ${unitNoun(b)})`,
    );
  }
  const seeds = commonSeeds(a, b);
  if (seeds.length === 0) return null;
  const paired = pairUnits(restrictToSeeds(a, seeds), restrictToSeeds(b, seeds), column);
  if (paired.x.length < 2) return null;
  const t = pairedTTest(paired.x, paired.y);
  // Per seed, over the units paired above (a unit undefined in one seed alone is left out).
  const perSeed = seeds.map((s) => {
    const one = pairUnits(restrictToSeeds(a, [s]), restrictToSeeds(b, [s]), column, paired.ids);
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

/** The units both entries define in a column, matched by id (optionally only `only`'s). */
function pairUnits(
  a: Entry,
  b: Entry,
  column: ScoreColumn,
  only?: ReadonlySet<string>,
): { x: number[]; y: number[]; ids: Set<string> } {
  const va = valuesOf(a, column);
  const vb = valuesOf(b, column);
  const x: number[] = [];
  const y: number[] = [];
  const ids = new Set<string>();
  const index = new Map(b.scans.map((s, j) => [s, j]));
  a.scans.forEach((scan, i) => {
    const j = index.get(scan);
    if (j === undefined || (only !== undefined && !only.has(scan))) return;
    const u = va[i]!;
    const v = vb[j]!;
    if (Number.isNaN(u) || Number.isNaN(v)) return;
    x.push(u);
    y.push(v);
    ids.add(scan);
  });
  return { x, y, ids };
}

/** Mean of `x − y` in percent (`NaN` when empty). */
export function meanDifferencePercent(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! - y[i]!;
  return (sum / x.length) * 100;
}

/** The entry of a method, prediction path and fraction, if any. */
export function findEntry(
  entries: readonly Entry[],
  method: string,
  variant: Variant,
  fraction: number,
): Entry | undefined {
  return entries.find((e) =>
    e.method === method && e.variant === variant && e.fraction === fraction
  );
}
