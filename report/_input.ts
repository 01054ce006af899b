/**
 * What `report.html` shows: the input of `renderReportHtml`.
 * @module
 */
import type { BenchResults, CellResult } from "./data.ts";
import type { Finding } from "./findings.ts";
import type { RunOverlays } from "./_montage.ts";
import type { Entry } from "./statistics.ts";
import type { BenchTable } from "./tables.ts";

/** Everything the report shows. */
export interface ReportInput {
  /** The bench's results. */
  results: BenchResults;
  /** Seed-averaged entries. */
  entries: Entry[];
  /** The tables. */
  tables: BenchTable[];
  /** The paper's claims checked on the grid (`buildFindings`). @default {none: no section} */
  findings?: Finding[];
  /** Overlays of the runs shown (cell name → overlays), in display order. */
  overlays: { cell: CellResult; overlays: RunOverlays }[];
  /** Overlays that could not be rendered (cell name → message). */
  overlayErrors?: { cell: string; error: string }[];
  /** When the report was made (ISO). */
  generatedAt: string;
}
