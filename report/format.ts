/**
 * The bench's tables as text: cells with their intervals and p-values, Markdown, CSV rows and
 * aligned plain text for the terminal.
 * @module
 */
import { escapeXml } from "./_svg.ts";
import type { BenchTable } from "./tables.ts";
import type { TableCell } from "./statistics.ts";

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

/** A table as HTML (values with CIs, p-values below, bold and reference cells styled). */
export function tableToHtml(t: BenchTable): string {
  const head = `<tr><th>Method</th>${
    t.columns.map((c) => `<th>${escapeXml(c)}</th>`).join("")
  }</tr>`;
  const body = t.rows.map((r) => {
    const cells = r.cells.map((c, j) => {
      if (c === null) return "<td>–</td>";
      const cls = c.bold ? ' class="bold"' : c.isReference ? ' class="ref"' : "";
      const sub = c.isReference
        ? '<span class="p">reference</span>'
        : c.p !== null
        ? `<span class="p">${escapeXml(formatP(c.p))}</span>`
        : "";
      return `<td${cls}>${escapeXml(formatCell(c, isDifferenceTable(t, j)))}${sub}</td>`;
    }).join("");
    return `<tr><td class="label">${escapeXml(r.label)}</td>${cells}</tr>`;
  }).join("\n");
  const notes = t.notes.map((n) => `<li>${escapeXml(n)}</li>`).join("");
  const protocol = t.protocol
    ? `<p class="muted protocol">Protocol: ${escapeXml(t.protocol.text)}; n counts ${
      escapeXml(t.protocol.unit)
    }s.</p>\n`
    : "";
  return `<h3 id="${t.id}">${
    escapeXml(t.title)
  }</h3>\n${protocol}<table class="t">${head}\n${body}</table>` +
    `<ul class="muted">${notes}</ul>`;
}

/** What the tables' numbers are over, from their protocols. */
export function statisticsText(tables: readonly BenchTable[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const t of tables) {
    if (!t.protocol || seen.has(t.protocol.text)) continue;
    seen.add(t.protocol.text);
    const ids = tables.filter((x) => x.protocol?.text === t.protocol!.text).map((x) =>
      x.id.replace("table", "Table ")
    );
    parts.push(`${ids.join(", ")}: ${t.protocol.text}`);
  }
  return "each cell's per-unit scores are averaged over seeds, then " +
    (parts.length > 0 ? parts.join("; ") : "no table") +
    "; a test never pairs different units or splits";
}
