/**
 * The paper's tables, findings and report over a method comparison: read a bench folder's
 * finished cells (`loadBenchResults`), average each test image's (or scan's) Dice over the
 * seeds (`buildEntries`), build Tables 2-6 with 95 % intervals and paired t-tests against the
 * best baseline (`buildTables`), check the paper's claims (`buildFindings`), format them as
 * text, Markdown, CSV or HTML, and write `tables.json`, `tables.csv`, `tables.md` and a
 * self-contained `report.html` (`writeBenchReport`, what `grn report` runs).
 *
 * @example Table 2 and the findings from the scores of two runs
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildEntries,
 *   buildFindings,
 *   type CellResult,
 *   findingsToText,
 *   parseScanScores,
 *   type RunMetrics,
 *   table2,
 *   tableToText,
 * } from "./mod.ts";
 *
 * // Dice of one layer on the same five test scans, in the columns of a run's scans.csv.
 * function scansCsv(dice: Record<"plain" | "sge", number[]>): string {
 *   const rows = Object.entries(dice).flatMap(([variant, d]) =>
 *     d.map((x, i) => `s${i},${variant},1,${x},1.5`)
 *   );
 *   return ["scan,variant,class,dice,hd95", ...rows].join("\n") + "\n";
 * }
 * // One cell per run; loadBenchResults reads them from a bench folder (with metrics.json).
 * const cell = (method: string, dice: Record<"plain" | "sge", number[]>): CellResult => ({
 *   cell: { index: 0, name: `${method}_f0.1_s0`, method, fraction: 0.1, seed: 0 },
 *   dir: `runs/bench/cells/${method}_f0.1_s0`,
 *   metrics: {} as RunMetrics, // the tables read only the scores
 *   train: null,
 *   history: [],
 *   scores: parseScanScores(scansCsv(dice), "scans.csv"),
 * });
 * const entries = buildEntries([
 *   cell("supervised", { plain: [0.61, 0.55, 0.7, 0.58, 0.66], sge: [] }),
 *   cell("grn-ssl", { plain: [0.72, 0.63, 0.79, 0.7, 0.74], sge: [0.74, 0.66, 0.8, 0.71, 0.77] }),
 * ]);
 *
 * const table = table2(entries)!;
 * assert.deepEqual(table.rows.map((r) => r.label), [
 *   "Fully supervised",
 *   "GRN-SSL",
 *   "GRN-SSL (w SGE)",
 * ]);
 * const [supervised, ssl] = table.rows.map((r) => r.cells[0]!);
 * assert.ok(supervised!.isReference); // the best baseline at 10 %
 * assert.equal(Math.round(ssl!.mean! * 100) / 100, 71.6); // Dice in %, mean over the scans
 * assert.ok(ssl!.p! < 0.05 && ssl!.bold); // paired t-test against the reference
 * assert.match(tableToText(table), /GRN-SSL \(w SGE\) +73\.60 \(66\.88, 80\.32\) p<0\.001/);
 *
 * const findings = buildFindings(entries);
 * const a = findings.find((f) => f.claim === "a")!; // GRN-SSL (w SGE) beats the best baseline
 * assert.equal(a.verdict, "holds");
 * assert.match(findingsToText(findings), /^Findings \(the paper's claims\): 2 hold, /);
 * ```
 *
 * @module
 */
export * from "./convergence.ts";
export * from "./data.ts";
export * from "./findings.ts";
export * from "./findings_format.ts";
export * from "./format.ts";
export * from "./labels.ts";
export * from "./statistics.ts";
export * from "./tables.ts";
export * from "./write.ts";

// Types of other packages that the report's signatures use directly (the types those reference
// are exported by the run package).
export type { EpochRecord } from "../trainers/fit.ts";
export type { RunMetrics } from "../run/evaluate_run.ts";
export type { RunSummary } from "../run/train_run.ts";
export type { BenchCell } from "../comparison/grid.ts";
export type { BenchEngine, BenchManifest } from "../comparison/run_grid.ts";
