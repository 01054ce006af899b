import assert from "node:assert/strict";
import { meanCI } from "../../metrics/mean_ci.ts";
import { summarizeClassScores } from "../../metrics/summarize_class_scores.ts";

Deno.test("summarizeClassScores() gives per-class t intervals over the items where a class applies", () => {
  const rows = [
    [0.8, NaN, 0.5],
    [0.6, 0.4, 0.5],
    [0.7, 0.6, NaN],
    [0.9, 0.5, 0.7],
  ];
  const s = summarizeClassScores([1, 2, 3], rows);
  assert.deepEqual(s.classes, [1, 2, 3]);
  assert.deepEqual(s.perClass[0], meanCI([0.8, 0.6, 0.7, 0.9]));
  assert.deepEqual(s.perClass[1], meanCI([0.4, 0.6, 0.5]));
  assert.deepEqual(s.perClass[2], meanCI([0.5, 0.5, 0.7]));
  // Overall: item means 0.65, 0.5, 0.65, 0.7 (summed in the same order).
  assert.deepEqual(
    s.overall,
    meanCI([(0.8 + 0.5) / 2, (0.6 + 0.4 + 0.5) / 3, (0.7 + 0.6) / 2, (0.9 + 0.5 + 0.7) / 3]),
  );
  assert.equal(s.overall.n, 4);
});

Deno.test("summarizeClassScores() reports n < 2 with NaN bounds and supports the bootstrap", () => {
  const s = summarizeClassScores([1, 2], [[0.5, NaN], [0.7, 0.9]]);
  assert.equal(s.perClass[1]!.n, 1);
  assert.equal(s.perClass[1]!.mean, 0.9);
  assert.ok(Number.isNaN(s.perClass[1]!.lower) && Number.isNaN(s.perClass[1]!.sd));
  const none = summarizeClassScores([1], [[NaN], [NaN]]);
  assert.equal(none.perClass[0]!.n, 0);
  assert.ok(Number.isNaN(none.overall.mean));
  const b = summarizeClassScores([1], [[0.1], [0.4], [0.3], [0.9]], {
    method: "bootstrap",
    seed: 5,
    resamples: 2000,
  });
  assert.deepEqual(
    b.perClass[0],
    meanCI([0.1, 0.4, 0.3, 0.9], { method: "bootstrap", seed: 5, resamples: 2000 }),
  );
});

Deno.test("summarizeClassScores() rejects ragged rows and infinite scores", () => {
  assert.throws(() => summarizeClassScores([1, 2], [[0.5]]), /row 0 has 1 scores for 2 classes/);
  assert.throws(() => summarizeClassScores([1], [[1], [Infinity]]), /not finite/);
});
