/**
 * CSV formatting of result rows.
 * @module
 */

/** A value a CSV cell can hold. */
export type CsvValue = string | number | boolean | bigint | Date | null | undefined | object;

/**
 * Formats one cell: `null`/`undefined` → empty; numbers with JavaScript's shortest round-trip
 * form (`NaN`, `Infinity`, `-Infinity` spelled out); dates as ISO 8601; other objects as JSON.
 * A cell is quoted (RFC 4180: wrapped in `"`, inner `"` doubled) when it holds a comma, a quote,
 * a line break, or leading/trailing white space.
 */
function cell(value: unknown): string {
  let s: string;
  if (value === null || value === undefined) s = "";
  else if (typeof value === "string") s = value;
  else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    s = String(value);
  } else if (value instanceof Date) s = value.toISOString();
  else s = JSON.stringify(value) ?? "";
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Formats rows as CSV text (RFC 4180 quoting, `\n` line ends, a header line, and a final line
 * break).
 *
 * @param rows One object per line.
 * @param columns Column names in order; default: every key of every row, in order of first
 *   appearance. Keys not listed are left out; a missing key gives an empty cell.
 * @returns The CSV text (`""` when there are no rows and no columns).
 * @throws {TypeError} When `rows` is not an array of objects.
 *
 * @example Quoting
 * ```ts
 * import assert from "node:assert/strict";
 * import { toCsv } from "./mod.ts";
 * const text = toCsv([{ method: 'GRN "SSL", SGE', dice: 0.689 }, { method: "MT", dice: NaN }]);
 * assert.equal(text, 'method,dice\n"GRN ""SSL"", SGE",0.689\nMT,NaN\n');
 * ```
 */
export function toCsv(
  rows: readonly Record<string, CsvValue>[],
  columns?: readonly string[],
): string {
  if (!Array.isArray(rows)) {
    throw new TypeError(`Cannot format CSV: rows must be an array of objects (got ${rows})`);
  }
  rows.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new TypeError(
        `Cannot format CSV: row ${i} is not an object (got ${JSON.stringify(row)})`,
      );
    }
  });
  let cols: string[];
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string")) {
      throw new TypeError(
        `Cannot format CSV: columns must be an array of strings (got ${JSON.stringify(columns)})`,
      );
    }
    cols = [...columns];
  } else {
    const seen = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
    cols = [...seen];
  }
  if (cols.length === 0) return "";
  const lines = [cols.map(cell).join(",")];
  for (const row of rows) lines.push(cols.map((c) => cell(row[c])).join(","));
  return lines.join("\n") + "\n";
}
