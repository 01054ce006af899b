/**
 * SGE diagnosis: why does segmentation-guided enhancement `S(G(x))` score below `S(x)` on the
 * phantom? Trains one GRN method on a dataset folder (the quick preset's phantom by default) with
 * validation after every epoch, and at every epoch scores, on the validation and test slices:
 *
 * - `plain`: `S(x)`;
 * - `sge`: `S(G(x))` with G in inference mode (batch-norm running statistics), as `grn eval`;
 * - `sgeBatchStats`: `S(G(x))` with G's batch norm on the statistics of the evaluated batch (as
 *   during training; pix2pix's test-time choice), running statistics restored afterwards;
 * - `sgeRecalibrated`: `S(G(x))` in inference mode after re-estimating G's running statistics
 *   with the current weights over `--recal-batches` training batches (tests whether the running
 *   averages lag behind the weights), restored afterwards;
 * - `l1`: mean `|G(x) - x|` (how far G moves the image; images in `[-1, 1]`).
 *
 * Dice is the mean foreground Dice of the argmax, pooled over the slices of a split
 * (`evaluateDice`). Training runs all `--epochs` (no early stopping) so the curves can be read
 * at every epoch; the epochs each path's validation loss would select are reported too.
 *
 * Usage:
 * ```
 * deno run --allow-read --allow-write --allow-env --allow-sys --allow-ffi \
 *   bench/sge_diagnosis.ts --dataset DIR [--method grn-sel] [--fraction 0.1] [--epochs 40] \
 *   [--iterations 25] [--size 128x32] [--every 4] [--test 5] [--validation 1] [--seed 0] \
 *   [--out curves.json]
 * ```
 * Progress goes to stderr (one JSON line per epoch); a summary table to stdout.
 * The findings and the command that produced them are in `docs/sge_diagnosis.md`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { BatchStream } from "../data/batches.ts";
import { loadDataset } from "../data/dataset_load.ts";
import { prepareTrainingData } from "../data/prepare_training_data.ts";
import { extractSlices } from "../data/slices_extract.ts";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { initEngine } from "../engine/init_engine.ts";
import { Rng } from "../engine/rng.ts";
import { evaluateDice } from "../trainers/fit.ts";
import type { GRN } from "../trainers/grn.ts";
import { createMethod } from "../trainers/method_registry.ts";
import { runMethodOptions } from "../run/_method_options.ts";

const { values } = parseArgs({
  options: {
    dataset: { type: "string" },
    method: { type: "string", default: "grn-sel" },
    fraction: { type: "string", default: "0.1" },
    epochs: { type: "string", default: "40" },
    iterations: { type: "string", default: "25" },
    size: { type: "string", default: "128x32" },
    every: { type: "string", default: "4" },
    test: { type: "string", default: "5" },
    validation: { type: "string", default: "1" },
    seed: { type: "string", default: "0" },
    "recal-batches": { type: "string", default: "50" },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help || values.dataset === undefined) {
  console.log(
    "deno run --allow-read --allow-write --allow-env --allow-sys --allow-ffi bench/sge_diagnosis.ts\n" +
      "  --dataset DIR [--method grn-sel] [--fraction 0.1] [--epochs 40] [--iterations 25]\n" +
      "  [--size 128x32] [--every 4] [--test 5] [--validation 1] [--seed 0]\n" +
      "  [--recal-batches 50] [--out curves.json]",
  );
  Deno.exit(values.help ? 0 : 2);
}

function fail(message: string): never {
  console.error(`sge_diagnosis: ${message}`);
  Deno.exit(2);
}

function number(flag: string, text: string, check: (v: number) => boolean, what: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || !check(v)) {
    fail(`Cannot parse --${flag}: expected ${what} (got ${JSON.stringify(text)})`);
  }
  return v;
}
const positive = (flag: string, text: string) =>
  number(flag, text, (v) => Number.isInteger(v) && v >= 1, "a positive integer");

const fraction = number("fraction", values.fraction, (v) => v > 0 && v <= 1, "a number in (0, 1]");
const epochs = positive("epochs", values.epochs);
const iterations = positive("iterations", values.iterations);
const every = positive("every", values.every);
const seed = number("seed", values.seed, Number.isInteger, "an integer");
const recalBatches = positive("recal-batches", values["recal-batches"]);
const sizeMatch = /^(\d+)x(\d+)$/.exec(values.size);
if (!sizeMatch) fail(`Cannot parse --size: expected HxW, e.g. 128x32 (got ${values.size})`);
const inputSize: [number, number] = [Number(sizeMatch[1]), Number(sizeMatch[2])];

await initEngine({ log: (line) => console.error(line) });
const { scans } = await loadDataset(values.dataset);
const directions = ["coronal", "sagittal"] as const;
const method = createMethod(
  values.method,
  runMethodOptions({
    numClasses: 7,
    width: 8,
    depth: 4,
    generatorWidth: 8,
    discriminatorWidth: 8,
    auxiliaryDiscriminatorWidth: 16,
  }, seed),
);
const trainer: GRN = method.trainer;
if (!trainer.generator) fail(`Cannot diagnose SGE: method ${values.method} has no generator`);
const generator = trainer.generator;
// Split, labeled subset, slices and streams as `grn train` makes them; every validation slice.
const prepared = prepareTrainingData(scans, {
  splitSeed: seed,
  test: Number(values.test),
  validation: Number(values.validation),
  labeledFraction: fraction,
  unlabeled: method.usesUnlabeled,
  slices: { inputSize, directions: [...directions], every, validationEvery: 1 },
});
const labeled = prepared.slices.labeled;
if (!prepared.streams.validation) {
  fail(`Cannot diagnose SGE: no labeled validation scan (got --validation ${values.validation})`);
}
const validationSource = prepared.streams.validation;
// Test slices: every second one.
const test = extractSlices(prepared.split.test, {
  inputSize,
  directions: [...directions],
  every: 2,
  labels: "require",
});
const testSource = new BatchStream(test, { seed, name: "test" });
const recalSource = new BatchStream(labeled, { seed: seed + 5, name: "recalibration" });
const bnRng = new Rng(seed + 7);

/** Runs `body` and puts G's batch-norm running statistics back as they were. */
function keepingRunningStats<T>(body: () => T): T {
  const state = trainer.namedState();
  const saved = new Map<string, tf.Tensor>();
  for (const [name, v] of state) {
    if (name.startsWith("G/") && /running/i.test(name)) saved.set(name, tf.keep(v.clone()));
  }
  try {
    return body();
  } finally {
    for (const [name, v] of saved) {
      state.get(name)!.assign(v);
      v.dispose();
    }
  }
}

/** Pooled foreground Dice of `S(G(x))` with G's batch norm on the evaluated batch's statistics. */
function batchStatsSge(source: BatchStream): number {
  return keepingRunningStats(() =>
    evaluateDice(
      {
        segmentor: trainer.segmentor,
        predict: (x) =>
          trainer.segmentor.apply(generator.apply(x, { training: true, rng: bnRng }), {
            training: false,
          }),
      },
      source,
      { batchSize: 16 },
    ).meanDice
  );
}

/** `S(G(x))` in inference mode after re-estimating G's running statistics on training batches. */
function recalibratedSge(source: BatchStream): number {
  return keepingRunningStats(() => {
    const position = recalSource.state();
    for (let k = 0; k < recalBatches; k++) {
      const batch = recalSource.next(4);
      tf.tidy(() => {
        generator.apply(batch.images, { training: true, rng: bnRng });
      });
      tf.dispose([batch.images, batch.labels!]);
    }
    recalSource.setState(position);
    return evaluateDice(trainer, source, { sge: true, batchSize: 16 }).meanDice;
  });
}

/** Mean `|G(x) - x|` with G in inference mode. */
function inferenceL1(source: BatchStream): number {
  let sum = 0, n = 0;
  for (const batch of source.batches(16)) {
    const d = tf.tidy(() =>
      tf.mean(tf.abs(tf.sub(generator.apply(batch.images, { training: false }), batch.images)))
    );
    sum += d.dataSync()[0]! * batch.images.shape[0];
    n += batch.images.shape[0];
    tf.dispose([d, batch.images, batch.labels!]);
  }
  return sum / n;
}

const rows: Record<string, number>[] = [];
await method.fit(prepared.streams, {
  batchSize: 4,
  maxEpochs: epochs,
  iterationsPerEpoch: iterations,
  patience: 0,
  restoreBest: false,
  progress: (e) => {
    if (e.kind !== "epoch") return;
    const plainVal = evaluateDice(trainer, validationSource, { sge: false, batchSize: 16 });
    const sgeVal = evaluateDice(trainer, validationSource, { sge: true, batchSize: 16 });
    const row = {
      epoch: e.epoch,
      validationPlainLoss: plainVal.diceLoss,
      validationSgeLoss: sgeVal.diceLoss,
      validationPlain: plainVal.meanDice,
      validationSge: sgeVal.meanDice,
      validationSgeRecalibrated: recalibratedSge(validationSource),
      testPlain: evaluateDice(trainer, testSource, { sge: false, batchSize: 16 }).meanDice,
      testSge: evaluateDice(trainer, testSource, { sge: true, batchSize: 16 }).meanDice,
      testSgeBatchStats: batchStatsSge(testSource),
      testSgeRecalibrated: recalibratedSge(testSource),
      l1Inference: inferenceL1(testSource),
    };
    rows.push(row);
    console.error(JSON.stringify(row));
  },
});
method.dispose();
if (values.out) await writeFileAtomic(values.out, JSON.stringify(rows, null, 1) + "\n");

const mean = (list: Record<string, number>[], key: string) =>
  (100 * list.reduce((s, r) => s + r[key]!, 0)) / list.length;
const columns = [
  "testPlain",
  "testSge",
  "testSgeBatchStats",
  "testSgeRecalibrated",
  "validationPlain",
  "validationSge",
  "l1Inference",
];
console.log(`| epochs | ${columns.join(" | ")} |`);
console.log(`| --- | ${columns.map(() => "---").join(" | ")} |`);
for (let from = 1; from <= epochs; from += 10) {
  const part = rows.filter((r) => r.epoch! >= from && r.epoch! < from + 10);
  if (part.length === 0) continue;
  console.log(
    `| ${from}-${from + part.length - 1} | ${
      columns.map((c) => mean(part, c).toFixed(1)).join(" | ")
    } |`,
  );
}
const best = (key: string) => rows.reduce((a, b) => (b[key]! < a[key]! ? b : a));
const byPlain = best("validationPlainLoss"), bySge = best("validationSgeLoss");
console.log(
  `\nselected on S(x): epoch ${byPlain.epoch}, test S(x) ${
    (100 * byPlain.testPlain!).toFixed(1)
  }, test S(G(x)) ${(100 * byPlain.testSge!).toFixed(1)}`,
);
console.log(
  `selected on S(G(x)): epoch ${bySge.epoch}, test S(G(x)) ${
    (100 * bySge.testSge!).toFixed(1)
  }, test S(x) ${(100 * bySge.testPlain!).toFixed(1)}`,
);
