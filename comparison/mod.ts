/**
 * The method comparison: a grid of cells (method × labeled fraction × seed), each one training
 * run plus its evaluation on the same dataset, split and labeled subsets, so that the scores of
 * different methods pair up image by image. Presets (`demo`, `quick`, `fidelity`, `paper`),
 * command-line overrides, and a resumable bench folder (`bench.json`, `dataset/`,
 * `cells/<name>/`) that several processes can fill at once. What `grn bench` runs; the tables
 * and the report over a bench folder are in the report package.
 *
 * @example Plan a grid and its bench folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyBenchOverrides, benchCells, benchPreset, cellStatus, planBench } from "./mod.ts";
 *
 * const quick = benchPreset("quick");
 * assert.deepEqual(benchCells(quick).map((c) => c.name), [
 *   "supervised_f0.1_s0",
 *   "ict_f0.1_s0",
 *   "grn-sel_f0.1_s0",
 *   "grn-ssl_f0.1_s0",
 *   "supervised_f1_s0",
 * ]);
 * // What `grn bench --preset quick --methods supervised,grn-ssl --seeds 0,1` asks for.
 * const settings = applyBenchOverrides(quick, { methods: ["supervised", "grn-ssl"], seeds: [0, 1] });
 * assert.equal(settings.preset, "quick+custom");
 * const cells = benchCells(settings);
 * assert.deepEqual(cells.map((c) => c.name), [
 *   "supervised_f0.1_s0",
 *   "grn-ssl_f0.1_s0",
 *   "supervised_f1_s0",
 *   "grn-ssl_f1_s0",
 *   "supervised_f0.1_s1",
 *   "grn-ssl_f0.1_s1",
 *   "supervised_f1_s1",
 *   "grn-ssl_f1_s1",
 * ]);
 *
 * const dir = await Deno.makeTempDir(); // e.g. "runs/bench-quick"
 * const manifest = await planBench({ out: dir, settings }); // checks the folder, writes nothing
 * assert.equal(manifest.cells.length, 8);
 * assert.equal(await cellStatus(dir, manifest.cells[0]!), "pending");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Run a grid, then its report
 * ```ts ignore
 * // Ignored: the quick preset trains five models (under 30 minutes on 2 cores).
 * import { benchPreset, runBench } from "./mod.ts";
 * import { writeBenchReport } from "../report/mod.ts";
 * await runBench({ out: "runs/bench-quick", settings: benchPreset("quick") }); // resumable
 * const report = await writeBenchReport("runs/bench-quick"); // tables.*, report.html
 * console.log(report.findings.map((f) => `${f.statement}: ${f.verdict}`).join("\n"));
 * ```
 *
 * @module
 */
export * from "./grid.ts";
export * from "./run_grid.ts";

// Types of other packages that the comparison's signatures use directly (the types those
// reference are exported by the run package).
export type { SliceDirection } from "../data/slices_geometry.ts";
export type { BackendChoice } from "../engine/init_engine.ts";
export type { NativeChoice } from "../engine/native/provider.ts";
export type { ProgressEvent } from "../trainers/fit.ts";
export type { MethodOptions } from "../trainers/method.ts";
export type { EvaluationProtocol } from "../run/evaluate_run.ts";
export type { RunNetworks } from "../run/run_config.ts";
