/**
 * Running a bench grid: the bench folder, its dataset, and cells that are skipped when finished
 * and continued when interrupted.
 *
 * ```text
 * <bench>/
 *   bench.json     the grid (settings, dataset, cells); a later run must ask for the same grid
 *   dataset/       the phantom, generated deterministically on first use (absent with --dataset);
 *                  it moves with the folder, so a copied bench folder resumes and reports
 *   cells/<name>/  one run folder per cell (see run/run_config.ts); finished = metrics.json and
 *                  images.csv (per image) or scans.csv (per scan)
 *   tables.json, tables.csv, tables.md, report.html   written by `grn report` (and a full run)
 * ```
 * @module
 */
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { syncDir } from "../engine/atomic_write.ts";
import { writePhantomDataset } from "../data/phantom/write_phantom_dataset.ts";
import type { BackendChoice } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { writeJsonAtomic } from "../metrics/write_json_atomic.ts";
import type { ProgressEvent } from "../trainers/fit.ts";
import {
  type BenchCell,
  benchCells,
  benchEvaluation,
  type BenchSettings,
  checkBenchSettings,
  evaluatesValidation,
  methodCost,
} from "./grid.ts";
import { evaluateRun } from "../run/evaluate_run.ts";
import { readRunSplit, RUN_FILES } from "../run/run_config.ts";
import { acquireLock, type FileLock, LockHeldError } from "../run/file_lock.ts";
import { RUN_LOCK } from "../run/run_folder.ts";
import { trainRun } from "../run/train_run.ts";

/** File and folder names inside a bench folder. */
export const BENCH_FILES: Readonly<{
  manifest: string;
  dataset: string;
  cells: string;
  tablesJson: string;
  tablesCsv: string;
  tablesMd: string;
  report: string;
}> = Object.freeze({
  manifest: "bench.json",
  dataset: "dataset",
  cells: "cells",
  tablesJson: "tables.json",
  tablesCsv: "tables.csv",
  tablesMd: "tables.md",
  report: "report.html",
});

/** `bench.json`: what a bench folder holds. */
export interface BenchManifest {
  /** Always `"grn-bench"`. */
  format: "grn-bench";
  /** Layout version. */
  version: 1;
  /** The grid. */
  settings: BenchSettings;
  /**
   * Absolute path of the dataset folder every cell trains on. For a phantom grid it is the
   * bench folder's own `dataset/` wherever the folder is now ({@linkcode readBenchManifest}
   * resolves it), so a copied or restored bench folder resumes.
   */
  dataset: string;
  /** Every cell, in run order. */
  cells: BenchCell[];
}

/** Engine options of the cells (they may differ between invocations). */
export interface BenchEngine {
  /** Backend. @default {"auto"} */
  backend?: BackendChoice;
  /** Threads. @default {1} */
  threads?: number;
  /** Native kernel provider. @default {"auto"} */
  native?: NativeChoice;
}

/** Where a cell stands. */
export type CellStatus = "done" | "trained" | "started" | "pending";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** The run folder of a cell. */
export function cellDir(benchDir: string, cell: { name: string }): string {
  return join(benchDir, BENCH_FILES.cells, cell.name);
}

/**
 * Where a cell stands: `"done"` (evaluated: `metrics.json` and `images.csv` or `scans.csv`
 * exist), `"trained"`
 * (`train.json` exists, evaluation missing), `"started"` (a run folder without a finished
 * training) or `"pending"` (nothing yet).
 */
export async function cellStatus(benchDir: string, cell: { name: string }): Promise<CellStatus> {
  const dir = cellDir(benchDir, cell);
  if (
    await exists(join(dir, RUN_FILES.metrics)) &&
    (await exists(join(dir, RUN_FILES.images)) || await exists(join(dir, RUN_FILES.scans)))
  ) return "done";
  if (await exists(join(dir, RUN_FILES.train))) return "trained";
  if (await exists(join(dir, RUN_FILES.config))) return "started";
  return "pending";
}

/** Reads `bench.json` of a bench folder. */
export async function readBenchManifest(benchDir: string): Promise<BenchManifest> {
  const path = join(benchDir, BENCH_FILES.manifest);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot read bench ${benchDir}: not a bench folder (got no ${BENCH_FILES.manifest})`,
      );
    }
    throw new Error(`Cannot read bench ${benchDir}: ${(error as Error).message}`);
  }
  let json: Partial<BenchManifest>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Cannot read bench ${benchDir}: invalid JSON in ${path} (${(error as Error).message})`,
    );
  }
  if (json?.format !== "grn-bench" || json.version !== 1 || !json.settings || !json.cells) {
    throw new Error(
      `Cannot read bench ${benchDir}: ${path} is not a grn bench manifest (got format ${
        JSON.stringify(json?.format)
      }, version ${JSON.stringify(json?.version)})`,
    );
  }
  const manifest = json as BenchManifest;
  // A phantom grid's dataset is the folder's own `dataset/`: it moves with the folder (a copied
  // or restored bench resumes and reports where it is now).
  if (manifest.settings.phantom !== null) {
    manifest.dataset = resolve(benchDir, BENCH_FILES.dataset);
  }
  return manifest;
}

/**
 * Generates the phantom of `settings` into `dir` unless a dataset is already there. The
 * phantom is written into a temporary sibling folder and renamed into place, so cells started
 * at the same time on several machines (one `--cell K` each) never read half a dataset; the
 * same seed gives the same dataset, so whichever copy wins is the one all would have written.
 */
async function ensurePhantom(dir: string, settings: BenchSettings, log: (l: string) => void) {
  const phantom = settings.phantom!;
  if (await exists(join(dir, "dataset.json"))) return;
  const tmp = `${dir}.tmp-${hostname()}-${Deno.pid}-${Date.now()}`;
  log(
    `grn bench: generating the phantom (${phantom.participants} participants × ` +
      `${phantom.scansPerParticipant} scans, ${
        phantom.shape.join("×")
      } voxels, seed ${phantom.seed}) into ${dir}`,
  );
  try {
    await writePhantomDataset(tmp, {
      participants: phantom.participants,
      scansPerParticipant: phantom.scansPerParticipant,
      shape: phantom.shape,
      seed: phantom.seed,
    });
    try {
      await Deno.rename(tmp, dir);
      await syncDir(dirname(resolve(dir)));
    } catch (error) {
      if (!await exists(join(dir, "dataset.json"))) {
        throw new Error(`Cannot place the bench dataset at ${dir}: ${(error as Error).message}`);
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Options of {@linkcode prepareBench}. */
export interface PrepareBenchOptions {
  /** The bench folder (created if missing). */
  out: string;
  /** The grid. */
  settings: BenchSettings;
  /** An existing dataset folder instead of the preset's phantom. */
  dataset?: string;
  /** Notes. @default {discarded} */
  log?: (line: string) => void;
}

/**
 * Creates or reopens a bench folder: checks that an existing `bench.json` describes the same
 * grid and dataset, generates the phantom when needed, and writes `bench.json`.
 *
 * @returns The manifest.
 * @throws {Error} When the folder holds a different grid or dataset, or the dataset folder
 *   given does not exist.
 */
export async function prepareBench(options: PrepareBenchOptions): Promise<BenchManifest> {
  const { out, log = () => {} } = options;
  const manifest = await planBench(options);
  if (options.dataset !== undefined && !await exists(join(manifest.dataset, "dataset.json"))) {
    throw new Error(
      `Cannot run the bench: no dataset.json in the dataset folder (got ${manifest.dataset})`,
    );
  }
  await Deno.mkdir(join(out, BENCH_FILES.cells), { recursive: true });
  const { settings } = manifest;
  if (settings.phantom !== null) await ensurePhantom(manifest.dataset, settings, log);
  await writeJsonAtomic(join(out, BENCH_FILES.manifest), manifest);
  return manifest;
}

/**
 * The manifest a bench folder would get, without writing anything: the grid (the phantom
 * dropped when a dataset folder is given), the dataset's absolute path and the cells. When the
 * folder already holds a bench, it must be the same grid on the same dataset.
 *
 * @throws {RangeError} For an invalid grid.
 * @throws {Error} When the folder holds another grid or was run on another dataset.
 */
export async function planBench(
  options: Pick<PrepareBenchOptions, "out" | "settings" | "dataset">,
): Promise<BenchManifest> {
  const { out } = options;
  const settings: BenchSettings = structuredClone(options.settings);
  if (options.dataset !== undefined) settings.phantom = null;
  checkBenchSettings(settings);
  const dataset = options.dataset !== undefined
    ? resolve(options.dataset)
    : resolve(out, BENCH_FILES.dataset);
  const manifest: BenchManifest = {
    format: "grn-bench",
    version: 1,
    settings,
    dataset,
    cells: benchCells(settings),
  };
  if (await exists(join(out, BENCH_FILES.manifest))) {
    const old = await readBenchManifest(out);
    if (JSON.stringify(old.settings) !== JSON.stringify(settings)) {
      throw new Error(
        `Cannot use the bench folder ${out}: it holds another grid (got preset ${settings.preset}, ` +
          `the folder has ${old.settings.preset} with different settings); use the same options ` +
          "as the run that created it, or another --out",
      );
    }
    if (old.dataset !== dataset) {
      throw new Error(
        `Cannot use the bench folder ${out}: it was run on another dataset (got ${dataset}, the folder has ${old.dataset})`,
      );
    }
  } else {
    // Nothing of the user's is overwritten: without bench.json the folder must be new, empty,
    // or hold only what an interrupted start of a bench leaves (cells/, dataset/).
    const names = await Array.fromAsync(Deno.readDir(out)).then(
      (entries) => entries.map((e) => e.name),
      (error) => {
        if (error instanceof Deno.errors.NotFound) return [];
        throw new Error(`Cannot use the bench folder ${out}: ${(error as Error).message}`);
      },
    );
    const foreign = names.filter((n) =>
      n !== BENCH_FILES.cells && n !== BENCH_FILES.dataset &&
      !n.startsWith(`${BENCH_FILES.dataset}.tmp-`)
    ).sort();
    if (foreign.length > 0) {
      throw new Error(
        `Cannot use the bench folder ${out}: it is not empty and holds no ${BENCH_FILES.manifest} ` +
          `(got ${foreign.slice(0, 5).join(", ")}${foreign.length > 5 ? ", ..." : ""}); ` +
          "choose a new or empty folder",
      );
    }
  }
  return manifest;
}

/** What happened to one cell in {@linkcode runBenchCell}. */
export interface CellOutcome {
  /** The cell. */
  cell: BenchCell;
  /**
   * `"skipped"` (already done), `"ran"`, `"failed"`, or `"held"` (another live process holds
   * the cell's lock, i.e. is running it; the message is in `error`).
   */
  outcome: "skipped" | "ran" | "failed" | "held";
  /** Where it stood before: trained cells are only evaluated, started ones resumed. */
  before: CellStatus;
  /** Wall-clock seconds spent on it now. */
  seconds: number;
  /** The error message of a failed cell. */
  error?: string;
}

/** Options of {@linkcode runBenchCell}. */
export interface RunCellOptions extends BenchEngine {
  /** Training progress events. @default {none} */
  progress?: (event: ProgressEvent) => void;
  /** Notes (engine, data). @default {discarded} */
  log?: (line: string) => void;
}

/**
 * Runs one cell: nothing when it is done, evaluation only when it is trained, training resumed
 * from its checkpoint when it was started, otherwise training from scratch; then evaluation
 * with and without SGE by the grid's protocol ({@linkcode benchEvaluation}): first on the
 * validation split when {@linkcode evaluatesValidation} says so (`metrics.validation.json`),
 * then on the test split (`metrics.json`, `images.csv` or `scans.csv`), so a cell is done only
 * when both are.
 *
 * @throws {Error} When training or evaluation fails.
 */
export async function runBenchCell(
  benchDir: string,
  manifest: BenchManifest,
  cell: BenchCell,
  options: RunCellOptions = {},
): Promise<CellOutcome> {
  const first = await cellStatus(benchDir, cell);
  if (first === "done") return { cell, outcome: "skipped", before: first, seconds: 0 };
  // One process per cell: its lock is the run folder's, held for training and evaluation.
  const dir = cellDir(benchDir, cell);
  await Deno.mkdir(dir, { recursive: true });
  let lock: FileLock;
  try {
    lock = await acquireLock(join(dir, RUN_LOCK), {
      purpose: `grn bench cell ${cell.name}`,
      what: `Cannot run bench cell ${cell.name}`,
      log: (line) => options.log?.(`grn bench: ${cell.name}: ${line}`),
    });
  } catch (error) {
    if (!(error instanceof LockHeldError)) throw error;
    return { cell, outcome: "held", before: first, seconds: 0, error: error.message };
  }
  try {
    return await runLockedCell(benchDir, manifest, cell, options);
  } finally {
    await lock.release();
  }
}

/** The body of {@linkcode runBenchCell}, holding the cell's lock (its status is read again). */
async function runLockedCell(
  benchDir: string,
  manifest: BenchManifest,
  cell: BenchCell,
  options: RunCellOptions,
): Promise<CellOutcome> {
  const t0 = performance.now();
  const before = await cellStatus(benchDir, cell);
  if (before === "done") return { cell, outcome: "skipped", before, seconds: 0 };
  const dir = cellDir(benchDir, cell);
  const t = manifest.settings.training;
  const engine = {
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.native !== undefined ? { native: options.native } : {}),
  };
  const log = options.log ?? (() => {});
  if (before !== "trained") {
    await trainRun({
      dataset: manifest.dataset,
      method: cell.method,
      out: dir,
      fraction: cell.fraction,
      seed: cell.seed,
      splitSeed: t.splitSeed,
      test: t.test,
      validation: t.validation,
      inputSize: t.inputSize,
      directions: t.directions,
      every: t.every,
      networks: t.networks,
      methodOptions: t.methodOptions,
      epochs: t.epochs,
      iterationsPerEpoch: t.iterationsPerEpoch,
      batchSize: t.batchSize,
      patience: t.patience,
      resume: before === "started",
      lockHeld: true,
      progress: options.progress ?? false,
      log,
      ...engine,
    });
  }
  const ev = benchEvaluation(manifest.settings);
  const evaluation = {
    dataset: manifest.dataset, // where it is now (a moved bench folder's phantom moved too)
    sge: "auto" as const,
    protocol: ev.protocol,
    ...(ev.direction !== undefined ? { direction: ev.direction } : {}),
    lockHeld: true, // the cell's lock, held since the start of the cell
    log,
    ...engine,
  };
  // A grid without validation participants has nothing to score there.
  if (
    evaluatesValidation(manifest.settings, cell) &&
    (await readRunSplit(dir)).scans.validation.length > 0
  ) {
    await evaluateRun(dir, { ...evaluation, split: "validation" });
  }
  await evaluateRun(dir, evaluation);
  return { cell, outcome: "ran", before, seconds: (performance.now() - t0) / 1000 };
}

/** Options of {@linkcode runBench}. */
export interface RunBenchOptions extends PrepareBenchOptions, BenchEngine {
  /** Run only the cell with this index (`--cell K`). @default {every cell} */
  cell?: number;
  /** Progress lines (cells done/total, ETA), meant for stderr. @default {discarded} */
  progress?: (line: string) => void;
}

/** What {@linkcode runBench} returns. */
export interface BenchRunResult {
  /** The bench folder. */
  dir: string;
  /** The manifest. */
  manifest: BenchManifest;
  /** One outcome per cell that was asked for. */
  outcomes: CellOutcome[];
  /** Cells done after this run (by this or any other process on the folder), of all cells. */
  done: number;
  /** Wall-clock seconds. */
  seconds: number;
}

/** `"<stage> "` for an event of a multi-stage method, else `""`. */
function stageOf(e: ProgressEvent): string {
  const m = e as ProgressEvent & { stage?: string; stages?: number };
  return m.stage !== undefined && (m.stages ?? 1) > 1 ? `${m.stage} ` : "";
}

/** Formats seconds as `1h02m`, `4m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * Runs a bench grid (or one cell of it): prepares the folder, skips finished cells, resumes
 * interrupted ones, and reports progress with cells done/total and an ETA. A failing cell is
 * reported and the others still run; its error is in the outcome.
 *
 * The ETA weighs each remaining cell by its method's relative cost ({@linkcode methodCost})
 * times its planned iterations, at the rate measured on the cells run so far.
 *
 * @throws {RangeError} When `cell` is not an index of the grid.
 * @throws {Error} When the folder holds another grid (see {@linkcode prepareBench}).
 */
export async function runBench(options: RunBenchOptions): Promise<BenchRunResult> {
  const t0 = performance.now();
  const progress = options.progress ?? (() => {});
  const manifest = await prepareBench(options);
  const dir = options.out;
  const all = manifest.cells;
  let todo = all;
  if (options.cell !== undefined) {
    const k = options.cell;
    if (!Number.isInteger(k) || k < 0 || k >= all.length) {
      throw new RangeError(
        `Cannot run bench cell: index out of range 0-${all.length - 1} (got ${k})`,
      );
    }
    todo = [all[k]!];
  }
  const status = new Map<string, CellStatus>();
  for (const c of all) status.set(c.name, await cellStatus(dir, c));
  const doneCount = () => [...status.values()].filter((s) => s === "done").length;
  const t = manifest.settings.training;
  // Iterations per epoch: as set, or one pass over the labeled slices (about ∝ the fraction).
  const weight = (c: BenchCell) =>
    methodCost(c.method) * t.epochs * (t.iterationsPerEpoch ?? Math.max(1, 100 * c.fraction));
  let measuredSeconds = 0;
  let measuredWeight = 0;
  const pendingWeight = (after: number) =>
    todo.filter((c, i) => i > after && status.get(c.name) !== "done").reduce(
      (w, c) => w + weight(c),
      0,
    );
  const benchEta = (after: number, currentEta: number) =>
    measuredWeight > 0 ? currentEta + pendingWeight(after) * measuredSeconds / measuredWeight : NaN;
  progress(
    `grn bench: ${manifest.settings.preset}: ${all.length} cells, ${doneCount()} done; ` +
      `${todo.filter((c) => status.get(c.name) !== "done").length} to run now in ${dir}`,
  );
  const outcomes: CellOutcome[] = [];
  for (const [i, cell] of todo.entries()) {
    const label = `[${cell.index + 1}/${all.length}] ${cell.name}`;
    if (status.get(cell.name) === "done") {
      outcomes.push({ cell, outcome: "skipped", before: "done", seconds: 0 });
      progress(`grn bench: ${label}: done already, skipped`);
      continue;
    }
    const before = status.get(cell.name)!;
    progress(
      `grn bench: ${label}: ${
        before === "trained" ? "evaluating" : before === "started" ? "resuming" : "training"
      } (${doneCount()}/${all.length} done${
        Number.isFinite(benchEta(i - 1, 0)) ? `, ETA ~${formatDuration(benchEta(i - 1, 0))}` : ""
      })`,
    );
    const cellStart = performance.now();
    try {
      const outcome: CellOutcome = await runBenchCell(dir, manifest, cell, {
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.native !== undefined ? { native: options.native } : {}),
        ...(options.log ? { log: options.log } : {}),
        progress: (e) => {
          if (e.kind !== "epoch") return;
          const val = e.validation ? `, val Dice ${e.validation.meanDice.toFixed(3)}` : "";
          const eta = benchEta(i, e.etaSeconds);
          progress(
            `grn bench: ${label} ${stageOf(e)}epoch ${e.epoch}/${e.maxEpochs}` +
              `${val} | cell ETA ${formatDuration(e.etaSeconds)}` +
              (Number.isFinite(eta) ? `, bench ETA ~${formatDuration(eta)}` : ""),
          );
        },
      });
      outcomes.push(outcome);
      if (outcome.outcome === "held") {
        progress(`grn bench: ${label}: skipped, another process is running it (${outcome.error})`);
        continue;
      }
      status.set(cell.name, "done");
      if (before !== "trained") {
        measuredSeconds += outcome.seconds;
        measuredWeight += weight(cell);
      }
      progress(
        `grn bench: ${label}: finished in ${formatDuration(outcome.seconds)} ` +
          `(${doneCount()}/${all.length} done)`,
      );
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      outcomes.push({
        cell,
        outcome: "failed",
        before,
        seconds: (performance.now() - cellStart) / 1000,
        error: message,
      });
      status.set(cell.name, await cellStatus(dir, cell));
      progress(`grn bench: ${label}: FAILED: ${message.split("\n")[0]}`);
    }
  }
  // Other processes on the same folder (held cells) may have finished cells meanwhile.
  for (const c of all) status.set(c.name, await cellStatus(dir, c));
  return {
    dir,
    manifest,
    outcomes,
    done: doneCount(),
    seconds: (performance.now() - t0) / 1000,
  };
}
