/**
 * `grn report`: merge a bench folder's finished cells into the paper's tables and report.html.
 * @module
 */
import type { Command } from "../_command.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";
import { findingsToText } from "../../report/findings_format.ts";
import { tableToText } from "../../report/format.ts";
import { writeBenchReport, type WriteReportOptions } from "../../report/write.ts";

/** The `report` command. */
export const command: Command = {
  name: "report",
  summary: "merge a bench's cells into tables (JSON, CSV, Markdown) and report.html",
  description:
    "Reads every finished cell of a bench folder (metrics.json with images.csv or scans.csv),\n" +
    "averages each unit's scores (per image or per scan, as the cells were scored) over seeds,\n" +
    "and writes the paper's Tables 2-6 that the grid supports (means with 95% CIs and paired\n" +
    "t-tests over the same units; Table 6 on the validation split when its cells were scored\n" +
    "there) and the Findings (each of the paper's claims: paired difference, CI, p, n, verdict)\n" +
    "as tables.json, tables.csv and tables.md, and a self-contained report.html (training\n" +
    "curves, Dice against labeled fraction, per-layer bars, overlay montages, tables).\n" +
    "Unfinished cells are listed and left out, so it can run while a grid is still going.",
  positionals: [{ name: "dir", description: "bench folder (holds bench.json)" }],
  options: [
    {
      name: "no-overlays",
      kind: "boolean",
      description: "skip the overlay montages (they load the models)",
    },
    BACKEND_OPTION,
    THREADS_OPTION,
    NATIVE_OPTION,
  ],
  examples: ["grn report runs/bench-quick", "grn report runs/paper --no-overlays"],
  async run({ args, out }) {
    const v = args.values;
    const dir = args.positionals.dir!;
    const options: WriteReportOptions = { overlays: v["no-overlays"] !== true };
    if (v.backend !== undefined) options.backend = v.backend as BackendChoice;
    if (v.threads !== undefined) options.threads = v.threads as number;
    if (v.native !== undefined) options.native = v.native as NativeChoice;
    const report = await writeBenchReport(dir, options);
    out.result(
      { ok: true, ...report },
      () =>
        [
          ...report.tables.map((t) => tableToText(t) + "\n"),
          findingsToText(report.findings) + "\n",
          `Merged ${report.cells} cell${report.cells === 1 ? "" : "s"} of ${dir}` +
          (report.missing.length ? ` (${report.missing.length} not finished)` : ""),
          `  tables: ${report.files.markdown}, ${report.files.csv}, ${report.files.json}`,
          `  report: ${report.files.html}`,
        ].join("\n"),
    );
    return 0;
  },
};
