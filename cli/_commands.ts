/**
 * The command table. Adding a command is one file in `commands/` exporting `command` and one
 * entry here (commands load on demand, so `--help` and usage errors stay fast).
 * @module
 */
import type { Command } from "./_command.ts";

/** One row of the command table. */
export interface CommandEntry {
  /** Name typed after `grn`. */
  name: string;
  /** One line for `grn --help` (the same as the command's own `summary`). */
  summary: string;
  /** Loads the command module. */
  load: () => Promise<Command>;
}

/** Every `grn` command, in the order `grn --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "phantom",
    summary: "generate a synthetic lumbar ultrasound dataset folder",
    load: async () => (await import("./commands/phantom.ts")).command,
  },
  {
    name: "validate",
    summary: "check a dataset folder and list every problem",
    load: async () => (await import("./commands/validate.ts")).command,
  },
  {
    name: "train",
    summary: "train a method on a dataset into a run folder (resumable)",
    load: async () => (await import("./commands/train.ts")).command,
  },
  {
    name: "eval",
    summary: "per-class Dice and HD95 with 95% CIs on a run's test split, with and without SGE",
    load: async () => (await import("./commands/eval.ts")).command,
  },
  {
    name: "predict",
    summary: "segment one 3-D scan into a label volume, with optional SGE and layer read-out",
    load: async () => (await import("./commands/predict.ts")).command,
  },
  {
    name: "convert",
    summary: "convert a scan between NIfTI, NRRD, 3D Slicer .seg.nrrd and MATLAB .mat",
    load: async () => (await import("./commands/convert.ts")).command,
  },
  {
    name: "export",
    summary: "export a run as a static web page that segments scans in the browser",
    load: async () => (await import("./commands/export.ts")).command,
  },
  {
    name: "web",
    summary: "serve a web page that segments scans in the browser (default: the demo's model)",
    load: async () => (await import("./commands/web.ts")).command,
  },
  {
    name: "bench",
    summary: "the paper's comparison as a resumable grid of runs; tables and report",
    load: async () => (await import("./commands/bench.ts")).command,
  },
  {
    name: "report",
    summary: "merge a bench's cells into tables (JSON, CSV, Markdown) and report.html",
    load: async () => (await import("./commands/report.ts")).command,
  },
  {
    name: "demo",
    summary: "phantom → supervised and GRN-SSL at a low fraction → eval with/without SGE → report",
    load: async () => (await import("./commands/demo.ts")).command,
  },
  {
    name: "doctor",
    summary: "show the engine, available backends, versions, CPUs and memory",
    load: async () => (await import("./commands/doctor.ts")).command,
  },
];
