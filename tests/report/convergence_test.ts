import assert from "node:assert/strict";
import {
  cellConvergence,
  convergenceToHtml,
  convergenceToMarkdown,
} from "../../report/convergence.ts";
import type { CellResult } from "../../report/data.ts";
import type { RunSummary } from "../../run/train_run.ts";
import type { EpochRecord } from "../../trainers/fit.ts";
import { assertWellFormed } from "./_xml.ts";

/** A finished cell with a hand-made train.json (only what the convergence reads). */
function cell(
  method: string,
  train: Partial<RunSummary> | null,
  weights: number[] = [],
): CellResult {
  return {
    cell: { index: 0, name: `${method}_f0.1_s0`, method, fraction: 0.1, seed: 0 },
    dir: "",
    metrics: {} as CellResult["metrics"],
    train: train === null ? null : {
      epochs: 20,
      bestEpoch: 12,
      bestValidationLoss: 0.3,
      consistencyWeight: null,
      selectFromEpoch: 1,
      sge: null,
      stoppedEarly: true,
      stages: [{ name: "train", epochs: train.epochs ?? 20 }],
      ...train,
    } as RunSummary,
    history: weights.map((w, i) => ({ epoch: i + 1, consistencyWeight: w }) as EpochRecord),
    scores: {},
  };
}

Deno.test("cellConvergence(): a run whose selected epoch is its last gets a warning", () => {
  const c = cellConvergence(cell("supervised", { epochs: 20, bestEpoch: 20, stoppedEarly: false }));
  assert.equal(c.note, "selected epoch 20 of 20; ran its full budget");
  assert.deepEqual(c.warnings, [
    "supervised_f0.1_s0: the S(x) model was selected at the last epoch run (20): it may still " +
    "have been improving",
  ]);
  assert.equal(c.ramped, false);
  assert.equal(c.consistencyWeight, null);
  const early = cellConvergence(cell("supervised", { epochs: 17, bestEpoch: 12 }));
  assert.equal(early.note, "selected epoch 12 of 17; stopped early");
  assert.deepEqual(early.warnings, []);
});

Deno.test("cellConvergence(): a ramped method shows w(t) at the selected and the last epoch", () => {
  const ramp = [0.01, 0.03, 0.06, 0.09, 0.1, 0.1, 0.1, 0.1];
  const c = cellConvergence(cell("mt", {
    epochs: 8,
    bestEpoch: 6,
    selectFromEpoch: 5,
    consistencyWeight: 0.1,
    stoppedEarly: false,
  }, ramp));
  assert.equal(c.ramped, true);
  assert.equal(c.consistencyWeight, 0.1);
  assert.equal(c.finalConsistencyWeight, 0.1);
  assert.equal(
    c.note,
    "selected epoch 6 of 8; ran its full budget; w(t) 0.1 at the selected epoch, 0.1 at the " +
      "last; selection from epoch 5",
  );
  // A ramp cut short (selection from epoch 1, weights still rising) is recognised by the history.
  const cut = cellConvergence(cell("uamt", {
    epochs: 4,
    bestEpoch: 3,
    consistencyWeight: 0.0612345,
  }, [0.01, 0.03, 0.0612345, 0.09]));
  assert.equal(cut.ramped, true);
  assert.match(cut.note, /w\(t\) 0\.0612 at the selected epoch, 0\.09 at the last$/);
  // A constant weight (GRN-SSL's λcus = 1) is not a ramp: no w(t) in the note.
  const ssl = cellConvergence(cell("grn-ssl", {
    epochs: 10,
    bestEpoch: 7,
    consistencyWeight: 1,
    sge: { bestEpoch: 9, bestValidationLoss: 0.2, consistencyWeight: 1, model: "m" },
  }, Array(10).fill(1)));
  assert.equal(ssl.ramped, false);
  assert.equal(ssl.note, "selected epoch 7 of 10, SGE epoch 9; stopped early");
});

Deno.test("cellConvergence(): the SGE epoch, stages and runs without validation", () => {
  const sge = cellConvergence(cell("grn-sel", {
    epochs: 10,
    bestEpoch: 7,
    stoppedEarly: false,
    sge: { bestEpoch: 10, bestValidationLoss: 0.2, consistencyWeight: null, model: "m" },
  }));
  assert.equal(sge.sgeBestEpoch, 10);
  assert.deepEqual(sge.warnings, [
    "grn-sel_f0.1_s0: the S(G(x)) model was selected at the last epoch run (10): it may still " +
    "have been improving",
  ]);
  const both = cellConvergence(cell("grn-sel", {
    epochs: 10,
    bestEpoch: 10,
    stoppedEarly: false,
    sge: { bestEpoch: 10, bestValidationLoss: 0.2, consistencyWeight: null, model: "m" },
  }));
  assert.match(both.warnings[0]!, /the S\(x\) and S\(G\(x\)\) models were selected at the last/);
  // Two stages: epochs count in the evaluated (last) stage, where bestEpoch is.
  const gan = cellConvergence(cell("supervised-gan-aug", {
    epochs: 15,
    bestEpoch: 10,
    stoppedEarly: false,
    stages: [{ name: "gan", epochs: 5 }, { name: "segmentor", epochs: 10 }],
  }));
  assert.equal(gan.epochs, 10);
  assert.equal(gan.stage, "segmentor");
  assert.equal(gan.note, "selected epoch 10 of 10 (stage segmentor); ran its full budget");
  assert.equal(gan.warnings.length, 1);
  // Without validation (train.json stores the NaN loss as null) the last epoch is kept: no
  // warning.
  const noVal = cellConvergence(cell("supervised", {
    epochs: 5,
    bestEpoch: 5,
    bestValidationLoss: null as unknown as number,
    stoppedEarly: false,
  }));
  assert.equal(noVal.validated, false);
  assert.equal(noVal.note, "selected epoch 5 of 5; no validation: the last epoch is kept");
  assert.deepEqual(noVal.warnings, []);
  const none = cellConvergence(cell("mt", null));
  assert.equal(none.note, "no train.json: convergence unknown");
  assert.equal(none.bestEpoch, null);
});

Deno.test("convergenceToMarkdown() and convergenceToHtml(): a line per cell and the warnings", () => {
  const items = [
    cellConvergence(cell("supervised", { epochs: 20, bestEpoch: 20, stoppedEarly: false })),
    cellConvergence(cell("mt", { epochs: 17, bestEpoch: 12 })),
  ];
  const md = convergenceToMarkdown(items);
  assert.match(md, /^## Convergence\n/);
  assert.match(md, /\n- supervised_f0\.1_s0: selected epoch 20 of 20; ran its full budget\n/);
  assert.match(md, /\n- mt_f0\.1_s0: selected epoch 12 of 17; stopped early\n/);
  assert.match(
    md,
    /\*\*Warning\*\* \(1\):\n\n- supervised_f0\.1_s0: the S\(x\) model was selected/,
  );
  assert.doesNotMatch(convergenceToMarkdown(items.slice(1)), /Warning/);
  const html = convergenceToHtml(items);
  assertWellFormed(html, true);
  assert.match(html, /<h2 id="convergence">Convergence<\/h2>/);
  assert.match(html, /<tr class="warn"><td class="label">supervised_f0\.1_s0<\/td>/);
  assert.match(html, /<tr><td class="label">mt_f0\.1_s0<\/td>/);
  assert.match(html, /<b>Warning<\/b><ul><li>supervised_f0\.1_s0: the S\(x\) model/);
});
