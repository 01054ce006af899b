/**
 * Reading the results of a bench folder's cells: metrics, per-scan scores, training summary and
 * history, for the tables and the report.
 * @module
 */
import { join } from "node:path";
import type { EpochRecord } from "../../trainers/fit.ts";
import type { BenchCell } from "./bench_grid.ts";
import { type BenchManifest, cellDir, cellStatus, readBenchManifest } from "./bench_run.ts";
import type { RunMetrics } from "./evaluate_run.ts";
import { RUN_FILES } from "./run_config.ts";
import type { RunSummary } from "./train_run.ts";

/** Per-scan, per-class scores of one prediction path of one cell. */
export interface ScanScores {
  /** Scan ids, in the order of the rows. */
  scans: string[];
  /** Scored labels, in the order of the columns. */
  classes: number[];
  /** Dice, `scans.length` rows × `classes.length` columns (`NaN`: class absent from both). */
  dice: number[][];
  /** HD95 in mm, same layout. */
  hd95: number[][];
}

/** Everything a finished cell produced. */
export interface CellResult {
  /** The cell. */
  cell: BenchCell;
  /** Its run folder. */
  dir: string;
  /** `metrics.json`. */
  metrics: RunMetrics;
  /** `train.json` (`null` when missing). */
  train: RunSummary | null;
  /** Per-epoch history of the evaluated stage (empty when missing). */
  history: EpochRecord[];
  /** Per-scan scores by variant (`plain`, and `sge` when the model has a generator). */
  scores: Partial<Record<"plain" | "sge", ScanScores>>;
}

/** A bench folder's results. */
export interface BenchResults {
  /** The bench folder. */
  dir: string;
  /** `bench.json`. */
  manifest: BenchManifest;
  /** Finished cells, in grid order. */
  cells: CellResult[];
  /** Cells without results yet, with where they stand. */
  missing: { cell: BenchCell; status: string }[];
}

/** Splits CSV text into rows of cells (RFC 4180 quoting). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/**
 * Reads a run's `scans.csv` into per-variant score matrices.
 * @throws {Error} When a required column is missing (names the file).
 */
export function parseScanScores(
  text: string,
  path: string,
): Partial<Record<"plain" | "sge", ScanScores>> {
  const rows = parseCsv(text);
  const header = rows[0] ?? [];
  const col = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) {
      throw new Error(
        `Cannot read scores: ${path} has no column ${name} (got ${header.join(",")})`,
      );
    }
    return k;
  };
  const [cScan, cVariant, cClass, cDice, cHd] = ["scan", "variant", "class", "dice", "hd95"].map(
    col,
  ) as [number, number, number, number, number];
  const out: Partial<Record<"plain" | "sge", ScanScores>> = {};
  for (const r of rows.slice(1)) {
    if (r.length < header.length) continue;
    const variant = r[cVariant] as "plain" | "sge";
    if (variant !== "plain" && variant !== "sge") continue;
    const s = out[variant] ??= { scans: [], classes: [], dice: [], hd95: [] };
    const scan = r[cScan]!;
    const label = Number(r[cClass]);
    let i = s.scans.indexOf(scan);
    if (i < 0) {
      i = s.scans.length;
      s.scans.push(scan);
      s.dice.push([]);
      s.hd95.push([]);
    }
    let k = s.classes.indexOf(label);
    if (k < 0) {
      k = s.classes.length;
      s.classes.push(label);
    }
    s.dice[i]![k] = Number(r[cDice]);
    s.hd95[i]![k] = Number(r[cHd]);
  }
  return out;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The history of the evaluated (last) stage: `history.json`, or `<last stage>/history.json`. */
async function readHistory(dir: string, train: RunSummary | null): Promise<EpochRecord[]> {
  const stages = train?.stages ?? [];
  const candidates = [
    ...(stages.length > 1 ? [join(dir, stages[stages.length - 1]!.name, RUN_FILES.history)] : []),
    join(dir, RUN_FILES.history),
  ];
  for (const path of candidates) {
    const h = await readJson<EpochRecord[] | { epochs: EpochRecord[] }>(path);
    if (h === null) continue;
    return Array.isArray(h) ? h : h.epochs ?? [];
  }
  return [];
}

/**
 * Reads every finished cell of a bench folder (a cell is finished when its `metrics.json` and
 * `scans.csv` exist); the others are listed as missing with their status.
 *
 * @throws {Error} When the folder is not a bench folder or a result file is unreadable.
 */
export async function loadBenchResults(benchDir: string): Promise<BenchResults> {
  const manifest = await readBenchManifest(benchDir);
  const cells: CellResult[] = [];
  const missing: BenchResults["missing"] = [];
  for (const cell of manifest.cells) {
    const status = await cellStatus(benchDir, cell);
    if (status !== "done") {
      missing.push({ cell, status });
      continue;
    }
    const dir = cellDir(benchDir, cell);
    const metrics = (await readJson<RunMetrics>(join(dir, RUN_FILES.metrics)))!;
    const train = await readJson<RunSummary>(join(dir, RUN_FILES.train));
    const scansPath = join(dir, RUN_FILES.scans);
    const scores = parseScanScores(await Deno.readTextFile(scansPath), scansPath);
    cells.push({ cell, dir, metrics, train, history: await readHistory(dir, train), scores });
  }
  return { dir: benchDir, manifest, cells, missing };
}
