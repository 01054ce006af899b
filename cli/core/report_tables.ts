/**
 * The paper's tables from a bench's cells: Table 2 (methods × low labeled fractions), Table 3
 * (per-layer Dice at the lowest fraction), Table 4 (GRN variants across fractions against the
 * supervised model at 100 %), Table 5 (effects of RAug, SGE and SSL as paired differences) and
 * Table 6 (ablations at the lowest fraction), as JSON-ready objects, Markdown and CSV rows.
 *
 * Statistics: a cell's scores per unit — per 2-D image (the paper's protocol) or per 3-D scan,
 * as the cells were evaluated — are averaged over its seeds (every cell of a grid uses the same
 * split, so the units are the same); a table cell is the mean over units with a 95 % Student-t
 * interval, in Dice percent; comparisons are paired two-sided t-tests on the per-unit scores of
 * two entries of the same protocol and split (units where either is undefined are left out).
 * Tables 2-5 use the test split; Table 6 the validation split when its cells were scored there
 * (as the paper's Table 6), else the test split. Each table says its protocol.
 * @module
 */
import { meanCI } from "../../metrics/mean_ci.ts";
import { pairedTTest } from "../../metrics/paired_t_test.ts";
import type { CellResult } from "./report_data.ts";

/** A prediction path: `S(x)` (`plain`) or SGE `S(G(x))`. */
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

/** One table row. */
export interface TableRow {
  /** Row label as in the paper (e.g. `"GRN-SSL (w SGE)"`). */
  label: string;
  /** Method name (or, in Table 5, the effect's name). */
  method: string;
  /** Prediction path (`null` for differences). */
  variant: Variant | null;
  /** One cell per column (`null`: not in the grid). */
  cells: (TableCell | null)[];
}

/** A table. */
export interface BenchTable {
  /** `"table2"` … `"table6"`. */
  id: string;
  /** Title. */
  title: string;
  /** The protocol behind every number of the table (`null` for a table without entries). */
  protocol: TableProtocol | null;
  /** Unit of the cells. */
  unit: string;
  /** Column headings. */
  columns: string[];
  /** Column keys (fractions, labels, or names). */
  columnKeys: (number | string)[];
  /** Rows. */
  rows: TableRow[];
  /** What the emphasis and tests mean, and deviations from the paper. */
  notes: string[];
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

/** Display names of the built-in methods (the paper's row names). */
export const METHOD_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "supervised": "Fully supervised",
  "supervised-aug": "Fully supervised (w. image augmentation)",
  "supervised-gan-aug": "Fully supervised (w. GAN augmentation)",
  "mt": "MT",
  "uamt": "UAMT",
  "urpc": "URPC",
  "sassnet": "SASSNet",
  "rdrop": "R-Drop",
  "ict": "ICT",
  "dan": "DAN",
  "grn-sel": "GRN-SEL",
  "grn-sel-no-feedback": "GRN-SEL (w/o L_seg feedback)",
  "grn-sel-negated": "GRN-SEL (w. -L_seg feedback)",
  "grn-sel-frozen-s": "GRN-SEL (freeze S for L_G)",
  "grn-ssl": "GRN-SSL",
  "grn-ssl-mt": "GRN-SSL (MT L_customize)",
  "grn-ssl-urpc": "GRN-SSL (URPC L_customize)",
});

/** Methods of the paper's ablation study (Table 6 only). */
export const ABLATION_METHODS: readonly string[] = Object.freeze([
  "supervised-aug",
  "supervised-gan-aug",
  "grn-sel-no-feedback",
  "grn-sel-negated",
  "grn-sel-frozen-s",
]);

/** Largest fraction shown in Table 2 (the paper's 5, 10 and 20 %). */
export const LOW_FRACTION_MAX = 0.25;

/** The row label of a method and prediction path, e.g. `"GRN-SEL (w SGE)"`. */
export function methodLabel(method: string, variant: Variant): string {
  const base = METHOD_LABELS[method] ?? method;
  return variant === "sge" ? `${base} (w SGE)` : base;
}

/** Whether a method is one of the proposed GRN variants (name starting with `grn-`). */
export function isProposed(method: string): boolean {
  return method.startsWith("grn-");
}

/** A fraction as a column heading: `"5%"`, `"12.5%"`, `"100%"`. */
export function fractionLabel(f: number): string {
  return `${Number((f * 100).toFixed(2))}%`;
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
    Omit<Entry, "seeds" | "scans" | "classes" | "classDice" | "overall" | "seedMeans"> & {
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
    const classDice = scans.map((scan) =>
      classes.map((_, kk) => {
        const values: number[] = [];
        sorted.forEach((m, j) => {
          const i = index[j]!.get(scan);
          const k = columns[j]![kk]!;
          if (i !== undefined && k >= 0) values.push(m.scores.dice[i]![k]!);
        });
        return nanMean(values);
      })
    );
    const seedMeans = sorted.map((m) => nanMean(m.scores.dice.map(nanMean)));
    entries.push({
      ...g,
      seeds: sorted.map((m) => m.seed),
      scans,
      classes,
      classDice,
      overall: classDice.map(nanMean),
      seedMeans,
    });
  }
  return entries;
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
}

/**
 * Paired two-sided t-test of `a − b` over the units both entries scored (matched by unit id;
 * pairs where either score is undefined are left out). Entries must share their unit and split:
 * images are never paired with scans, nor test with validation units.
 *
 * @returns The comparison, or `null` with fewer than two pairs.
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
  const va = valuesOf(a, column);
  const vb = valuesOf(b, column);
  const x: number[] = [];
  const y: number[] = [];
  const index = new Map(b.scans.map((s, j) => [s, j]));
  a.scans.forEach((scan, i) => {
    const j = index.get(scan);
    if (j === undefined) return;
    const u = va[i]!;
    const v = vb[j]!;
    if (Number.isNaN(u) || Number.isNaN(v)) return;
    x.push(u);
    y.push(v);
  });
  if (x.length < 2) return null;
  const t = pairedTTest(x, y);
  return {
    difference: t.meanDifference * 100,
    lower: t.ci95.lower * 100,
    upper: t.ci95.upper * 100,
    p: Number.isNaN(t.p) ? null : t.p,
    n: t.n,
  };
}

/** The entry of a method, prediction path and fraction, if any. */
export function findEntry(
  entries: readonly Entry[],
  method: string,
  variant: Variant,
  fraction: number,
): Entry | undefined {
  return find(entries, method, variant, fraction);
}

function find(entries: readonly Entry[], method: string, variant: Variant, fraction: number) {
  return entries.find((e) =>
    e.method === method && e.variant === variant && e.fraction === fraction
  );
}

/** Rows (method, variant) in grid order: each method, then its SGE path when it has one. */
function rowKeys(entries: readonly Entry[], methods: readonly string[]): [string, Variant][] {
  const keys: [string, Variant][] = [];
  for (const m of methods) {
    if (entries.some((e) => e.method === m && e.variant === "plain")) keys.push([m, "plain"]);
    if (entries.some((e) => e.method === m && e.variant === "sge")) keys.push([m, "sge"]);
  }
  return keys;
}

function withTest(cell: TableCell, cmp: PairedComparison | null, reference: string): TableCell {
  return { ...cell, p: cmp?.p ?? null, reference };
}

const ALPHA = 0.05;

/** The protocol of a table's (homogeneous) entries. */
function protocolOf(entries: readonly Entry[]): TableProtocol | null {
  const e = entries[0];
  return e ? describeProtocol(e) : null;
}

/** `"image"` or `"scan"` for a table's text. */
function unitOf(entries: readonly Entry[]): Unit {
  return entries[0]?.unit ?? "scan";
}

/** Method order of the grid: first appearance in the entries (which follow the cells). */
function methodOrder(entries: readonly Entry[], methods?: readonly string[]): string[] {
  const order = [...(methods ?? [])];
  for (const e of entries) if (!order.includes(e.method)) order.push(e.method);
  return order;
}

/**
 * Picks, per column, the baseline (not a GRN variant, not an ablation, `S(x)`) with the
 * highest mean at a fraction; the other rows are tested against it.
 *
 * @returns The baseline's entry, or `null` when the fraction has none.
 */
export function bestBaseline(
  entries: readonly Entry[],
  fraction: number,
  column: ScoreColumn,
): Entry | null {
  let best: Entry | null = null;
  let bestMean = -Infinity;
  for (const e of entries) {
    if (e.fraction !== fraction || e.variant !== "plain") continue;
    if (isProposed(e.method) || ABLATION_METHODS.includes(e.method)) continue;
    const m = entryStat(e, column).mean;
    if (m !== null && m > bestMean) {
      bestMean = m;
      best = e;
    }
  }
  return best;
}

/**
 * Table 2: every compared method (ablations aside) × the low labeled fractions (at most
 * {@linkcode LOW_FRACTION_MAX}; every fraction when the grid has none that low).
 */
export function table2(entries: readonly Entry[], methods?: readonly string[]): BenchTable | null {
  const main = entries.filter((e) => !ABLATION_METHODS.includes(e.method));
  const all = [...new Set(main.map((e) => e.fraction))].sort((a, b) => a - b);
  const low = all.filter((f) => f <= LOW_FRACTION_MAX);
  const fractions = low.length > 0 ? low : all; // a grid without low fractions: all of them
  if (fractions.length === 0) return null;
  const inTable = main.filter((e) => fractions.includes(e.fraction));
  const best = fractions.map((f) => bestBaseline(inTable, f, "overall"));
  const rows: TableRow[] = rowKeys(inTable, methodOrder(inTable, methods)).map(([m, v]) => ({
    label: methodLabel(m, v),
    method: m,
    variant: v,
    cells: fractions.map((f, j) => {
      const e = find(inTable, m, v, f);
      if (!e) return null;
      const cell = entryStat(e);
      const ref = best[j];
      if (!ref) return cell;
      if (ref === e) return { ...cell, isReference: true };
      const cmp = compareEntries(e, ref);
      const out = withTest(cell, cmp, methodLabel(ref.method, ref.variant));
      out.bold = isProposed(m) && cmp !== null && cmp.p !== null && cmp.p < ALPHA &&
        cmp.difference > 0;
      return out;
    }),
  }));
  const u = unitOf(inTable);
  return {
    id: "table2",
    title: `Table 2: Dice (%) of every method by labeled fraction, mean over ${
      inTable[0] ? unitNoun(inTable[0]) : "test scans"
    } (95% CI)`,
    protocol: protocolOf(inTable),
    unit: "Dice (%)",
    columns: fractions.map(fractionLabel),
    columnKeys: fractions,
    rows,
    notes: [
      `p: paired two-sided t-test on per-${u} mean Dice against the best baseline of the column ` +
      "(the non-GRN method with the highest mean, marked as reference).",
      "Bold: a GRN variant significantly better than the best baseline (p < 0.05).",
    ],
  };
}

/** Table 3: per-layer Dice at the lowest fraction of Table 2. */
export function table3(
  entries: readonly Entry[],
  classNames: readonly { label: number; name: string }[],
  methods?: readonly string[],
): BenchTable | null {
  const main = entries.filter((e) => !ABLATION_METHODS.includes(e.method));
  const fractions = [...new Set(main.map((e) => e.fraction))].sort((a, b) => a - b);
  const fraction = fractions.find((f) => f <= LOW_FRACTION_MAX) ?? fractions[0];
  if (fraction === undefined) return null;
  const inTable = main.filter((e) => e.fraction === fraction);
  const columns: ScoreColumn[] = [...classNames.map((c) => c.label), "overall"];
  const best = columns.map((c) => bestBaseline(inTable, fraction, c));
  const rows: TableRow[] = rowKeys(inTable, methodOrder(inTable, methods)).map(([m, v]) => {
    const e = find(inTable, m, v, fraction)!;
    return {
      label: methodLabel(m, v),
      method: m,
      variant: v,
      cells: columns.map((c, j) => {
        const cell = entryStat(e, c);
        const ref = best[j];
        if (!ref) return cell;
        if (ref === e) return { ...cell, isReference: true };
        const cmp = compareEntries(e, ref, c);
        const out = withTest(cell, cmp, methodLabel(ref.method, ref.variant));
        out.bold = isProposed(m) && cmp !== null && cmp.p !== null && cmp.p < ALPHA &&
          cmp.difference > 0;
        return out;
      }),
    };
  });
  const u = unitOf(inTable);
  return {
    id: "table3",
    title: `Table 3: Dice (%) per tissue layer at ${fractionLabel(fraction)} labeled (95% CI)`,
    protocol: protocolOf(inTable),
    unit: "Dice (%)",
    columns: [...classNames.map((c) => capitalize(c.name)), "Overall"],
    columnKeys: columns,
    rows,
    notes: [
      `p: paired two-sided t-test on per-${u} Dice of the layer against the column's best ` +
      `baseline (marked as reference); ${u}s where the layer is absent from both prediction ` +
      "and truth are left out.",
      "Bold: a GRN variant significantly better than the best baseline (p < 0.05).",
    ],
  };
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

const TABLE4_ROWS: readonly [string, Variant][] = [
  ["supervised", "plain"],
  ["grn-sel", "plain"],
  ["grn-sel", "sge"],
  ["grn-ssl", "plain"],
  ["grn-ssl", "sge"],
];

/**
 * Table 4: the GRN variants and the supervised model across fractions (two or more), against
 * the supervised model at 100 %.
 */
export function table4(entries: readonly Entry[]): BenchTable | null {
  const present = TABLE4_ROWS.filter(([m, v]) =>
    entries.some((e) => e.method === m && e.variant === v)
  );
  if (present.length === 0) return null;
  const fractions = [
    ...new Set(
      entries.filter((e) => present.some(([m, v]) => e.method === m && e.variant === v)).map((e) =>
        e.fraction
      ),
    ),
  ].sort((a, b) => a - b);
  if (fractions.length < 2) return null; // one fraction: Table 2 has it all
  const ref = find(entries, "supervised", "plain", 1) ?? null;
  const refLabel = `${METHOD_LABELS.supervised} at 100%`;
  const rows: TableRow[] = present.map(([m, v]) => ({
    label: methodLabel(m, v),
    method: m,
    variant: v,
    cells: fractions.map((f) => {
      const e = find(entries, m, v, f);
      if (!e) return null;
      const cell = entryStat(e);
      if (!ref) return cell;
      if (e === ref) return { ...cell, isReference: true };
      const cmp = compareEntries(e, ref);
      const out = withTest(cell, cmp, refLabel);
      out.bold = cmp !== null && (cmp.difference >= 0 || cmp.p === null || cmp.p >= ALPHA);
      return out;
    }),
  }));
  const used = entries.filter((e) => present.some(([m, v]) => e.method === m && e.variant === v));
  return {
    id: "table4",
    title: "Table 4: Dice (%) of the GRN variants by labeled fraction (95% CI)",
    protocol: protocolOf(used),
    unit: "Dice (%)",
    columns: fractions.map(fractionLabel),
    columnKeys: fractions,
    rows,
    notes: ref
      ? [
        `p: paired two-sided t-test on per-${
          unitOf(used)
        } mean Dice against the supervised model trained ` +
        "on 100% of the labeled training participants.",
        "Bold: not significantly inferior to it (a higher mean, or p >= 0.05).",
      ]
      : ["No supervised run at 100% in this grid: no test against it."],
  };
}

/** The effects of Table 5: name, label, and the entries whose paired difference it is. */
const EFFECTS: readonly {
  name: string;
  label: string;
  a: [string, Variant];
  b: [string, Variant];
}[] = [
  { name: "raug", label: "RAug", a: ["grn-sel", "plain"], b: ["supervised", "plain"] },
  { name: "sge-sel", label: "SGE w. SEL", a: ["grn-sel", "sge"], b: ["grn-sel", "plain"] },
  { name: "sge-ssl", label: "SGE w. SSL", a: ["grn-ssl", "sge"], b: ["grn-ssl", "plain"] },
  { name: "ssl-plain", label: "SSL w. no SGE", a: ["grn-ssl", "plain"], b: ["grn-sel", "plain"] },
  { name: "ssl-sge", label: "SSL w. SGE", a: ["grn-ssl", "sge"], b: ["grn-sel", "sge"] },
];

/** Table 5: effects of RAug, SGE and SSL as paired differences by fraction. */
export function table5(entries: readonly Entry[]): BenchTable | null {
  const fractions = [...new Set(entries.map((e) => e.fraction))].sort((a, b) => a - b);
  const rows: TableRow[] = [];
  const used = new Set<number>();
  for (const eff of EFFECTS) {
    const cells = fractions.map((f) => {
      const a = find(entries, eff.a[0], eff.a[1], f);
      const b = find(entries, eff.b[0], eff.b[1], f);
      if (!a || !b) return null;
      const cmp = compareEntries(a, b);
      if (!cmp) return null;
      used.add(f);
      return {
        mean: cmp.difference,
        lower: cmp.lower,
        upper: cmp.upper,
        n: cmp.n,
        p: cmp.p,
        reference: methodLabel(eff.b[0], eff.b[1]),
        bold: cmp.p !== null && cmp.p < ALPHA,
      } satisfies TableCell;
    });
    if (cells.some((c) => c !== null)) {
      rows.push({ label: eff.label, method: eff.name, variant: null, cells });
    }
  }
  if (rows.length === 0) return null;
  const keep = fractions.map((f) => used.has(f));
  return {
    id: "table5",
    title: "Table 5: effects of RAug, SGE and SSL, Dice difference in points (95% CI)",
    protocol: protocolOf(entries),
    unit: "Dice difference (points)",
    columns: fractions.filter((_, j) => keep[j]).map(fractionLabel),
    columnKeys: fractions.filter((_, j) => keep[j]),
    rows: rows.map((r) => ({ ...r, cells: r.cells.filter((_, j) => keep[j]) })),
    notes: [
      "RAug = GRN-SEL − Fully supervised; SGE w. SEL = GRN-SEL (w SGE) − GRN-SEL; " +
      "SGE w. SSL = GRN-SSL (w SGE) − GRN-SSL; SSL w. no SGE = GRN-SSL − GRN-SEL; " +
      "SSL w. SGE = GRN-SSL (w SGE) − GRN-SEL (w SGE).",
      `Mean of the per-${
        unitOf(entries)
      } differences with its 95% CI and the paired two-sided t-test p; ` +
      "bold: p < 0.05 (either sign).",
    ],
  };
}

const TABLE6_ROWS: readonly [string, Variant][] = [
  ["supervised", "plain"],
  ["supervised-aug", "plain"],
  ["supervised-gan-aug", "plain"],
  ["grn-sel", "plain"],
  ["grn-sel", "sge"],
  ["grn-sel-no-feedback", "plain"],
  ["grn-sel-negated", "plain"],
  ["grn-sel-frozen-s", "plain"],
  ["grn-ssl", "sge"],
];

/** Table 6: the ablation study at the lowest fraction, improvement over the supervised model. */
export function table6(entries: readonly Entry[]): BenchTable | null {
  const fractions = [...new Set(entries.map((e) => e.fraction))].sort((a, b) => a - b);
  const fraction = fractions[0];
  if (fraction === undefined) return null;
  const ref = find(entries, "supervised", "plain", fraction);
  if (!ref) return null;
  const present = TABLE6_ROWS.filter(([m, v]) => find(entries, m, v, fraction));
  if (present.length < 2) return null;
  const rows: TableRow[] = present.map(([m, v]) => {
    const e = find(entries, m, v, fraction)!;
    const cell = entryStat(e);
    if (e === ref) {
      return {
        label: methodLabel(m, v),
        method: m,
        variant: v,
        cells: [{ ...cell, isReference: true }, null],
      };
    }
    const cmp = compareEntries(e, ref);
    const improvement: TableCell | null = cmp
      ? {
        mean: cmp.difference,
        lower: cmp.lower,
        upper: cmp.upper,
        n: cmp.n,
        p: cmp.p,
        reference: METHOD_LABELS.supervised!,
        bold: cmp.p !== null && cmp.p < ALPHA,
      }
      : null;
    return { label: methodLabel(m, v), method: m, variant: v, cells: [cell, improvement] };
  });
  const split = ref.split;
  return {
    id: "table6",
    title: `Table 6: ablation study at ${fractionLabel(fraction)} labeled, ${split} split`,
    protocol: describeProtocol(ref),
    unit: "Dice (%)",
    columns: ["DSC (%)", "Improvement (points)"],
    columnKeys: ["dice", "improvement"],
    rows,
    notes: [
      `Improvement: per-${ref.unit} paired difference to the fully supervised model with its ` +
      "95% CI and the paired two-sided t-test p; bold: p < 0.05.",
      split === "validation"
        ? "Scored on the validation split, as the paper's Table 6; the validation split also " +
          "chose each model's epoch, so these values are optimistic. Tables 2-5 use the test split."
        : "The paper scores Table 6 on its validation set; these cells were not scored there, so " +
          "this table uses the test split.",
    ],
  };
}

/**
 * The unit of a grid's tables: the unit most of its test entries were scored on (ties: per
 * image, the paper's).
 */
export function primaryUnit(entries: readonly Entry[]): Unit {
  const test = entries.filter((e) => e.split === "test");
  const images = test.filter((e) => e.unit === "image").length;
  return images * 2 >= test.length ? "image" : "scan";
}

/**
 * The entries each table is built from: Tables 2-5 from the test entries of the grid's unit
 * ({@linkcode primaryUnit}); Table 6 from the validation entries of that unit when they hold
 * its reference (the supervised model at the grid's lowest fraction) with at least two units
 * (so that intervals and tests exist; per scan a small validation split may have one) and at
 * least one other Table 6 row, as the paper's Table 6, else from the test entries.
 */
export function tableEntries(entries: readonly Entry[]): {
  main: Entry[];
  table6: Entry[];
  /** Test entries left out because they were scored on another unit. */
  otherUnit: Entry[];
} {
  const unit = primaryUnit(entries);
  const main = entries.filter((e) => e.split === "test" && e.unit === unit);
  const otherUnit = entries.filter((e) => e.split === "test" && e.unit !== unit);
  const validation = entries.filter((e) => e.split === "validation" && e.unit === unit);
  const lowest = Math.min(...main.map((e) => e.fraction));
  const rows = TABLE6_ROWS.filter(([m, v]) => find(validation, m, v, lowest));
  const ref = find(validation, "supervised", "plain", lowest);
  const useValidation = ref !== undefined && ref.scans.length >= 2 && rows.length >= 2;
  return { main, table6: useValidation ? validation : main, otherUnit };
}

/**
 * All tables a grid's entries support, in the paper's order (entries chosen by
 * {@linkcode tableEntries}: every table is of one unit, and a test never pairs across units).
 */
export function buildTables(
  entries: readonly Entry[],
  classNames: readonly { label: number; name: string }[],
  methods?: readonly string[],
): BenchTable[] {
  const { main, table6: t6 } = tableEntries(entries);
  return [
    table2(main, methods),
    table3(main, classNames, methods),
    table4(main),
    table5(main),
    table6(t6),
  ].filter((t): t is BenchTable => t !== null);
}

/** `"68.90"`; `"–"` for none. */
function num(v: number | null, signed = false): string {
  if (v === null || !Number.isFinite(v)) return "–";
  const s = v.toFixed(2);
  return signed && v >= 0 ? `+${s}` : s;
}

/** `"p=0.034"`, `"p<0.001"`. */
export function formatP(p: number | null): string {
  if (p === null) return "";
  return p < 0.001 ? "p<0.001" : `p=${p.toFixed(3)}`;
}

/** A cell as text: `"68.90 (68.62, 69.18)"` (signed for differences). */
export function formatCell(c: TableCell | null, signed = false): string {
  if (c === null || c.mean === null) return "–";
  const ci = c.lower === null ? "" : ` (${num(c.lower, signed)}, ${num(c.upper, signed)})`;
  return `${num(c.mean, signed)}${ci}`;
}

/** Whether a table's cells are differences (printed with a sign). */
export function isDifferenceTable(t: BenchTable, column: number): boolean {
  return t.id === "table5" || (t.id === "table6" && column === 1);
}

/** A table as Markdown: values with CIs, p-values, bold by the table's criterion, notes. */
export function tableToMarkdown(t: BenchTable): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    `### ${t.title}`,
    "",
    ...(t.protocol ? [`Protocol: ${t.protocol.text}; n counts ${t.protocol.unit}s.`, ""] : []),
    `| ${["Method", ...t.columns].map(esc).join(" | ")} |`,
    `| ${["---", ...t.columns.map(() => "---")].join(" | ")} |`,
  ];
  for (const r of t.rows) {
    const cells = r.cells.map((c, j) => {
      if (c === null) return "–";
      let text = formatCell(c, isDifferenceTable(t, j));
      if (c.bold) text = `**${text}**`;
      if (c.isReference) text += " (ref.)";
      else if (c.p !== null) text += ` ${formatP(c.p)}`;
      return text;
    });
    lines.push(`| ${[esc(r.label), ...cells].join(" | ")} |`);
  }
  lines.push("");
  for (const n of t.notes) lines.push(`- ${n}`);
  return lines.join("\n") + "\n";
}

/** One CSV row per table cell (long format), with the split and unit behind each number. */
export function tablesToCsvRows(
  tables: readonly BenchTable[],
): Record<string, string | number | boolean | null>[] {
  const rows: Record<string, string | number | boolean | null>[] = [];
  for (const t of tables) {
    for (const r of t.rows) {
      r.cells.forEach((c, j) => {
        if (c === null) return;
        rows.push({
          table: t.id,
          row: r.label,
          method: r.method,
          variant: r.variant,
          column: t.columns[j]!,
          key: t.columnKeys[j]!,
          unit: t.unit,
          split: t.protocol?.split ?? null,
          sample_unit: t.protocol?.unit ?? null,
          mean: c.mean,
          lower: c.lower,
          upper: c.upper,
          n: c.n,
          p: c.p,
          reference: c.isReference ? "(reference)" : c.reference,
          bold: c.bold,
        });
      });
    }
  }
  return rows;
}
