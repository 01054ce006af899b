/**
 * The bench's tables as text: cells with their intervals and p-values, Markdown, CSV rows and
 * aligned plain text for the terminal.
 * @module
 */
import type { BenchTable } from "./report_tables.ts";
import type { TableCell } from "./report_statistics.ts";

/** `"68.90"`; `"–"` for none. */
function num(v: number | null, signed = false): string {
  if (v === null || !Number.isFinite(v)) return "–";
  const s = v.toFixed(2);
  return signed && v >= 0 ? `+${s}` : s;
}

/** `"p=0.034"`, `"p<0.001"`. */
export function formatP(p: number | null): string {
  if (p === null) return "";
  return p < 0.001 ? "p<0.001" : `p=${p.toFixed(3)}`;
}

/** A cell as text: `"68.90 (68.62, 69.18)"` (signed for differences). */
export function formatCell(c: TableCell | null, signed = false): string {
  if (c === null || c.mean === null) return "–";
  const ci = c.lower === null ? "" : ` (${num(c.lower, signed)}, ${num(c.upper, signed)})`;
  return `${num(c.mean, signed)}${ci}`;
}

/** Whether a table's cells are differences (printed with a sign). */
export function isDifferenceTable(t: BenchTable, column: number): boolean {
  return t.id === "table5" || (t.id === "table6" && column === 1);
}

/** A table as Markdown: values with CIs, p-values, bold by the table's criterion, notes. */
export function tableToMarkdown(t: BenchTable): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    `### ${t.title}`,
    "",
    ...(t.protocol ? [`Protocol: ${t.protocol.text}; n counts ${t.protocol.unit}s.`, ""] : []),
    `| ${["Method", ...t.columns].map(esc).join(" | ")} |`,
    `| ${["---", ...t.columns.map(() => "---")].join(" | ")} |`,
  ];
  for (const r of t.rows) {
    const cells = r.cells.map((c, j) => {
      if (c === null) return "–";
      let text = formatCell(c, isDifferenceTable(t, j));
      if (c.bold) text = `**${text}**`;
      if (c.isReference) text += " (ref.)";
      else if (c.p !== null) text += ` ${formatP(c.p)}`;
      return text;
    });
    lines.push(`| ${[esc(r.label), ...cells].join(" | ")} |`);
  }
  lines.push("");
  for (const n of t.notes) lines.push(`- ${n}`);
  return lines.join("\n") + "\n";
}

/** One CSV row per table cell (long format), with the split and unit behind each number. */
export function tablesToCsvRows(
  tables: readonly BenchTable[],
): Record<string, string | number | boolean | null>[] {
  const rows: Record<string, string | number | boolean | null>[] = [];
  for (const t of tables) {
    for (const r of t.rows) {
      r.cells.forEach((c, j) => {
        if (c === null) return;
        rows.push({
          table: t.id,
          row: r.label,
          method: r.method,
          variant: r.variant,
          column: t.columns[j]!,
          key: t.columnKeys[j]!,
          unit: t.unit,
          split: t.protocol?.split ?? null,
          sample_unit: t.protocol?.unit ?? null,
          mean: c.mean,
          lower: c.lower,
          upper: c.upper,
          n: c.n,
          p: c.p,
          reference: c.isReference ? "(reference)" : c.reference,
          bold: c.bold,
        });
      });
    }
  }
  return rows;
}

/** A table as aligned plain text for the terminal (values with CIs and p-values). */
export function tableToText(t: BenchTable): string {
  const rows = [["Method", ...t.columns]];
  for (const r of t.rows) {
    rows.push([
      r.label,
      ...r.cells.map((c, j) => {
        if (c === null) return "–";
        const text = formatCell(c, isDifferenceTable(t, j));
        return c.isReference ? `${text} ref.` : c.p !== null ? `${text} ${formatP(c.p)}` : text;
      }),
    ]);
  }
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => [...r[j]!].length)));
  const line = (r: string[]) =>
    r.map((c, j) => c + " ".repeat(widths[j]! - [...c].length)).join("  ");
  return [t.title, "", ...rows.map(line)].join("\n");
}
