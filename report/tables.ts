/**
 * The paper's tables from a bench's cells: Table 2 (methods × low labeled fractions), Table 3
 * (per-layer Dice at the lowest fraction), Table 4 (GRN variants across fractions against the
 * supervised model at 100 %), Table 5 (effects of RAug, SGE and SSL as paired differences) and
 * Table 6 (ablations at the lowest fraction), as JSON-ready objects, Markdown and CSV rows.
 *
 * The statistics (entries, means with intervals, paired tests) are in `statistics.ts`,
 * the Markdown, CSV and text forms in `format.ts`; the rows of Tables 4 and 6 and which
 * methods are proposed or ablations come from the method definitions (`labels.ts`).
 * Tables 2-5 use the test split; Table 6 the validation split when its cells were scored there
 * (as the paper's Table 6), else the test split. Each table says its protocol.
 * @module
 */
import {
  ALPHA,
  capitalize,
  methodOrder,
  partialSeedsNote,
  protocolOf,
  rowKeys,
  unitOf,
  withTest,
} from "./_table_parts.ts";
import { fractionLabel, isAblation, isProposed, methodLabel, paperTableRows } from "./labels.ts";
import {
  compareEntries,
  describeProtocol,
  type Entry,
  entryStat,
  findEntry,
  type ScoreColumn,
  type TableCell,
  type TableProtocol,
  type Unit,
  unitNoun,
  type Variant,
} from "./statistics.ts";

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

/** Largest fraction shown in Table 2 (the paper's 5, 10 and 20 %). */
export const LOW_FRACTION_MAX = 0.25;

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
    if (isProposed(e.method) || isAblation(e.method)) continue;
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
  const main = entries.filter((e) => !isAblation(e.method));
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
      const e = findEntry(inTable, m, v, f);
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
      ...partialSeedsNote(inTable),
    ],
  };
}

/** Table 3: per-layer Dice at the lowest fraction of Table 2. */
export function table3(
  entries: readonly Entry[],
  classNames: readonly { label: number; name: string }[],
  methods?: readonly string[],
): BenchTable | null {
  const main = entries.filter((e) => !isAblation(e.method));
  const fractions = [...new Set(main.map((e) => e.fraction))].sort((a, b) => a - b);
  const fraction = fractions.find((f) => f <= LOW_FRACTION_MAX) ?? fractions[0];
  if (fraction === undefined) return null;
  const inTable = main.filter((e) => e.fraction === fraction);
  const columns: ScoreColumn[] = [...classNames.map((c) => c.label), "overall"];
  const best = columns.map((c) => bestBaseline(inTable, fraction, c));
  const rows: TableRow[] = rowKeys(inTable, methodOrder(inTable, methods)).map(([m, v]) => {
    const e = findEntry(inTable, m, v, fraction)!;
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
      ...partialSeedsNote(inTable),
    ],
  };
}

/**
 * Table 4: the GRN variants and the supervised model across fractions (two or more), against
 * the supervised model at 100 %.
 */
export function table4(entries: readonly Entry[]): BenchTable | null {
  const present = paperTableRows("table4").filter(([m, v]) =>
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
  const ref = findEntry(entries, "supervised", "plain", 1) ?? null;
  const refLabel = `${methodLabel("supervised", "plain")} at 100%`;
  const rows: TableRow[] = present.map(([m, v]) => ({
    label: methodLabel(m, v),
    method: m,
    variant: v,
    cells: fractions.map((f) => {
      const e = findEntry(entries, m, v, f);
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
      const a = findEntry(entries, eff.a[0], eff.a[1], f);
      const b = findEntry(entries, eff.b[0], eff.b[1], f);
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
      EFFECTS.map((eff) => `${eff.label} = ${methodLabel(...eff.a)} − ${methodLabel(...eff.b)}`)
        .join("; ") + ".",
      `Mean of the per-${
        unitOf(entries)
      } differences with its 95% CI and the paired two-sided t-test p; ` +
      "bold: p < 0.05 (either sign).",
      ...partialSeedsNote(entries),
    ],
  };
}

/** Table 6: the ablation study at the lowest fraction, improvement over the supervised model. */
export function table6(entries: readonly Entry[]): BenchTable | null {
  const fractions = [...new Set(entries.map((e) => e.fraction))].sort((a, b) => a - b);
  const fraction = fractions[0];
  if (fraction === undefined) return null;
  const ref = findEntry(entries, "supervised", "plain", fraction);
  if (!ref) return null;
  const present = paperTableRows("table6").filter(([m, v]) => findEntry(entries, m, v, fraction));
  if (present.length < 2) return null;
  const rows: TableRow[] = present.map(([m, v]) => {
    const e = findEntry(entries, m, v, fraction)!;
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
        reference: methodLabel("supervised", "plain"),
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
      ...partialSeedsNote(
        present.map(([m, v]) => findEntry(entries, m, v, fraction)!),
      ),
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
  const rows = paperTableRows("table6").filter(([m, v]) => findEntry(validation, m, v, lowest));
  const ref = findEntry(validation, "supervised", "plain", lowest);
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
