/**
 * The self-contained `report.html` of a bench: configuration, the paper's tables, Dice against
 * labeled fraction (Figures 6 and 8), per-layer bars, training curves and overlay montages,
 * with SVG charts and PNG images inlined as data URIs.
 * @module
 */
import { colorMap, curves, figure6, figure8, perLayer, rowKey } from "./_html_figures.ts";
import { cellTable, configuration, overlays } from "./_html_sections.ts";
import { cellConvergence, convergenceToHtml } from "./convergence.ts";
import { FINDINGS_CSS, findingsToHtml } from "./findings_format.ts";
import { tableToHtml } from "./format.ts";
import type { ReportInput } from "./_input.ts";
import { escapeXml, SERIES_COLORS } from "./_svg.ts";

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; margin: 24px 32px; color: #222; max-width: 1300px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 15px; margin-top: 22px; }
.note { background: #fff6d6; border: 1px solid #e6cf7a; padding: 8px 12px; border-radius: 4px; }
.muted { color: #666; font-size: 12px; }
table.t { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.t th, table.t td { border: 1px solid #ccc; padding: 4px 8px; text-align: center; vertical-align: top; }
table.t th { background: #f0f0f0; }
table.t td.label { text-align: left; white-space: nowrap; }
table.t td .p { display: block; color: #666; font-size: 11px; }
table.t td.bold { font-weight: bold; background: #eef7ee; }
table.t td.ref { background: #f3f3ff; }
table.t tr.warn td { background: #fff6d6; }
dl.cfg { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; font-size: 13px; }
dl.cfg dt { font-weight: bold; }
dl.cfg dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
table.ov { border-collapse: collapse; margin: 6px 0 18px; }
table.ov td, table.ov th { padding: 2px 4px; font-size: 12px; text-align: center; }
table.ov img { image-rendering: pixelated; display: block; }
table.ov td.rowlabel { width: 150px; }
.na { display: flex; align-items: center; justify-content: center; background: #eee; color: #888; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
`;

/** Renders the whole report as one HTML document. */
export function renderReportHtml(input: ReportInput): string {
  const keys: string[] = [];
  for (const t of input.tables) {
    for (const r of t.rows) {
      if (r.variant !== null && !keys.includes(rowKey(r.method, r.variant))) {
        keys.push(rowKey(r.method, r.variant));
      }
    }
  }
  const colors = colorMap(keys);
  const methods: string[] = [];
  for (const c of input.results.cells) {
    if (!methods.includes(c.cell.method)) methods.push(c.cell.method);
  }
  const methodColors = new Map(
    methods.map((
      m,
    ) => [
      m,
      colors.get(rowKey(m, "plain")) ??
        SERIES_COLORS[(keys.length + methods.indexOf(m)) % SERIES_COLORS.length]!,
    ]),
  );
  const main = input.tables.find((t) => t.id === "table2");
  const rest = input.tables.filter((t) => t !== main);
  const s = input.results.manifest.settings;
  const body = [
    `<h1>GRN bench report: ${escapeXml(s.preset)}</h1>`,
    '<p class="muted">Generative Reinforcement Network (GRN) against semi-supervised baselines: ' +
    "tissue-layer segmentation of 3-D ultrasound. Every number below comes from the runs in this bench folder.</p>",
    configuration(input),
    main ? `<h2 id="summary">Comparison</h2>\n${tableToHtml(main)}` : "",
    input.findings ? findingsToHtml(input.findings) : "",
    figure6(input, colors),
    figure8(input, colors),
    perLayer(input, colors),
    curves(input, methodColors),
    overlays(input),
    rest.length ? `<h2 id="tables">Tables</h2>\n${rest.map(tableToHtml).join("\n")}` : "",
    cellTable(input),
    input.results.cells.length > 0
      ? convergenceToHtml(input.results.cells.map(cellConvergence))
      : "",
  ].filter((x) => x !== "").join("\n\n");
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<title>GRN bench report: ${
      escapeXml(s.preset)
    }</title>\n<style>${CSS}${FINDINGS_CSS}</style>\n</head>\n<body>\n` +
    `${body}\n</body>\n</html>\n`;
}
