/**
 * Hand-written SVG charts for the report: line charts (training curves, Dice against labeled
 * fraction) and grouped bar charts with confidence-interval whiskers. No dependencies; the
 * output is a standalone `<svg>` element with its own fonts and colours.
 * @module
 */

/** Colours of chart series (colour-blind-friendly first, then distinct extras). */
export const SERIES_COLORS: readonly string[] = Object.freeze([
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#D55E00",
  "#56B4E9",
  "#000000",
  "#F0E442",
  "#8C564B",
  "#7F7F7F",
  "#17BECF",
  "#9467BD",
  "#BCBD22",
  "#1F77B4",
  "#FF7F0E",
  "#2CA02C",
  "#D62728",
]);

/** Escapes text for SVG and HTML. */
export function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** About `count` round tick values covering `[min, max]`. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  const start = Math.ceil(min / step - 1e-9) * step;
  for (let v = start; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function tickText(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** A point of a line series; `lower`/`upper` draw a whisker. */
export interface ChartPoint {
  /** Horizontal value. */
  x: number;
  /** Vertical value (`null` breaks the line). */
  y: number | null;
  /** Lower end of the whisker. */
  lower?: number | null;
  /** Upper end of the whisker. */
  upper?: number | null;
}

/** A line series. */
export interface LineSeries {
  /** Legend text. */
  name: string;
  /** Stroke colour. */
  color: string;
  /** Points, in drawing order. */
  points: ChartPoint[];
  /** Dashed stroke. @default {false} */
  dashed?: boolean;
}

/** A horizontal reference line (e.g. the supervised model at 100 %). */
export interface ReferenceLine {
  /** Vertical value. */
  y: number;
  /** Legend text. */
  label: string;
  /** Colour. @default {"#D62728"} */
  color?: string;
}

/** Common chart options. */
interface ChartFrame {
  /** Title above the plot. */
  title: string;
  /** Vertical axis label. */
  yLabel: string;
  /** Vertical range (default: from the data). */
  yMin?: number;
  /** Vertical range (default: from the data). */
  yMax?: number;
  /** A dotted horizontal reference line. */
  reference?: ReferenceLine | null;
  /** Pixel width. @default {720} */
  width?: number;
  /** Pixel height. @default {360} */
  height?: number;
}

/** Options of {@linkcode lineChart}. */
export interface LineChartOptions extends ChartFrame {
  /** Horizontal axis label. */
  xLabel: string;
  /** The series. */
  series: LineSeries[];
  /** Tick positions and labels of the horizontal axis (default: round numbers). */
  xTicks?: { value: number; label: string }[];
}

interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function layout(o: ChartFrame, legendWidth: number): Layout {
  const width = o.width ?? 720;
  const height = o.height ?? 360;
  return { width, height, left: 58, right: width - legendWidth - 12, top: 34, bottom: height - 46 };
}

function yRange(values: number[], o: ChartFrame, zero: boolean): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = o.yMin ?? (finite.length ? Math.min(...finite) : 0);
  let hi = o.yMax ?? (finite.length ? Math.max(...finite) : 1);
  if (zero && o.yMin === undefined) lo = Math.min(0, lo);
  if (hi <= lo) {
    hi = lo + 1;
    if (o.yMin === undefined) lo = lo - 1;
  }
  if (o.yMax === undefined) hi += (hi - lo) * 0.05;
  if (o.yMin === undefined && !zero) lo -= (hi - lo) * 0.05;
  return [lo, hi];
}

function frame(
  o: ChartFrame,
  l: Layout,
  [y0, y1]: [number, number],
  body: string,
  legend: { name: string; color: string; dashed?: boolean; dotted?: boolean; box?: boolean }[],
): string {
  const sy = (v: number) => l.bottom - (v - y0) / (y1 - y0) * (l.bottom - l.top);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" ` +
      `viewBox="0 0 ${l.width} ${l.height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<rect x="0" y="0" width="${l.width}" height="${l.height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="${l.left}" y="20" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`,
  );
  for (const t of niceTicks(y0, y1, 6)) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${l.left}" x2="${l.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>` +
        `<text x="${l.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
          tickText(t)
        }</text>`,
    );
  }
  parts.push(
    `<text transform="translate(14 ${(l.top + l.bottom) / 2}) rotate(-90)" text-anchor="middle">${
      escapeXml(o.yLabel)
    }</text>`,
  );
  parts.push(body);
  if (o.reference) {
    const y = sy(o.reference.y).toFixed(1);
    parts.push(
      `<line x1="${l.left}" x2="${l.right}" y1="${y}" y2="${y}" stroke="${
        o.reference.color ?? "#D62728"
      }" stroke-width="2" stroke-dasharray="3 4"/>`,
    );
  }
  parts.push(
    `<line x1="${l.left}" x2="${l.left}" y1="${l.top}" y2="${l.bottom}" stroke="#333"/>` +
      `<line x1="${l.left}" x2="${l.right}" y1="${l.bottom}" y2="${l.bottom}" stroke="#333"/>`,
  );
  const items = [...legend];
  if (o.reference) {
    items.push({ name: o.reference.label, color: o.reference.color ?? "#D62728", dotted: true });
  }
  items.forEach((it, i) => {
    const x = l.right + 16;
    const y = l.top + 6 + i * 18;
    const mark = it.box
      ? `<rect x="${x}" y="${y - 6}" width="14" height="12" fill="${it.color}"/>`
      : `<line x1="${x}" x2="${
        x + 16
      }" y1="${y}" y2="${y}" stroke="${it.color}" stroke-width="2.5"${
        it.dotted ? ' stroke-dasharray="3 4"' : it.dashed ? ' stroke-dasharray="6 3"' : ""
      }/>`;
    parts.push(
      `${mark}<text x="${x + 22}" y="${y}" dominant-baseline="middle">${escapeXml(it.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function legendWidth(names: string[]): number {
  return Math.min(260, 40 + 6.6 * Math.max(8, ...names.map((n) => n.length)));
}

/**
 * A line chart with optional CI whiskers, a dotted reference line and a legend on the right.
 * @returns An `<svg>` element.
 */
export function lineChart(o: LineChartOptions): string {
  const l = layout(o, legendWidth([...o.series.map((s) => s.name), o.reference?.label ?? ""]));
  const xs = o.series.flatMap((s) => s.points.map((p) => p.x));
  const tickXs = o.xTicks?.map((t) => t.value) ?? [];
  let x0 = Math.min(...xs, ...tickXs);
  let x1 = Math.max(...xs, ...tickXs);
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1];
  if (x1 <= x0) [x0, x1] = [x0 - 1, x1 + 1];
  const pad = (x1 - x0) * 0.04;
  x0 -= pad;
  x1 += pad;
  const ys = o.series.flatMap((s) =>
    s.points.flatMap((p) => [p.y, p.lower, p.upper]).filter((v): v is number =>
      typeof v === "number"
    )
  );
  if (o.reference) ys.push(o.reference.y);
  const yr = yRange(ys, o, false);
  const sx = (v: number) => l.left + (v - x0) / (x1 - x0) * (l.right - l.left);
  const sy = (v: number) => l.bottom - (v - yr[0]) / (yr[1] - yr[0]) * (l.bottom - l.top);
  const body: string[] = [];
  const ticks = o.xTicks ??
    niceTicks(x0 + pad, x1 - pad, 6).map((v) => ({ value: v, label: tickText(v) }));
  for (const t of ticks) {
    const x = sx(t.value).toFixed(1);
    body.push(
      `<line x1="${x}" x2="${x}" y1="${l.bottom}" y2="${l.bottom + 4}" stroke="#333"/>` +
        `<text x="${x}" y="${l.bottom + 16}" text-anchor="middle">${escapeXml(t.label)}</text>`,
    );
  }
  body.push(
    `<text x="${(l.left + l.right) / 2}" y="${l.height - 8}" text-anchor="middle">${
      escapeXml(o.xLabel)
    }</text>`,
  );
  for (const s of o.series) {
    let d = "";
    let pen = false;
    for (const p of s.points) {
      if (p.y === null || !Number.isFinite(p.y)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`;
      pen = true;
    }
    if (d !== "") {
      body.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${
          s.dashed ? ' stroke-dasharray="6 3"' : ""
        }/>`,
      );
    }
    for (const p of s.points) {
      if (p.y === null || !Number.isFinite(p.y)) continue;
      const x = sx(p.x);
      if (typeof p.lower === "number" && typeof p.upper === "number") {
        body.push(whisker(x, sy(p.lower), sy(p.upper), s.color));
      }
      if (s.points.length <= 12) {
        body.push(
          `<circle cx="${x.toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`,
        );
      }
    }
  }
  return frame(
    o,
    l,
    yr,
    body.join("\n"),
    o.series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed ?? false })),
  );
}

function whisker(x: number, yLow: number, yHigh: number, color: string): string {
  const a = yLow.toFixed(1);
  const b = yHigh.toFixed(1);
  const x0 = (x - 4).toFixed(1);
  const x1 = (x + 4).toFixed(1);
  const xc = x.toFixed(1);
  return `<path d="M${xc},${a}L${xc},${b}M${x0},${a}L${x1},${a}M${x0},${b}L${x1},${b}" ` +
    `stroke="${color}" stroke-width="1.3" fill="none"/>`;
}

/** A bar with an optional CI whisker. */
export interface BarValue {
  /** Height. */
  y: number;
  /** Lower end of the whisker. */
  lower?: number | null;
  /** Upper end of the whisker. */
  upper?: number | null;
}

/** One series of a grouped bar chart: one bar per category (`null`: none). */
export interface BarSeries {
  /** Legend text. */
  name: string;
  /** Fill colour. */
  color: string;
  /** One value per category. */
  values: (BarValue | null)[];
}

/** Options of {@linkcode barChart}. */
export interface BarChartOptions extends ChartFrame {
  /** Category labels along the horizontal axis. */
  categories: string[];
  /** Series (bars side by side within a category). */
  series: BarSeries[];
  /** Horizontal axis label. @default {""} */
  xLabel?: string;
}

/**
 * A grouped bar chart with CI whiskers (dark lines), a dotted reference line and a legend.
 * @returns An `<svg>` element.
 */
export function barChart(o: BarChartOptions): string {
  const l = layout(o, legendWidth([...o.series.map((s) => s.name), o.reference?.label ?? ""]));
  const ys = o.series.flatMap((s) =>
    s.values.flatMap((v) => v === null ? [] : [v.y, v.lower, v.upper]).filter((v): v is number =>
      typeof v === "number"
    )
  );
  if (o.reference) ys.push(o.reference.y);
  const yr = yRange(ys, o, true);
  const sy = (v: number) =>
    l.bottom - (Math.min(Math.max(v, yr[0]), yr[1]) - yr[0]) / (yr[1] - yr[0]) * (l.bottom - l.top);
  const n = Math.max(1, o.categories.length);
  const groupWidth = (l.right - l.left) / n;
  const barWidth = groupWidth * 0.8 / Math.max(1, o.series.length);
  const body: string[] = [];
  o.categories.forEach((cat, i) => {
    const gx = l.left + i * groupWidth;
    body.push(
      `<text x="${(gx + groupWidth / 2).toFixed(1)}" y="${l.bottom + 16}" text-anchor="middle">${
        escapeXml(cat)
      }</text>`,
    );
    o.series.forEach((s, k) => {
      const v = s.values[i];
      if (!v || !Number.isFinite(v.y)) return;
      const x = gx + groupWidth * 0.1 + k * barWidth;
      const top = sy(Math.max(v.y, yr[0]));
      const base = sy(Math.max(0, yr[0]));
      body.push(
        `<rect x="${x.toFixed(1)}" y="${Math.min(top, base).toFixed(1)}" width="${
          Math.max(1, barWidth - 2).toFixed(1)
        }" height="${Math.abs(base - top).toFixed(1)}" fill="${s.color}"><title>${
          escapeXml(`${s.name}, ${cat}: ${v.y.toFixed(2)}`)
        }</title></rect>`,
      );
      if (typeof v.lower === "number" && typeof v.upper === "number") {
        body.push(whisker(x + (barWidth - 2) / 2, sy(v.lower), sy(v.upper), "#222"));
      }
    });
  });
  if (o.xLabel) {
    body.push(
      `<text x="${(l.left + l.right) / 2}" y="${l.height - 8}" text-anchor="middle">${
        escapeXml(o.xLabel)
      }</text>`,
    );
  }
  return frame(o, l, yr, body.join("\n"), o.series.map((s) => ({ ...s, box: true })));
}
