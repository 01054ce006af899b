/**
 * Convergence of a bench's cells, from each cell's `train.json`: the epoch(s) model selection
 * kept against the epochs run, whether early stopping ended training, the consistency weight
 * `w(t)` at the selected epoch for ramped methods, and a warning when a selected epoch is the
 * last epoch run (the model may still have been improving when the budget ran out).
 *
 * Epochs are counted in the evaluated (last) stage of a method, where the selected epochs are
 * (for `supervised-gan-aug`, the segmentor stage after the GAN stage).
 * @module
 */
import type { CellResult } from "./data.ts";
import { escapeXml } from "./_svg.ts";

/** How a cell's training ended and which epochs were selected. */
export interface CellConvergence {
  /** Cell name (`<method>_f<fraction>_s<seed>`). */
  cell: string;
  /** Method name. */
  method: string;
  /** Epochs run in the evaluated (last) stage (`null`: no `train.json`). */
  epochs: number | null;
  /** The last stage's name when the method has several stages, else `null`. */
  stage: string | null;
  /** The selected `S(x)` epoch (`null`: no `train.json`). */
  bestEpoch: number | null;
  /** The selected `S(G(x))` epoch (methods with a generator), else `null`. */
  sgeBestEpoch: number | null;
  /** Whether early stopping ended training (`null`: no `train.json`). */
  stoppedEarly: boolean | null;
  /** Whether the run had validation to select by (without it the last epoch is kept). */
  validated: boolean;
  /**
   * Whether the unlabeled weight was ramped: selection started after epoch 1
   * (`selectFromEpoch`), or `w(t)` differs between the epochs of the history.
   */
  ramped: boolean;
  /** The first epoch selection considered (`null`: not recorded). */
  selectFromEpoch: number | null;
  /** `w(t)` at the selected `S(x)` epoch, for ramped methods (else `null`). */
  consistencyWeight: number | null;
  /** `w(t)` at the selected `S(G(x))` epoch, for ramped methods with a generator. */
  sgeConsistencyWeight: number | null;
  /** `w(t)` at the last epoch of the history, for ramped methods (`null`: not recorded). */
  finalConsistencyWeight: number | null;
  /** One line: the selected epoch(s) against the epochs run, how training ended, `w(t)`. */
  note: string;
  /** Warnings, e.g. a selected epoch that is the last epoch run. */
  warnings: string[];
}

function finite(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function weight(v: number): string {
  return Number(v.toPrecision(3)).toString();
}

/**
 * The convergence of one finished cell from its `train.json` and history (see the module
 * documentation). Pure: reads only the {@linkcode CellResult}.
 */
export function cellConvergence(c: CellResult): CellConvergence {
  const base = { cell: c.cell.name, method: c.cell.method };
  const t = c.train;
  if (t === null) {
    return {
      ...base,
      epochs: null,
      stage: null,
      bestEpoch: null,
      sgeBestEpoch: null,
      stoppedEarly: null,
      validated: false,
      ramped: false,
      selectFromEpoch: null,
      consistencyWeight: null,
      sgeConsistencyWeight: null,
      finalConsistencyWeight: null,
      note: "no train.json: convergence unknown",
      warnings: [],
    };
  }
  const stages = t.stages ?? [];
  const last = stages.length > 1 ? stages[stages.length - 1]! : null;
  const epochs = last ? last.epochs : t.epochs;
  const sgeBestEpoch = t.sge ? t.sge.bestEpoch : null;
  // train.json stores NaN (no validation) as null.
  const validated = finite(t.bestValidationLoss);
  const weights = c.history.map((e) => e.consistencyWeight).filter(finite);
  const selectFromEpoch = finite(t.selectFromEpoch) ? t.selectFromEpoch : null;
  const ramped = (selectFromEpoch ?? 1) > 1 || weights.some((w) => w !== weights[0]);
  const consistencyWeight = ramped && finite(t.consistencyWeight) ? t.consistencyWeight : null;
  const sgeConsistencyWeight = ramped && t.sge && finite(t.sge.consistencyWeight)
    ? t.sge.consistencyWeight
    : null;
  const finalConsistencyWeight = ramped && weights.length > 0 ? weights[weights.length - 1]! : null;

  const parts = [
    `selected epoch ${t.bestEpoch} of ${epochs}${last ? ` (stage ${last.name})` : ""}` +
    (sgeBestEpoch !== null ? `, SGE epoch ${sgeBestEpoch}` : ""),
    !validated
      ? "no validation: the last epoch is kept"
      : t.stoppedEarly
      ? "stopped early"
      : "ran its full budget",
  ];
  if (ramped) {
    const w = [
      consistencyWeight !== null ? `w(t) ${weight(consistencyWeight)} at the selected epoch` : "",
      sgeConsistencyWeight !== null ? `${weight(sgeConsistencyWeight)} at the SGE epoch` : "",
      finalConsistencyWeight !== null ? `${weight(finalConsistencyWeight)} at the last` : "",
    ].filter((x) => x !== "");
    if (w.length > 0) parts.push(w.join(", "));
    if (selectFromEpoch !== null && selectFromEpoch > 1) {
      parts.push(`selection from epoch ${selectFromEpoch}`);
    }
  }
  const warnings: string[] = [];
  if (validated) {
    const atEnd = [
      t.bestEpoch === epochs ? "S(x)" : "",
      sgeBestEpoch === epochs ? "S(G(x))" : "",
    ].filter((x) => x !== "");
    if (atEnd.length > 0) {
      warnings.push(
        `${c.cell.name}: the ${atEnd.join(" and ")} model${
          atEnd.length > 1 ? "s were" : " was"
        } selected at the last epoch run (${epochs}): it may still have been improving`,
      );
    }
  }
  return {
    ...base,
    epochs,
    stage: last ? last.name : null,
    bestEpoch: t.bestEpoch,
    sgeBestEpoch,
    stoppedEarly: t.stoppedEarly,
    validated,
    ramped,
    selectFromEpoch,
    consistencyWeight,
    sgeConsistencyWeight,
    finalConsistencyWeight,
    note: parts.join("; "),
    warnings,
  };
}

const INTRO = "Per cell, from its train.json: the epoch model selection kept (lowest validation " +
  "Dice loss; S(x) and, with a generator, S(G(x))) against the epochs run, how training ended, " +
  "and for ramped methods the consistency weight w(t) at the selected epoch.";

/** The cells' convergence as a Markdown section (heading, one line per cell, warnings). */
export function convergenceToMarkdown(items: readonly CellConvergence[]): string {
  const warnings = items.flatMap((c) => c.warnings);
  const lines = ["## Convergence", "", INTRO, ""];
  for (const c of items) lines.push(`- ${c.cell}: ${c.note}`);
  lines.push("");
  if (warnings.length > 0) {
    lines.push(`**Warning** (${warnings.length}):`, "");
    for (const w of warnings) lines.push(`- ${w}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** The cells' convergence as an HTML section (for `report.html`). */
export function convergenceToHtml(items: readonly CellConvergence[]): string {
  const warnings = items.flatMap((c) => c.warnings);
  const rows = items.map((c) =>
    `<tr${c.warnings.length > 0 ? ' class="warn"' : ""}><td class="label">${
      escapeXml(c.cell)
    }</td><td class="label">${escapeXml(c.note)}</td></tr>`
  ).join("\n");
  const warn = warnings.length > 0
    ? `<div class="note"><b>Warning</b><ul>${
      warnings.map((w) => `<li>${escapeXml(w)}</li>`).join("")
    }</ul></div>\n`
    : "";
  return `<h2 id="convergence">Convergence</h2>\n<p class="muted">${escapeXml(INTRO)}</p>\n` +
    `${warn}<table class="t"><tr><th>cell</th><th>convergence</th></tr>\n${rows}</table>`;
}
