/**
 * The figures of `report.html` (private): Dice against labeled fraction (the paper's Figures 6
 * and 8), per-layer bars and training curves, as inline SVG.
 * @module
 */
import type { CellResult } from "./data.ts";
import type { ReportInput } from "./_input.ts";
import { fractionLabel, methodLabel } from "./labels.ts";
import { type Entry, entryStat, unitNoun, type Variant } from "./statistics.ts";
import { barChart, lineChart, SERIES_COLORS } from "./_svg.ts";
import { tableEntries } from "./tables.ts";

/** One series colour per key, in order. */
export function colorMap(keys: string[]): Map<string, string> {
  return new Map(keys.map((k, i) => [k, SERIES_COLORS[i % SERIES_COLORS.length]!]));
}

/** The colour key of a table row. */
export function rowKey(method: string, variant: Variant | null): string {
  return `${method}|${variant ?? ""}`;
}

/** Supervised at 100 % as a reference line, when the grid has it (give the tables' entries). */
function supervisedFull(entries: readonly Entry[]) {
  const e = entries.find((x) =>
    x.method === "supervised" && x.variant === "plain" && x.fraction === 1
  );
  if (!e) return null;
  const s = entryStat(e);
  return s.mean === null
    ? null
    : { y: s.mean, label: `${methodLabel("supervised", "plain")}, 100%` };
}

/** Dice by labeled fraction, the rows of Table 2 (the paper's Figure 6). */
export function figure6(input: ReportInput, colors: Map<string, string>): string {
  const t = input.tables.find((x) => x.id === "table2");
  if (!t) return "";
  const svg = barChart({
    title: `Dice by labeled fraction (mean over ${
      t.protocol ? unitNoun(t.protocol) : "test scans"
    }, 95% CI)`,
    yLabel: "Dice (%)",
    xLabel: "labeled fraction of the training participants",
    categories: t.columns,
    series: t.rows.map((r) => ({
      name: r.label,
      color: colors.get(rowKey(r.method, r.variant))!,
      values: r.cells.map((c) =>
        c && c.mean !== null ? { y: c.mean, lower: c.lower, upper: c.upper } : null
      ),
    })),
    reference: supervisedFull(tableEntries(input.entries).main),
    yMin: 0,
    yMax: 100,
    width: Math.max(720, 160 * t.columns.length + 300),
    height: 380,
  });
  return `<h2 id="figure-6">Dice against labeled fraction (the paper's Figure 6)</h2>\n${svg}`;
}

/** The GRN variants by labeled fraction, the rows of Table 4 (the paper's Figure 8). */
export function figure8(input: ReportInput, colors: Map<string, string>): string {
  const t = input.tables.find((x) => x.id === "table4");
  if (!t) {
    if (new Set(tableEntries(input.entries).main.map((e) => e.fraction)).size > 1) return "";
    return '<h2 id="figure-8">GRN variants against labeled fraction (the paper\'s Figure 8)</h2>\n' +
      '<p class="muted">This grid has one labeled fraction; the curve needs two or more ' +
      "(--preset paper, or e.g. --fractions 0.05,0.1,0.2,0.5,1).</p>";
  }
  const fractions = t.columnKeys as number[];
  const svg = lineChart({
    title: `GRN variants by labeled fraction (mean over ${
      t.protocol ? unitNoun(t.protocol) : "test scans"
    }, 95% CI)`,
    yLabel: "Dice (%)",
    xLabel: "labeled fraction of the training participants (%)",
    xTicks: fractions.map((f) => ({ value: f * 100, label: fractionLabel(f) })),
    series: t.rows.map((r) => ({
      name: r.label,
      color: colors.get(rowKey(r.method, r.variant))!,
      dashed: r.variant === "sge",
      points: r.cells.map((c, j) => ({
        x: fractions[j]! * 100,
        y: c?.mean ?? null,
        lower: c?.lower ?? null,
        upper: c?.upper ?? null,
      })),
    })),
    reference: supervisedFull(tableEntries(input.entries).main),
  });
  return `<h2 id="figure-8">GRN variants against labeled fraction (the paper's Figure 8)</h2>\n${svg}`;
}

/** Dice per tissue layer, the rows of Table 3. */
export function perLayer(input: ReportInput, colors: Map<string, string>): string {
  const t = input.tables.find((x) => x.id === "table3");
  if (!t) return "";
  const svg = barChart({
    title: t.title.replace(/^Table 3: /, ""),
    yLabel: "Dice (%)",
    categories: t.columns,
    series: t.rows.map((r) => ({
      name: r.label,
      color: colors.get(rowKey(r.method, r.variant))!,
      values: r.cells.map((c) =>
        c && c.mean !== null ? { y: c.mean, lower: c.lower, upper: c.upper } : null
      ),
    })),
    yMin: 0,
    yMax: 100,
    width: 1100,
    height: 380,
  });
  return `<h2 id="per-layer">Dice per tissue layer</h2>\n${svg}`;
}

/** Validation Dice and training Dice loss per epoch, first seed, one chart pair per fraction. */
export function curves(input: ReportInput, methodColors: Map<string, string>): string {
  const cells = input.results.cells;
  if (cells.length === 0) return "";
  const firstSeed = Math.min(...cells.map((c) => c.cell.seed));
  const fractions = [...new Set(cells.map((c) => c.cell.fraction))].sort((a, b) => a - b);
  const parts: string[] = [
    '<h2 id="curves">Training curves</h2>',
    `<p class="muted">Seed ${firstSeed}; for a multi-stage method, its last stage. Validation: mean ` +
    "Dice of S(x) on the validation slices after each epoch (the model kept is the one with the " +
    "lowest validation Dice loss). Training: the supervised Dice loss on labeled slices " +
    "(diceReal), averaged over the epoch.</p>",
  ];
  for (const f of fractions) {
    const runs = cells.filter((c) =>
      c.cell.fraction === f && c.cell.seed === firstSeed && c.history.length > 0
    );
    if (runs.length === 0) continue;
    const series = (pick: (e: CellResult["history"][number]) => number | undefined) =>
      runs.map((c) => ({
        name: methodLabel(c.cell.method, "plain"),
        color: methodColors.get(c.cell.method)!,
        points: c.history.map((e) => {
          const v = pick(e);
          return { x: e.epoch, y: v === undefined || v === null ? null : v };
        }),
      }));
    const maxEpoch = Math.max(...runs.flatMap((c) => c.history.map((e) => e.epoch)));
    const step = Math.max(1, Math.ceil(maxEpoch / 10));
    const xTicks = Array.from({ length: Math.floor(maxEpoch / step) }, (_, i) => (i + 1) * step)
      .map((v) => ({ value: v, label: String(v) }));
    const val = lineChart({
      title: `Validation mean Dice, ${fractionLabel(f)} labeled`,
      xLabel: "epoch",
      xTicks,
      yLabel: "Dice",
      series: series((e) => e.validation?.meanDice),
      width: 620,
      height: 300,
    });
    const train = lineChart({
      title: `Training Dice loss (labeled), ${fractionLabel(f)} labeled`,
      xLabel: "epoch",
      xTicks,
      yLabel: "Dice loss",
      series: series((e) => e.train.diceReal),
      width: 620,
      height: 300,
    });
    parts.push(`<div class="charts">${val}\n${train}</div>`);
  }
  return parts.join("\n");
}
