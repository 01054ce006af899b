/**
 * `writeBenchReport`: merges a bench folder's finished cells into the paper's tables
 * (`tables.json`, `tables.csv`, `tables.md`) and `report.html` (the core of `grn report`).
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { initEngine } from "../engine/init_engine.ts";
import { writeCsvAtomic } from "../metrics/write_csv_atomic.ts";
import { writeJsonAtomic } from "../metrics/write_json_atomic.ts";
import { BENCH_FILES, type BenchEngine } from "../comparison/run_grid.ts";
import { cellConvergence, convergenceToMarkdown } from "./convergence.ts";
import { type CellResult, loadBenchResults } from "./data.ts";
import {
  buildFindings,
  CLAIMS,
  countSeedAgreement,
  countVerdicts,
  type Finding,
  VERDICT_RULES,
} from "./findings.ts";
import { findingsToMarkdown } from "./findings_format.ts";
import { renderReportHtml } from "./_html.ts";
import type { ReportInput } from "./_input.ts";
import { renderRunOverlays } from "./_montage.ts";
import { statisticsText, tablesToCsvRows, tableToMarkdown } from "./format.ts";
import { buildEntries, entryStat } from "./statistics.ts";
import { type BenchTable, buildTables } from "./tables.ts";

/** Options of {@linkcode writeBenchReport}. */
export interface WriteReportOptions extends BenchEngine {
  /** Render overlay montages (loads each shown model; needs the engine). @default {true} */
  overlays?: boolean;
  /** Notes (engine). @default {discarded} */
  log?: (line: string) => void;
}

/** What {@linkcode writeBenchReport} returns. */
export interface BenchReport {
  /** The bench folder. */
  dir: string;
  /** The tables written. */
  tables: BenchTable[];
  /** The paper's claims checked on the grid (also in `tables.json`, `tables.md`, the HTML). */
  findings: Finding[];
  /** Finished cells merged. */
  cells: number;
  /** Cells of the grid without results. */
  missing: string[];
  /** Paths written. */
  files: { json: string; csv: string; markdown: string; html: string };
}

/** The runs whose overlays the report shows: every method at the lowest fraction, first seed. */
export function overlayCells(cells: readonly CellResult[]): CellResult[] {
  if (cells.length === 0) return [];
  const fraction = Math.min(...cells.map((c) => c.cell.fraction));
  const seed = Math.min(
    ...cells.filter((c) => c.cell.fraction === fraction).map((c) => c.cell.seed),
  );
  return cells.filter((c) => c.cell.fraction === fraction && c.cell.seed === seed);
}

/**
 * Reads every finished cell of a bench folder, builds the tables the grid supports, and writes
 * `tables.json`, `tables.csv` (one row per table cell), `tables.md` and `report.html` into it.
 * Unfinished cells are listed in the report and left out of the tables.
 *
 * @param benchDir The bench folder.
 * @param options See {@linkcode WriteReportOptions}.
 * @returns The tables and the files written.
 * @throws {Error} When the folder is not a bench folder or no cell is finished.
 */
export async function writeBenchReport(
  benchDir: string,
  options: WriteReportOptions = {},
): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const results = await loadBenchResults(benchDir);
  if (results.cells.length === 0) {
    throw new Error(
      `Cannot write the report of ${benchDir}: no finished cell (got 0 of ${results.manifest.cells.length}); run the bench first`,
    );
  }
  const entries = buildEntries(results.cells);
  const classes = results.cells[0]!.metrics.classes;
  const methods: string[] = [];
  for (const g of results.manifest.settings.groups) {
    for (const m of g.methods) if (!methods.includes(m)) methods.push(m);
  }
  const tables = buildTables(entries, classes, methods);
  const findings = buildFindings(entries);
  const generatedAt = new Date().toISOString();
  const files = {
    json: join(benchDir, BENCH_FILES.tablesJson),
    csv: join(benchDir, BENCH_FILES.tablesCsv),
    markdown: join(benchDir, BENCH_FILES.tablesMd),
    html: join(benchDir, BENCH_FILES.report),
  };
  const s = results.manifest.settings;
  await writeJsonAtomic(files.json, {
    format: "grn-bench-tables",
    // 2: per-unit protocols (tables' `protocol`, entries' `split`/`unit`/`units`), `findings`.
    version: 2,
    bench: benchDir,
    preset: s.preset,
    reduced: s.reduced,
    generatedAt,
    statistics: `${statisticsText(tables)}; Dice in percent`,
    tables,
    findings: {
      claims: CLAIMS,
      rules: VERDICT_RULES,
      counts: countVerdicts(findings),
      inEverySeed: countSeedAgreement(findings),
      items: findings,
    },
    entries: entries.map((e) => ({
      method: e.method,
      variant: e.variant,
      fraction: e.fraction,
      split: e.split,
      unit: e.unit,
      directions: e.directions,
      seeds: e.seeds,
      units: e.scans.length,
      overall: entryStat(e),
      seedMeans: e.seedMeans.map((v) => v * 100),
    })),
    missing: results.missing.map((m) => ({ cell: m.cell.name, status: m.status })),
  });
  await writeCsvAtomic(files.csv, tablesToCsvRows(tables), [
    "table",
    "row",
    "method",
    "variant",
    "column",
    "key",
    "unit",
    "split",
    "sample_unit",
    "mean",
    "lower",
    "upper",
    "n",
    "p",
    "reference",
    "bold",
  ]);
  const main = tables.find((t) => t.id === "table2");
  const md = [
    `# GRN bench: ${s.preset}`,
    "",
    s.description,
    "",
    ...(s.reduced ? [`**Reduced configuration** ${s.reduced}.`, ""] : []),
    `Cells: ${results.cells.length} of ${results.manifest.cells.length} finished` +
    (results.missing.length
      ? ` (missing: ${results.missing.map((m) => m.cell.name).join(", ")})`
      : "") +
    `. Generated ${generatedAt}.`,
    "",
    ...(main ? [tableToMarkdown(main)] : []),
    findingsToMarkdown(findings),
    ...tables.filter((t) => t !== main).map(tableToMarkdown),
    convergenceToMarkdown(results.cells.map(cellConvergence)),
  ].join("\n");
  await writeFileAtomic(files.markdown, md, { mkdir: true });

  const input: ReportInput = {
    results,
    entries,
    tables,
    findings,
    overlays: [],
    overlayErrors: [],
    generatedAt,
  };
  if (options.overlays ?? true) {
    await initEngine({
      backend: options.backend ?? "auto",
      threads: options.threads ?? 1,
      native: options.native ?? "auto",
      log,
    });
    for (const cell of overlayCells(results.cells)) {
      try {
        input.overlays.push({
          cell,
          overlays: await renderRunOverlays(cell.dir, { dataset: results.manifest.dataset }),
        });
      } catch (error) {
        input.overlayErrors!.push({ cell: cell.cell.name, error: (error as Error).message });
      }
    }
  }
  await writeFileAtomic(files.html, renderReportHtml(input), { mkdir: true });
  return {
    dir: benchDir,
    tables,
    findings,
    cells: results.cells.length,
    missing: results.missing.map((m) => m.cell.name),
    files,
  };
}
