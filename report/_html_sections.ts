/**
 * The sections of `report.html` about the runs (private): overlay montages, the configuration
 * and the cells.
 * @module
 */
import { encodeBase64 } from "./_base64.ts";
import { formatDuration } from "../comparison/run_grid.ts";
import type { CellResult } from "./data.ts";
import { statisticsText } from "./format.ts";
import type { ReportInput } from "./_input.ts";
import { fractionLabel, methodLabel } from "./labels.ts";
import { escapeXml } from "./_svg.ts";

function pngUri(png: Uint8Array): string {
  return `data:image/png;base64,${encodeBase64(png)}`;
}

/** Overlay montages of the shown runs (and the ones that failed). */
export function overlays(input: ReportInput): string {
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

/** The grid's configuration: preset, dataset, split, slices, networks, training, time. */
export function configuration(input: ReportInput): string {
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

/** One row per cell: epochs, selected epoch, time, Dice, HD95, unit; the missing cells. */
export function cellTable(input: ReportInput): string {
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
