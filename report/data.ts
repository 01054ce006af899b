/**
 * Reading the results of a bench folder's cells: metrics, per-image or per-scan scores (test
 * split, and validation split when scored), training summary and history, for the tables and
 * the report.
 * @module
 */
import { join } from "node:path";
import type { EpochRecord } from "../trainers/fit.ts";
import type { BenchCell } from "../comparison/grid.ts";
import {
  type BenchManifest,
  cellDir,
  cellStatus,
  readBenchManifest,
} from "../comparison/run_grid.ts";
import type { RunMetrics } from "../run/evaluate_run.ts";
import { RUN_FILES } from "../run/run_config.ts";
import type { RunSummary } from "../run/train_run.ts";

/** Per-unit (image or scan), per-class scores of one prediction path of one cell. */
export interface ScanScores {
  /**
   * The evaluation unit of the rows: `"image"` (a 2-D slice, from `images.csv`) or `"scan"`
   * (from `scans.csv`).
   */
  unit: "image" | "scan";
  /**
   * Unit ids, in the order of the rows: the scan id per scan, `<scan>/<direction>/<slice>` per
   * image (see {@linkcode imageId}).
   */
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
  /** Test-split scores by variant (`plain`, and `sge` when the model has a generator). */
  scores: Partial<Record<"plain" | "sge", ScanScores>>;
  /**
   * Validation-split metrics and scores (`metrics.validation.json` and its CSV), when the cell
   * was also scored there.
   */
  validation?: {
    /** `metrics.validation.json`. */
    metrics: RunMetrics;
    /** Scores by variant. */
    scores: Partial<Record<"plain" | "sge", ScanScores>>;
  };
}

/** The id of one image (a 2-D slice) as a unit: `<scan>/<direction>/<slice>`. */
export function imageId(scan: string, direction: string, slice: number | string): string {
  return `${scan}/${direction}/${slice}`;
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
 * Reads a run's `scans.csv` (one row per scan and class) or `images.csv` (one row per image and
 * class, recognised by its `direction` and `slice` columns) into per-variant score matrices
 * whose rows are the units (scans, or images named by {@linkcode imageId}).
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
  const unit = header.includes("direction") && header.includes("slice") ? "image" : "scan";
  const [cDirection, cSlice] = unit === "image" ? [col("direction"), col("slice")] : [-1, -1];
  const out: Partial<Record<"plain" | "sge", ScanScores>> = {};
  for (const r of rows.slice(1)) {
    if (r.length < header.length) continue;
    const variant = r[cVariant] as "plain" | "sge";
    if (variant !== "plain" && variant !== "sge") continue;
    const s = out[variant] ??= { unit, scans: [], classes: [], dice: [], hd95: [] };
    const scan = unit === "image" ? imageId(r[cScan]!, r[cDirection]!, r[cSlice]!) : r[cScan]!;
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
 * Reads a run's metrics and scores of one split side (`metrics.json` with `images.csv` or
 * `scans.csv` as its protocol says; `metrics.validation.json` with `*.validation.csv`), or
 * `null` when that side was not scored.
 * @throws {Error} When a file is unreadable or malformed (e.g. a `metrics.json` that is not
 *   grn eval's, such as `{}`); the message names the file.
 */
export async function readRunScores(
  dir: string,
  split: "test" | "validation",
): Promise<
  { metrics: RunMetrics; scores: Partial<Record<"plain" | "sge", ScanScores>> } | null
> {
  const suffix = split === "test" ? "" : `.${split}`;
  const metricsPath = join(dir, RUN_FILES.metrics.replace(".json", `${suffix}.json`));
  const metrics = await readJson<RunMetrics>(metricsPath);
  if (metrics === null) return null;
  const m = metrics as Partial<RunMetrics> | null;
  if (
    m === null || typeof m !== "object" || typeof m.method !== "string" ||
    !Array.isArray(m.variants) || !Array.isArray(m.classes) || !Array.isArray(m.scans)
  ) {
    throw new Error(
      `Cannot read ${metricsPath}: not the metrics of grn eval (got ${
        m === null || typeof m !== "object"
          ? JSON.stringify(m)
          : `keys [${Object.keys(m).join(", ")}]`
      }); run grn eval ${dir} again`,
    );
  }
  // metrics.json from before the per-image protocol has no unit: it was per scan.
  const unit = metrics.protocol?.unit ?? "scan";
  const name = (unit === "image" ? RUN_FILES.images : RUN_FILES.scans).replace(
    ".csv",
    `${suffix}.csv`,
  );
  const path = join(dir, name);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  return { metrics, scores: parseScanScores(text, path) };
}

/**
 * Reads every finished cell of a bench folder (a cell is finished when its `metrics.json` and
 * `images.csv` or `scans.csv` exist), with its validation-split scores when it has them; the
 * others are listed as missing with their status.
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
    const test = await readRunScores(dir, "test");
    if (test === null) {
      missing.push({ cell, status: "trained" });
      continue;
    }
    const train = await readJson<RunSummary>(join(dir, RUN_FILES.train));
    const validation = await readRunScores(dir, "validation");
    cells.push({
      cell,
      dir,
      metrics: test.metrics,
      train,
      history: await readHistory(dir, train),
      scores: test.scores,
      ...(validation ? { validation } : {}),
    });
  }
  return { dir: benchDir, manifest, cells, missing };
}
