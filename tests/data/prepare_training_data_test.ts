/**
 * `prepareTrainingData` gives the same split, slices and batches as the inline pipelines it
 * replaced (`grn train`, `bench/phantom_calibration.ts`, `bench/sge_diagnosis.ts`), computed here
 * with the primitives directly.
 * @module
 */
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { BatchStream, disposeBatch } from "../../data/batches.ts";
import { prepareTrainingData } from "../../data/prepare_training_data.ts";
import type { ScanRecord } from "../../data/scan.ts";
import type { SliceSet } from "../../data/slices.ts";
import { extractSlices } from "../../data/slices_extract.ts";
import { splitParticipants } from "../../data/splits.ts";
import { chooseLabeled } from "../../data/splits_labeled.ts";
import { layeredScan } from "./_volumes.ts";

await initEngine({ backend: "cpu", log: () => {} });

/** 12 participants with one or two labeled scans of two widths. */
function cohort(): ScanRecord[] {
  const scans: ScanRecord[] = [];
  for (let p = 0; p < 12; p++) {
    const participant = `P${String(p).padStart(2, "0")}`;
    scans.push(layeredScan(`${participant}-a`, participant, [6, 5, 14]));
    if (p % 3 === 0) scans.push(layeredScan(`${participant}-b`, participant, [7, 4, 14]));
  }
  return scans;
}

/** The bytes of the first `count` shuffled batches of `stream`, labels included. */
function firstBatches(stream: BatchStream, count: number, batchSize: number): number[][] {
  const out: number[][] = [];
  for (let k = 0; k < count; k++) {
    const b = stream.next(batchSize);
    out.push(Array.from(b.images.dataSync()));
    if (b.labels) out.push(Array.from(b.labels.dataSync()));
    out.push(b.indices);
    disposeBatch(b);
  }
  return out;
}

/** The bytes of one pass of `stream` in stored order (validation). */
function onePass(stream: BatchStream, batchSize: number): number[][] {
  const out: number[][] = [];
  for (const b of stream.batches(batchSize)) {
    out.push(Array.from(b.images.dataSync()));
    if (b.labels) out.push(Array.from(b.labels.dataSync()));
    disposeBatch(b);
  }
  return out;
}

function assertSameSet(actual: SliceSet | null, expected: SliceSet | null): void {
  assert.equal(actual === null, expected === null);
  if (!actual || !expected) return;
  assert.deepEqual(actual.info, expected.info);
  assert.deepEqual(actual.images, expected.images);
  assert.deepEqual(actual.labels, expected.labels);
}

Deno.test("prepareTrainingData gives grn train's split, slices, streams and split.json", () => {
  const scans = cohort();
  const splitSeed = 3, seed = 11, fraction = 0.3;
  const sliceOptions = {
    inputSize: [16, 8] as [number, number],
    directions: ["sagittal", "coronal"] as ("coronal" | "sagittal")[],
    every: 2,
    fit: "pad" as const,
  };
  // The inline pipeline of the old cli/core/train_run.ts (now run/train_run.ts) before prepareTrainingData.
  const split = splitParticipants(scans, { seed: splitSeed, test: 0.2, validation: 2 });
  const choice = chooseLabeled(split.train, {
    fraction,
    seed: splitSeed,
    slices: { directions: sliceOptions.directions, every: sliceOptions.every },
  });
  const labeledSlices = extractSlices(choice.labeled, { ...sliceOptions, labels: "require" });
  const unlabeledSlices = extractSlices(choice.unlabeled, { ...sliceOptions, labels: "drop" });
  const validationScans = split.validation.filter((s) => s.label !== undefined);
  const validationSlices = extractSlices(validationScans, { ...sliceOptions, labels: "require" });
  const expectedRecord = {
    seed: splitSeed,
    participants: split.participants,
    scans: {
      train: split.train.map((s) => s.id),
      validation: split.validation.map((s) => s.id),
      test: split.test.map((s) => s.id),
      labeled: choice.labeled.map((s) => s.id),
      unlabeled: choice.unlabeled.map((s) => s.id),
    },
    labeledParticipants: choice.labeledParticipants,
    unlabeledParticipants: choice.unlabeledParticipants,
    participantFraction: choice.participantFraction,
    sliceFraction: choice.sliceFraction,
    slices: {
      labeled: labeledSlices.size,
      unlabeled: unlabeledSlices.size,
      validation: validationSlices.size,
    },
    unlabeledSource: "pool",
  };

  const data = prepareTrainingData(scans, {
    splitSeed,
    streamSeed: seed,
    test: 0.2,
    validation: 2,
    labeledFraction: fraction,
    unlabeled: true,
    slices: sliceOptions,
  });
  assert.deepEqual(data.split, split);
  assert.deepEqual(data.choice, choice);
  assert.equal(data.unlabeledSource, "pool");
  // Byte for byte what split.json held, keys in the same order.
  assert.equal(JSON.stringify(data.record), JSON.stringify(expectedRecord));
  assertSameSet(data.slices.labeled, labeledSlices);
  assertSameSet(data.slices.unlabeled, unlabeledSlices);
  assertSameSet(data.slices.validation, validationSlices);
  assert.ok(data.record.slices.unlabeled > 0 && data.record.slices.validation > 0);

  const labeled = new BatchStream(labeledSlices, { seed, name: "labeled" });
  const unlabeled = new BatchStream(unlabeledSlices, { seed, name: "unlabeled" });
  const validation = new BatchStream(validationSlices, { seed, name: "validation" });
  // More batches than a pass, so that the reshuffle of the next pass is compared too.
  const passes = Math.ceil((2 * labeledSlices.size) / 3);
  assert.deepEqual(firstBatches(data.streams.labeled, passes, 3), firstBatches(labeled, passes, 3));
  assert.deepEqual(firstBatches(data.streams.unlabeled!, 4, 3), firstBatches(unlabeled, 4, 3));
  assert.deepEqual(firstBatches(data.streams.validation!, 2, 3), firstBatches(validation, 2, 3));
  assert.deepEqual(onePass(data.streams.validation!, 4), onePass(validation, 4));
  // The streams are seeded with streamSeed, not the split seed.
  const other = prepareTrainingData(scans, {
    splitSeed,
    test: 0.2,
    validation: 2,
    labeledFraction: fraction,
    slices: sliceOptions,
  });
  assert.notDeepEqual(
    firstBatches(other.streams.labeled, 1, 3),
    firstBatches(new BatchStream(labeledSlices, { seed, name: "labeled" }), 1, 3),
  );
});

Deno.test("prepareTrainingData falls back to the labeled images when no participant is unlabeled", () => {
  const scans = cohort();
  const sliceOptions = { inputSize: [16, 16] as [number, number], every: 3 };
  const data = prepareTrainingData(scans, {
    splitSeed: 5,
    streamSeed: 6,
    test: 2,
    validation: 1,
    labeledFraction: 1,
    unlabeled: true,
    slices: sliceOptions,
  });
  assert.equal(data.unlabeledSource, "labeled-images");
  assert.equal(data.record.unlabeledSource, "labeled-images");
  assert.deepEqual(data.record.scans.unlabeled, []);
  assert.equal(data.slices.unlabeled!.hasLabels, false);
  assert.equal(data.record.slices.unlabeled, data.record.slices.labeled);
  // As train_run.ts built it: the labeled slices without labels, stream "unlabeled".
  const split = splitParticipants(scans, { seed: 5, test: 2, validation: 1 });
  const labeledSlices = extractSlices(split.train, { ...sliceOptions, labels: "require" });
  const expected = new BatchStream(labeledSlices.withoutLabels(), { seed: 6, name: "unlabeled" });
  const batches = firstBatches(data.streams.unlabeled!, 3, 4);
  assert.equal(batches.length, 3 * 2); // images and indices: no labels
  assert.deepEqual(batches, firstBatches(expected, 3, 4));
});

Deno.test("prepareTrainingData gives phantom_calibration's training and validation streams", () => {
  const scans = cohort();
  const seed = 2, inputSize: [number, number] = [16, 8], every = 2, valEvery = 3;
  // The inline pipeline of bench/phantom_calibration.ts: all training labels, default
  // directions, validation thinned with its own step.
  const split = splitParticipants(scans, { seed, test: 3, validation: 2 });
  const trainSlices = extractSlices(split.train, { inputSize, every, labels: "require" });
  const validationSlices = extractSlices(split.validation, {
    inputSize,
    every: valEvery,
    labels: "require",
  });
  const data = prepareTrainingData(scans, {
    splitSeed: seed,
    test: 3,
    validation: 2,
    slices: { inputSize, every, validationEvery: valEvery },
  });
  assert.deepEqual(data.split, split);
  assertSameSet(data.slices.labeled, trainSlices);
  assertSameSet(data.slices.validation, validationSlices);
  assert.equal(data.slices.unlabeled, null);
  assert.equal(data.streams.unlabeled, undefined);
  assert.equal(data.unlabeledSource, "none");
  assert.equal(data.record.slices.unlabeled, 0);
  assert.notEqual(
    validationSlices.size,
    extractSlices(split.validation, { inputSize, every }).size,
  );
  const labeled = new BatchStream(trainSlices, { seed, name: "labeled" });
  const validation = new BatchStream(validationSlices, { seed, name: "validation" });
  assert.deepEqual(firstBatches(data.streams.labeled, 5, 8), firstBatches(labeled, 5, 8));
  assert.deepEqual(onePass(data.streams.validation!, 8), onePass(validation, 8));
});

Deno.test("prepareTrainingData gives sge_diagnosis's labeled, unlabeled and validation streams", () => {
  const scans = cohort();
  const seed = 4, fraction = 0.25, every = 2;
  const inputSize: [number, number] = [16, 8];
  const directions = ["coronal", "sagittal"] as const;
  // The inline pipeline of bench/sge_diagnosis.ts: validation sliced with every 1.
  const split = splitParticipants(scans, { seed, test: 3, validation: 1 });
  const choice = chooseLabeled(split.train, {
    fraction,
    seed,
    slices: { directions: [...directions], every },
  });
  const slice = (list: readonly ScanRecord[], n: number, labels: "require" | "drop") =>
    extractSlices(list, { inputSize, directions: [...directions], every: n, labels });
  const labeled = new BatchStream(slice(choice.labeled, every, "require"), {
    seed,
    name: "labeled",
  });
  const unlabeled = new BatchStream(slice(choice.unlabeled, every, "drop"), {
    seed,
    name: "unlabeled",
  });
  const validation = new BatchStream(slice(split.validation, 1, "require"), {
    seed,
    name: "validation",
  });
  const data = prepareTrainingData(scans, {
    splitSeed: seed,
    test: 3,
    validation: 1,
    labeledFraction: fraction,
    unlabeled: true,
    slices: { inputSize, directions: [...directions], every, validationEvery: 1 },
  });
  assert.deepEqual(data.choice, choice);
  assert.deepEqual(firstBatches(data.streams.labeled, 4, 4), firstBatches(labeled, 4, 4));
  assert.deepEqual(firstBatches(data.streams.unlabeled!, 4, 4), firstBatches(unlabeled, 4, 4));
  assert.deepEqual(onePass(data.streams.validation!, 16), onePass(validation, 16));
});

Deno.test("prepareTrainingData leaves unlabeled validation scans out and builds no empty stream", () => {
  const scans = cohort();
  const split = splitParticipants(scans, { seed: 1, test: 1, validation: 2 });
  const unlabeledIds = new Set(split.validation.map((s) => s.id));
  const withHoles = scans.map((s) => unlabeledIds.has(s.id) ? { ...s, label: undefined } : s);
  const data = prepareTrainingData(withHoles, {
    splitSeed: 1,
    test: 1,
    validation: 2,
    slices: { inputSize: [16, 16] },
  });
  assert.equal(data.slices.validation, null);
  assert.equal(data.streams.validation, undefined);
  assert.equal(data.record.slices.validation, 0);
  assert.deepEqual(data.record.scans.validation, [...unlabeledIds]);
  // Without validation participants there is no validation stream either.
  const none = prepareTrainingData(scans, { splitSeed: 1, slices: { inputSize: [16, 16] } });
  assert.equal(none.streams.validation, undefined);
  assert.equal(none.split.train.length, scans.length);
});

Deno.test("prepareTrainingData reports invalid options with the primitives' messages", () => {
  const scans = cohort();
  assert.throws(
    () =>
      prepareTrainingData(scans, {
        splitSeed: 0,
        labeledFraction: 0,
        slices: { inputSize: [8, 8] },
      }),
    /Cannot choose labeled scans: fraction must be in \(0, 1\] \(got 0\)/,
  );
  assert.throws(
    () =>
      prepareTrainingData(scans, {
        splitSeed: 0,
        test: 6,
        validation: 6,
        slices: { inputSize: [8, 8] },
      }),
    /Cannot split participants: .*leave no training participant/,
  );
  assert.throws(
    () => prepareTrainingData(scans, { splitSeed: 0, slices: { inputSize: [0, 8] } }),
    /Cannot extract slices: inputSize must be two positive integers/,
  );
});
