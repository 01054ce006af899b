/**
 * The command line's core, for scripts and the bench: train a method into a run folder,
 * evaluate it on its test split, segment a scan, load a trained model, inspect the engine, run
 * a bench grid and merge its cells into the paper's tables and a report.
 *
 * @example Train, evaluate and segment
 * ```ts ignore
 * import { evaluateRun, predictScan, trainRun } from "./mod.ts";
 * await trainRun({ dataset: "data/phantom", method: "grn-ssl", fraction: 0.1, out: "runs/a" });
 * const metrics = await evaluateRun("runs/a"); // per image: runs/a/metrics.json, images.csv
 * await predictScan({ model: "runs/a", input: "scan.nii.gz", output: "labels.nii.gz" });
 * ```
 *
 * @example A bench grid and its report
 * ```ts ignore
 * import { benchPreset, runBench, writeBenchReport } from "./mod.ts";
 * await runBench({ out: "runs/bench-quick", settings: benchPreset("quick") }); // resumable
 * const report = await writeBenchReport("runs/bench-quick"); // tables.*, report.html
 * console.log(report.findings.map((f) => `${f.statement}: ${f.verdict}`).join("\n"));
 * ```
 *
 * @module
 */
export * from "./bench_grid.ts";
export * from "./bench_run.ts";
export * from "./doctor_report.ts";
export * from "./evaluate_run.ts";
export * from "./file_lock.ts";
export * from "./load_run_model.ts";
export * from "./predict_scan.ts";
export * from "./report_convergence.ts";
export * from "./report_data.ts";
export * from "./report_findings.ts";
export * from "./report_findings_format.ts";
export * from "./report_format.ts";
export * from "./report_labels.ts";
export * from "./report_statistics.ts";
export * from "./report_tables.ts";
export * from "./report_write.ts";
export * from "./run_config.ts";
export * from "./run_folder.ts";
export * from "./run_fingerprint.ts";
export * from "./train_run.ts";
export * from "./version.ts";
