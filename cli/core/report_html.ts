/**
 * The self-contained `report.html` of a bench: configuration, the paper's tables, Dice against
 * labeled fraction (Figures 6 and 8), per-layer bars, training curves and overlay montages,
 * with SVG charts and PNG images inlined as data URIs.
 * @module
 */
import { encodeBase64 } from "./_base64.ts";
import { formatDuration } from "./bench_run.ts";
import { cellConvergence, convergenceToHtml } from "./report_convergence.ts";
import type { BenchResults, CellResult } from "./report_data.ts";
import type { Finding } from "./report_findings.ts";
import { FINDINGS_CSS, findingsToHtml } from "./report_findings_format.ts";
import { formatCell, formatP, isDifferenceTable } from "./report_format.ts";
import { fractionLabel, methodLabel } from "./report_labels.ts";
import type { RunOverlays } from "./report_montage.ts";
import { barChart, escapeXml, lineChart, SERIES_COLORS } from "./report_svg.ts";
import { type Entry, entryStat, unitNoun, type Variant } from "./report_statistics.ts";
import { type BenchTable, tableEntries } from "./report_tables.ts";

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

function pngUri(png: Uint8Array): string {
  return `data:image/png;base64,${encodeBase64(png)}`;
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

function colorMap(keys: string[]): Map<string, string> {
  return new Map(keys.map((k, i) => [k, SERIES_COLORS[i % SERIES_COLORS.length]!]));
}

function rowKey(method: string, variant: Variant | null): string {
  return `${method}|${variant ?? ""}`;
}

/** Supervised at 100 % as a reference line, when the grid has it (give the tables' entries). */
function supervisedFull(entries: readonly Entry[]) {
  const e = entries.find((x) =>
    x.method === "supervised" && x.variant === "plain" && x.fraction === 1
  );
  if (!e) return null;
  const s = entryStat(e);
  return s.mean === null
    ? null
    : { y: s.mean, label: `${methodLabel("supervised", "plain")}, 100%` };
}

function figure6(input: ReportInput, colors: Map<string, string>): string {
  const t = input.tables.find((x) => x.id === "table2");
  if (!t) return "";
  const svg = barChart({
    title: `Dice by labeled fraction (mean over ${
      t.protocol ? unitNoun(t.protocol) : "test scans"
    }, 95% CI)`,
    yLabel: "Dice (%)",
    xLabel: "labeled fraction of the training participants",
    categories: t.columns,
    series: t.rows.map((r) => ({
      name: r.label,
      color: colors.get(rowKey(r.method, r.variant))!,
      values: r.cells.map((c) =>
        c && c.mean !== null ? { y: c.mean, lower: c.lower, upper: c.upper } : null
      ),
    })),
    reference: supervisedFull(tableEntries(input.entries).main),
    yMin: 0,
    yMax: 100,
    width: Math.max(720, 160 * t.columns.length + 300),
    height: 380,
  });
  return `<h2 id="figure-6">Dice against labeled fraction (the paper's Figure 6)</h2>\n${svg}`;
}

function figure8(input: ReportInput, colors: Map<string, string>): string {
  const t = input.tables.find((x) => x.id === "table4");
  if (!t) {
    if (new Set(tableEntries(input.entries).main.map((e) => e.fraction)).size > 1) return "";
    return '<h2 id="figure-8">GRN variants against labeled fraction (the paper\'s Figure 8)</h2>\n' +
      '<p class="muted">This grid has one labeled fraction; the curve needs two or more ' +
      "(--preset paper, or e.g. --fractions 0.05,0.1,0.2,0.5,1).</p>";
  }
  const fractions = t.columnKeys as number[];
  const svg = lineChart({
    title: `GRN variants by labeled fraction (mean over ${
      t.protocol ? unitNoun(t.protocol) : "test scans"
    }, 95% CI)`,
    yLabel: "Dice (%)",
    xLabel: "labeled fraction of the training participants (%)",
    xTicks: fractions.map((f) => ({ value: f * 100, label: fractionLabel(f) })),
    series: t.rows.map((r) => ({
      name: r.label,
      color: colors.get(rowKey(r.method, r.variant))!,
      dashed: r.variant === "sge",
      points: r.cells.map((c, j) => ({
        x: fractions[j]! * 100,
        y: c?.mean ?? null,
        lower: c?.lower ?? null,
        upper: c?.upper ?? null,
      })),
    })),
    reference: supervisedFull(tableEntries(input.entries).main),
  });
  return `<h2 id="figure-8">GRN variants against labeled fraction (the paper's Figure 8)</h2>\n${svg}`;
}

function perLayer(input: ReportInput, colors: Map<string, string>): string {
  const t = input.tables.find((x) => x.id === "table3");
  if (!t) return "";
  const svg = barChart({
    title: t.title.replace(/^Table 3: /, ""),
    yLabel: "Dice (%)",
    categories: t.columns,
    series: t.rows.map((r) => ({
      name: r.label,
      color: colors.get(rowKey(r.method, r.variant))!,
      values: r.cells.map((c) =>
        c && c.mean !== null ? { y: c.mean, lower: c.lower, upper: c.upper } : null
      ),
    })),
    yMin: 0,
    yMax: 100,
    width: 1100,
    height: 380,
  });
  return `<h2 id="per-layer">Dice per tissue layer</h2>\n${svg}`;
}

function curves(input: ReportInput, methodColors: Map<string, string>): string {
  const cells = input.results.cells;
  if (cells.length === 0) return "";
  const firstSeed = Math.min(...cells.map((c) => c.cell.seed));
  const fractions = [...new Set(cells.map((c) => c.cell.fraction))].sort((a, b) => a - b);
  const parts: string[] = [
    '<h2 id="curves">Training curves</h2>',
    `<p class="muted">Seed ${firstSeed}; for a multi-stage method, its last stage. Validation: mean ` +
    "Dice of S(x) on the validation slices after each epoch (the model kept is the one with the " +
    "lowest validation Dice loss). Training: the supervised Dice loss on labeled slices " +
    "(diceReal), averaged over the epoch.</p>",
  ];
  for (const f of fractions) {
    const runs = cells.filter((c) =>
      c.cell.fraction === f && c.cell.seed === firstSeed && c.history.length > 0
    );
    if (runs.length === 0) continue;
    const series = (pick: (e: CellResult["history"][number]) => number | undefined) =>
      runs.map((c) => ({
        name: methodLabel(c.cell.method, "plain"),
        color: methodColors.get(c.cell.method)!,
        points: c.history.map((e) => {
          const v = pick(e);
          return { x: e.epoch, y: v === undefined || v === null ? null : v };
        }),
      }));
    const maxEpoch = Math.max(...runs.flatMap((c) => c.history.map((e) => e.epoch)));
    const step = Math.max(1, Math.ceil(maxEpoch / 10));
    const xTicks = Array.from({ length: Math.floor(maxEpoch / step) }, (_, i) => (i + 1) * step)
      .map((v) => ({ value: v, label: String(v) }));
    const val = lineChart({
      title: `Validation mean Dice, ${fractionLabel(f)} labeled`,
      xLabel: "epoch",
      xTicks,
      yLabel: "Dice",
      series: series((e) => e.validation?.meanDice),
      width: 620,
      height: 300,
    });
    const train = lineChart({
      title: `Training Dice loss (labeled), ${fractionLabel(f)} labeled`,
      xLabel: "epoch",
      xTicks,
      yLabel: "Dice loss",
      series: series((e) => e.train.diceReal),
      width: 620,
      height: 300,
    });
    parts.push(`<div class="charts">${val}\n${train}</div>`);
  }
  return parts.join("\n");
}

function overlays(input: ReportInput): string {
  if (input.overlays.length === 0 && (input.overlayErrors ?? []).length === 0) return "";
  const parts: string[] = ['<h2 id="overlays">Overlays</h2>'];
  const first = input.overlays[0];
  if (first) {
    parts.push(
      `<p class="muted">Test scan ${escapeXml(first.overlays.scan)}, middle coronal and sagittal ` +
        `slices at the network's input size (${first.overlays.size.join("×")}), shown at the ` +
        "scan's physical aspect ratio. Columns: the B-mode image as the network sees it, the " +
        "ground truth, the prediction S(x), the SGE prediction S(G(x)) and the generator's " +
        `enhanced image G(x). Labeled fraction ${fractionLabel(first.cell.cell.fraction)}, seed ` +
        `${first.cell.cell.seed}.</p>`,
    );
    parts.push(
      '<p class="legend">' +
        [
          ["dermis", "#0072b2"],
          ["superficial fat", "#f0e442"],
          ["SFM", "#009e73"],
          ["deep fat", "#56b4e9"],
          ["DFM", "#d55e00"],
          ["muscle", "#cc79a7"],
        ].map(([n, c]) => `<span><i style="background:${c}"></i>${n}</span>`).join("") + "</p>",
    );
  }
  for (const { cell, overlays: ov } of input.overlays) {
    const height = 200;
    const rows = ov.rows.map((r) => {
      const width = Math.round(height * r.aspect);
      const img = (png: Uint8Array | null, alt: string) =>
        png
          ? `<td><img src="${pngUri(png)}" width="${width}" height="${height}" alt="${alt}"></td>`
          : `<td><div class="na" style="width:${width}px;height:${height}px">no generator</div></td>`;
      const acc = `S(x) ${(r.accuracy.plain * 100).toFixed(1)}%` +
        (r.accuracy.sge !== null ? `, S(G(x)) ${(r.accuracy.sge * 100).toFixed(1)}%` : "");
      return `<tr><td class="muted rowlabel">${r.direction}<br>slice ${r.index}<br>pixel accuracy<br>${acc}</td>` +
        img(r.image, "image") + img(r.truth, "ground truth") + img(r.plain, "S(x)") +
        img(r.sge, "S(G(x))") + img(r.enhanced, "G(x)") + "</tr>";
    }).join("\n");
    parts.push(
      `<h3>${escapeXml(methodLabel(cell.cell.method, "plain"))} <span class="muted">(${
        escapeXml(cell.cell.name)
      })</span></h3>\n<table class="ov"><tr><th></th><th>image</th><th>ground truth</th>` +
        `<th>S(x)</th><th>S(G(x)) (SGE)</th><th>G(x) (enhanced)</th></tr>\n${rows}</table>`,
    );
  }
  for (const e of input.overlayErrors ?? []) {
    parts.push(
      `<p class="muted">Overlays of ${escapeXml(e.cell)} failed: ${escapeXml(e.error)}</p>`,
    );
  }
  return parts.join("\n");
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

function configuration(input: ReportInput): string {
  const { manifest, cells, missing } = input.results;
  const s = manifest.settings;
  const t = s.training;
  const first = cells[0]?.train;
  const trainingSeconds = cells.reduce((a, c) => a + (c.train?.seconds ?? 0), 0);
  const evalSeconds = cells.reduce((a, c) => a + (c.metrics.seconds ?? 0), 0);
  const unet = Array.from({ length: t.networks.depth }, (_, i) => t.networks.width * 2 ** i).join(
    "-",
  );
  const items: [string, string][] = [
    ["preset", `${s.preset}: ${s.description}`],
    [
      "dataset",
      s.phantom
        ? `${manifest.dataset} (phantom: ${s.phantom.participants} participants × ${s.phantom.scansPerParticipant} scans, ` +
          `${s.phantom.shape.join("×")} voxels, seed ${s.phantom.seed})`
        : manifest.dataset,
    ],
    [
      "split",
      first
        ? `${first.participants.train} training (of them, ${first.participants.labeled} labeled in the first cell), ` +
          `${first.participants.validation} validation, ${first.participants.test} test participants; split seed ${t.splitSeed}, the same for every cell`
        : `split seed ${t.splitSeed}`,
    ],
    [
      "slices",
      `${t.inputSize.join("×")} input, ${t.directions.join(" + ")}, every ${t.every}${
        t.every === 1 ? "" : "th"
      } slice`,
    ],
    [
      "networks",
      `UNet ${unet}; generator width ${t.networks.generatorWidth}; discriminator width ${t.networks.discriminatorWidth}; ` +
      `DAN/SASSNet discriminator width ${t.networks.auxiliaryDiscriminatorWidth}`,
    ],
    [
      "training",
      `at most ${t.epochs} epochs of ${
        t.iterationsPerEpoch ?? "one pass over the labeled slices in"
      } iterations, ` +
      `batch ${t.batchSize}, early-stopping patience ${t.patience}, model selection by validation Dice loss`,
    ],
    ["seeds", s.seeds.join(", ")],
    [
      "cells",
      `${cells.length} of ${manifest.cells.length} finished${
        missing.length
          ? ` (missing: ${missing.map((m) => `${m.cell.name} [${m.status}]`).join(", ")})`
          : ""
      }`,
    ],
    [
      "time",
      `${formatDuration(trainingSeconds)} training + ${
        formatDuration(evalSeconds)
      } evaluation over all cells` +
      (first
        ? `; engine ${first.engine.backend}${
          first.engine.native ? ` + ${first.engine.native}` : ""
        }, ${first.engine.threads} thread(s)`
        : ""),
    ],
    [
      "statistics",
      statisticsText(input.tables),
    ],
    ["generated", input.generatedAt],
  ];
  const dl = items.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join("\n");
  const reduced = s.reduced
    ? `<p class="note"><b>Reduced configuration</b> ${escapeXml(s.reduced)}.</p>`
    : "";
  return `<h2 id="configuration">Configuration</h2>\n${reduced}\n<dl class="cfg">${dl}</dl>`;
}

function cellTable(input: ReportInput): string {
  const rows = input.results.cells.map((c) => {
    const v = (variant: "plain" | "sge") => {
      const m = c.metrics.variants.find((x) => x.variant === variant);
      const o = m?.dice.overall;
      return o && o.mean !== null && Number.isFinite(o.mean) ? (o.mean * 100).toFixed(2) : "–";
    };
    const hd = c.metrics.variants.find((x) => x.variant === "plain")?.hd95.overall.mean;
    return `<tr><td class="label">${escapeXml(c.cell.name)}</td><td>${
      c.train?.epochs ?? "–"
    }</td>` +
      `<td>${c.train?.bestEpoch ?? "–"}</td><td>${c.train?.stoppedEarly ? "yes" : "no"}</td>` +
      `<td>${c.train ? formatDuration(c.train.seconds + (c.metrics.seconds ?? 0)) : "–"}</td><td>${
        v("plain")
      }</td><td>${v("sge")}</td>` +
      `<td>${typeof hd === "number" && Number.isFinite(hd) ? hd.toFixed(2) : "–"}</td>` +
      `<td>${escapeXml(scoredPer(c))}</td></tr>`;
  });
  for (const m of input.results.missing) {
    rows.push(
      `<tr><td class="label">${escapeXml(m.cell.name)}</td><td colspan="8">${m.status}</td></tr>`,
    );
  }
  return '<h2 id="cells">Cells</h2>\n<table class="t"><tr><th>cell</th><th>epochs</th><th>selected epoch</th>' +
    "<th>stopped early</th><th>time (train + eval)</th><th>Dice S(x) (%)</th><th>Dice S(G(x)) (%)</th>" +
    `<th>HD95 S(x) (mm)</th><th>scored per</th></tr>\n${rows.join("\n")}</table>`;
}

/** A cell's evaluation unit and count, e.g. `"image (768 test images)"`. */
function scoredPer(c: CellResult): string {
  const p = c.metrics.protocol;
  const unit = p?.unit ?? "scan";
  const n = c.metrics.units ?? c.metrics.scans?.length;
  const how = unit === "scan" && p?.ensemble ? ", directions averaged" : "";
  return `${unit} (${n ?? "?"} ${c.metrics.split ?? "test"} ${unit}s${how})`;
}

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
