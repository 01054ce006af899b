/**
 * The bench's findings (`buildFindings`) as text for the terminal, a Markdown section for
 * `tables.md` and an HTML section (with its CSS) for `report.html`.
 * @module
 */
import { formatP } from "./format.ts";
import {
  CLAIMS,
  countSeedAgreement,
  countVerdicts,
  type Finding,
  type Verdict,
  VERDICT_RULES,
} from "./findings.ts";
import { escapeXml } from "./_svg.ts";

function signed(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "–";
  return `${v >= 0 ? "+" : ""}${v.toFixed(2)}`;
}

/** The measured difference as text: `"+1.23 (+0.40, +2.06)"`, or `"–"`. */
export function formatFinding(f: Finding): string {
  if (f.difference === null) return "–";
  return `${signed(f.difference)} (${signed(f.lower)}, ${signed(f.upper)})`;
}

/**
 * The difference for each training seed alone: `"+1.20, +0.80, −0.30 (seeds 0, 1, 2)"`, or
 * `"–"` when not measured.
 */
export function formatSeedDifferences(f: Finding): string {
  if (f.seedDifferences.length === 0) return "–";
  const s = f.seeds.length === 1 ? "seed" : "seeds";
  return `${f.seedDifferences.map(signed).join(", ")} (${s} ${f.seeds.join(", ")})`;
}

/**
 * The verdict, with the seeds that agree when not all do: `"holds"`, `"holds, 2 of 3 seeds"`.
 */
export function formatVerdict(f: Finding): string {
  const n = f.seedDifferences.length;
  return f.seedsAgreeing !== null && f.seedsAgreeing < n
    ? `${f.verdict}, ${f.seedsAgreeing} of ${n} seeds`
    : f.verdict;
}

/**
 * The count of verdicts, with how many of the significant ones every seed repeats:
 * `"12 hold (5 in every seed), 1 not significant, 6 contradicted (2 in every seed), 0 not
 * measured"`.
 */
export function formatVerdictCounts(findings: readonly Finding[]): string {
  const c = countVerdicts(findings);
  const a = countSeedAgreement(findings);
  const multi = findings.some((f) => f.seedDifferences.length > 1);
  const every = (k: number) => (multi ? ` (${k} in every seed)` : "");
  return `${c.holds} hold${every(a.holds)}, ${c["not significant"]} not significant, ` +
    `${c.contradicted} contradicted${every(a.contradicted)}, ${c["not measured"]} not measured`;
}

/** `"n = 640 test images"`, or `""` when not measured. */
function nText(f: Finding): string {
  return f.unit === null ? "" : `${f.n} ${f.split} ${f.unit}s`;
}

/**
 * The findings as plain text for the terminal: a count of verdicts, then one line per finding
 * (`(a) holds: <comparison>: +1.23 (+0.40, +2.06), p=0.004, 640 test images`).
 */
export function findingsToText(findings: readonly Finding[]): string {
  const lines = [`Findings (the paper's claims): ${formatVerdictCounts(findings)}`];
  for (const f of findings) {
    const measure = f.verdict === "not measured"
      ? f.note
      : `${formatFinding(f)} points${f.p !== null ? `, ${formatP(f.p)}` : ""}, ${nText(f)}${
        f.seedDifferences.length > 1 ? `; per seed ${formatSeedDifferences(f)}` : ""
      }`;
    lines.push(`  (${f.claim}) ${formatVerdict(f)}: ${f.statement}: ${measure}`);
  }
  return lines.join("\n");
}

/** The findings as a Markdown section (heading, table, rules). */
export function findingsToMarkdown(findings: readonly Finding[]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    "## Findings: the paper's claims on this grid",
    "",
    `${formatVerdictCounts(findings)}.`,
    "",
    "| Claim | Comparison | Difference (points, 95% CI) | p | n | Per seed | Verdict | Note |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of findings) {
    lines.push(
      `| (${f.claim}) | ${esc(f.statement)} | ${formatFinding(f)} | ${formatP(f.p) || "–"} | ${
        nText(f) || "–"
      } | ${formatSeedDifferences(f)} | **${formatVerdict(f)}** | ${esc(f.note)} |`,
    );
  }
  lines.push("");
  for (const [k, v] of Object.entries(CLAIMS)) lines.push(`- (${k}) ${v}.`);
  for (const r of VERDICT_RULES) lines.push(`- ${r}`);
  return lines.join("\n") + "\n";
}

const VERDICT_CLASS: Readonly<Record<Verdict, string>> = {
  "holds": "v-holds",
  "not significant": "v-ns",
  "contradicted": "v-contra",
  "not measured": "v-na",
};

/** CSS of the findings section (for report.html). */
export const FINDINGS_CSS = `
table.t td.v-holds { background: #e3f4e3; font-weight: bold; }
table.t td.v-ns { background: #f4f4f4; }
table.t td.v-contra { background: #fbe3e3; font-weight: bold; }
table.t td.v-na { color: #888; }
`;

/** The findings as an HTML section (for report.html). */
export function findingsToHtml(findings: readonly Finding[]): string {
  const rows = findings.map((f) =>
    `<tr><td>(${f.claim})</td><td class="label">${escapeXml(f.statement)}</td>` +
    `<td>${escapeXml(formatFinding(f))}</td><td>${escapeXml(formatP(f.p) || "–")}</td>` +
    `<td>${escapeXml(nText(f) || "–")}</td><td>${escapeXml(formatSeedDifferences(f))}</td>` +
    `<td class="${VERDICT_CLASS[f.verdict]}">${escapeXml(formatVerdict(f))}</td>` +
    `<td class="muted">${escapeXml(f.note)}</td></tr>`
  ).join("\n");
  const claims = Object.entries(CLAIMS).map(([k, v]) => `<li>(${k}) ${escapeXml(v)}</li>`)
    .join("");
  const rules = VERDICT_RULES.map((r) => `<li>${escapeXml(r)}</li>`).join("");
  return `<h2 id="findings">Findings: the paper's claims on this grid</h2>\n` +
    `<p>${escapeXml(formatVerdictCounts(findings))}.</p>\n` +
    '<table class="t"><tr><th>claim</th><th>comparison</th><th>difference (points, 95% CI)</th>' +
    `<th>p</th><th>n</th><th>per seed</th><th>verdict</th><th>note</th></tr>\n${rows}</table>\n` +
    `<ul class="muted">${claims}</ul><ul class="muted">${rules}</ul>`;
}
