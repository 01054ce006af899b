/**
 * `grn demo`: the main job in one command on the embedded phantom: generate a small phantom,
 * train the supervised baseline and GRN-SSL at a low labeled fraction, evaluate both with and
 * without SGE, and write report.html. It is the bench's `demo` preset.
 * @module
 */
import type { Command } from "../_command.ts";
import { engineLog } from "../_engine_notice.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";
import { benchPreset } from "../../comparison/grid.ts";
import { type BenchEngine, formatDuration, runBench } from "../../comparison/run_grid.ts";
import { findingsToText } from "../../report/findings_format.ts";
import { tableToText } from "../../report/format.ts";
import { writeBenchReport } from "../../report/write.ts";
import { wrapText } from "../_wrap.ts";

/** The `demo` command. */
export const command: Command = {
  name: "demo",
  summary: "phantom → supervised and GRN-SSL at a low fraction → eval with/without SGE → report",
  description:
    "Generates a small synthetic lumbar phantom, trains the supervised baseline and GRN-SSL at a\n" +
    "low labeled fraction, evaluates both on the same test scans with and without SGE, and\n" +
    "writes report.html (5-10 minutes on 2 CPU cores). It is a reduced configuration of the\n" +
    "paper's setting (small slices and networks, few epochs): see `grn bench` for the full grid.\n" +
    "Run it again to reuse what is finished (an interrupted run resumes).\n\n" +
    wrapText(`Reduced configuration ${benchPreset("demo").reduced}.`, 90),
  options: [
    {
      name: "out",
      short: "o",
      kind: "string",
      placeholder: "DIR",
      default: "runs/demo",
      description: "demo folder (a bench folder)",
    },
    BACKEND_OPTION,
    THREADS_OPTION,
    NATIVE_OPTION,
    { name: "quiet", short: "q", kind: "boolean", description: "no progress lines" },
  ],
  examples: ["grn demo", "grn demo --out /tmp/demo --threads 2"],
  async run({ args, out }) {
    const v = args.values;
    const dir = (v.out as string | undefined) ?? "runs/demo";
    const engine: BenchEngine = {};
    if (v.backend !== undefined) engine.backend = v.backend as BackendChoice;
    if (v.threads !== undefined) engine.threads = v.threads as number;
    if (v.native !== undefined) engine.native = v.native as NativeChoice;
    const quiet = v.quiet === true;
    const settings = benchPreset("demo");
    const t0 = performance.now();
    out.line(wrapText(`grn demo: ${settings.description}`, 100));
    out.line(wrapText(`Reduced configuration ${settings.reduced}.`, 100));
    out.line("");
    const result = await runBench({
      out: dir,
      settings,
      ...engine,
      progress: quiet ? () => {} : (line) => out.note(line.replace(/^grn bench:/, "grn demo:")),
      log: quiet ? () => {} : engineLog(out, {
        ...(engine.native !== undefined ? { native: engine.native } : {}),
        forward: (line) => {
          if (line.startsWith("grn bench:")) out.note(line.replace(/^grn bench:/, "grn demo:"));
        },
      }),
    });
    const failed = result.outcomes.filter((o) => o.outcome === "failed");
    if (failed.length > 0) {
      throw new Error(
        `Cannot finish the demo: ${
          failed.map((f) => `${f.cell.name} failed (${f.error})`).join("; ")
        }`,
      );
    }
    if (!quiet) out.note("grn demo: writing the report");
    const report = await writeBenchReport(dir, { ...engine });
    const seconds = (performance.now() - t0) / 1000;
    const main = report.tables.find((t) => t.id === "table2");
    out.result(
      {
        ok: true,
        dir,
        seconds,
        reduced: settings.reduced,
        tables: report.tables,
        findings: report.findings,
        report: report.files,
      },
      () =>
        [
          ...(main ? [tableToText(main), ""] : []),
          `Dice in percent: ${
            main?.protocol?.text ?? "mean over the test scans"
          }; p: against the best baseline (the supervised model). (w SGE) = segmentation of G(x).`,
          "",
          findingsToText(report.findings),
          "",
          `Done in ${formatDuration(seconds)}. Report: ${report.files.html}`,
          `Tables: ${report.files.markdown}, ${report.files.csv}, ${report.files.json}`,
        ].join("\n"),
    );
    return 0;
  },
};
