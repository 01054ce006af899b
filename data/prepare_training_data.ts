/**
 * `prepareTrainingData`: the one pipeline from scans to training streams — participant split,
 * labeled subset, slices and seeded batch streams — shared by `grn train`, the bench and the
 * calibration scripts, so that the same seeds give the same data everywhere.
 *
 * @module
 */
import { BatchStream } from "./batches.ts";
import type { ScanRecord } from "./scan.ts";
import type { SliceSet } from "./slices.ts";
import { extractSlices, type SliceOptions } from "./slices_extract.ts";
import { type ParticipantSplit, splitParticipants } from "./splits.ts";
import { chooseLabeled, type LabeledChoice } from "./splits_labeled.ts";

/** Slicing of {@linkcode prepareTrainingData}: {@linkcode SliceOptions} without `labels`. */
export interface TrainingSliceOptions extends Omit<SliceOptions, "labels"> {
  /**
   * Keep every n-th slice of the validation scans (the training scans use `every`).
   * @default {every}
   */
  validationEvery?: number;
}

/** Options of {@linkcode prepareTrainingData}. */
export interface PrepareTrainingDataOptions {
  /**
   * Seed of the participant split and of the labeled subset: the same for every method, so
   * that results of different methods pair up image by image.
   */
  splitSeed: number;
  /** Seed of the batch streams' shuffling. @default {splitSeed} */
  streamSeed?: number;
  /**
   * Test participants: a fraction in `[0, 1)` of the participants or a count `>= 1` (see
   * `splitParticipants`). @default {0}
   */
  test?: number;
  /** Validation participants, as a fraction or a count like `test`. @default {0} */
  validation?: number;
  /**
   * Fraction of the eligible training participants (all of their scans labeled) that keep their
   * labels, in `(0, 1]` (see `chooseLabeled`). @default {1}
   */
  labeledFraction?: number;
  /** How the scans are sliced (input size `[height, width]`, directions, every, fit mode). */
  slices: TrainingSliceOptions;
  /**
   * Build the unlabeled slices and stream (methods with an unlabeled term). When no training
   * participant is left unlabeled (e.g. `labeledFraction: 1`), the unlabeled stream draws the
   * labeled images without their labels.
   * @default {false}
   */
  unlabeled?: boolean;
}

/**
 * Where the unlabeled stream of {@linkcode prepareTrainingData} came from: the unlabeled pool of
 * training participants, the labeled images without their labels (the pool is empty), or
 * nothing (`unlabeled: false`).
 */
export type UnlabeledSource = "pool" | "labeled-images" | "none";

/** The ready streams of {@linkcode prepareTrainingData}, in the shape `fit` takes. */
export interface TrainingStreams {
  /** Labeled training slices, stream name `"labeled"`. */
  labeled: BatchStream;
  /** Unlabeled training slices, stream name `"unlabeled"`; absent with `unlabeled: false`. */
  unlabeled?: BatchStream;
  /** Labeled validation slices, stream name `"validation"`; absent without a labeled validation scan. */
  validation?: BatchStream;
}

/**
 * What a run records of its data (`split.json` of a run folder): the split, the labeled subset
 * and the slice counts. Plain JSON.
 */
export interface TrainingDataRecord {
  /** Seed the split and the labeled subset were drawn with. */
  seed: number;
  /** Participants of each side, sorted. */
  participants: { train: string[]; validation: string[]; test: string[] };
  /** Scan ids of each side and of the labeled and unlabeled training subsets. */
  scans: {
    train: string[];
    validation: string[];
    test: string[];
    labeled: string[];
    unlabeled: string[];
  };
  /** Labeled participants, in choice order. */
  labeledParticipants: string[];
  /** Training participants whose labels are not used. */
  unlabeledParticipants: string[];
  /** Realised participant fraction (labeled / eligible participants). */
  participantFraction: number;
  /** Realised slice fraction (labeled slices / all training slices). */
  sliceFraction: number;
  /** Slice counts of the labeled, unlabeled and validation sets (0 for a set not built). */
  slices: { labeled: number; unlabeled: number; validation: number };
  /**
   * Where the unlabeled stream came from: the unlabeled pool, the labeled images without their
   * labels (when the pool is empty, e.g. fraction 1), or nothing (the method uses none).
   */
  unlabeledSource: UnlabeledSource;
}

/** Result of {@linkcode prepareTrainingData}. */
export interface TrainingData<S extends ScanRecord = ScanRecord> {
  /** The participant-level split (train, validation, test scans and participants). */
  split: ParticipantSplit<S>;
  /** The labeled subset of the training scans and the unlabeled pool. */
  choice: LabeledChoice<S>;
  /**
   * The slice sets (images `[n, height, width]`): labeled (with labels), unlabeled (without;
   * `null` with `unlabeled: false`) and validation (with labels; `null` without a labeled
   * validation scan).
   */
  slices: { labeled: SliceSet; unlabeled: SliceSet | null; validation: SliceSet | null };
  /** Seeded batch streams over the slice sets; batches are NHWC `[batch, height, width, 1]`. */
  streams: TrainingStreams;
  /** Where the unlabeled stream came from. */
  unlabeledSource: UnlabeledSource;
  /** What a run records of this data (JSON; `split.json`). */
  record: TrainingDataRecord;
}

/**
 * Prepares the training data of one run from scans: splits them at the participant level
 * (`splitParticipants` with `splitSeed`: test, validation, train), chooses the labeled
 * participants among the training ones (`chooseLabeled` with `splitSeed`: a nested prefix of one
 * permutation, so it is the same for every method), slices the labeled scans (labels required),
 * the unlabeled pool (labels dropped; when asked for) and the labeled validation scans (every
 * `validationEvery`-th slice; scans without a label are left out), and builds one
 * {@linkcode BatchStream} per set seeded with `streamSeed` and named `"labeled"`,
 * `"unlabeled"` and `"validation"`.
 *
 * When `unlabeled` is asked for but every training participant is labeled, the unlabeled stream
 * draws the labeled images without their labels (`unlabeledSource: "labeled-images"`).
 *
 * @param scans Scans with unique ids; the training scans of a labeled participant need labels.
 * @param options Seeds, split sizes, labeled fraction and slicing.
 * @returns The split, the labeled choice, the slice sets, the streams and the run's record.
 * @throws {RangeError} When a split size or the labeled fraction is invalid, scan ids repeat,
 *   no training participant is fully labeled, the slice options are invalid, or a set to stream
 *   has no slice (messages from `splitParticipants`, `chooseLabeled`, `extractSlices` and
 *   `BatchStream`).
 *
 * @example Two labeled participants of a small phantom cohort, one for validation
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   generatePhantomCohort,
 *   initEngine,
 *   phantomToScanRecord,
 *   prepareTrainingData,
 * } from "../mod.ts";
 *
 * await initEngine();
 * const { scans } = generatePhantomCohort({
 *   participants: 3,
 *   scansPerParticipant: 1,
 *   seed: 1,
 *   shape: [16, 16, 128], // small scans (the default is a full-size volume)
 * });
 * const data = prepareTrainingData(scans.map((s) => phantomToScanRecord(s)), {
 *   splitSeed: 0,
 *   validation: 1,
 *   labeledFraction: 0.5,
 *   unlabeled: true,
 *   slices: { inputSize: [32, 16], every: 8 },
 * });
 * assert.equal(data.split.participants.train.length, 2);
 * assert.equal(data.unlabeledSource, "pool");
 * assert.equal(data.record.slices.labeled, data.streams.labeled.size);
 * const { images, labels } = data.streams.labeled.next(2); // [2, 32, 16, 1], [2, 32, 16]
 * assert.deepEqual(images.shape, [2, 32, 16, 1]);
 * images.dispose();
 * labels?.dispose();
 * ```
 */
export function prepareTrainingData<S extends ScanRecord>(
  scans: readonly S[],
  options: PrepareTrainingDataOptions,
): TrainingData<S> {
  const {
    splitSeed,
    streamSeed = splitSeed,
    test = 0,
    validation = 0,
    labeledFraction = 1,
    unlabeled = false,
  } = options;
  const { validationEvery, ...sliceOptions } = options.slices;
  const split = splitParticipants(scans, { seed: splitSeed, test, validation });
  const choice = chooseLabeled(split.train, {
    fraction: labeledFraction,
    seed: splitSeed,
    slices: { directions: sliceOptions.directions, every: sliceOptions.every },
  });
  const labeledSlices = extractSlices(choice.labeled, { ...sliceOptions, labels: "require" });
  let unlabeledSource: UnlabeledSource = "none";
  let unlabeledSlices: SliceSet | null = null;
  if (unlabeled) {
    if (choice.unlabeled.length > 0) {
      unlabeledSlices = extractSlices(choice.unlabeled, { ...sliceOptions, labels: "drop" });
      unlabeledSource = "pool";
    } else {
      unlabeledSlices = labeledSlices.withoutLabels();
      unlabeledSource = "labeled-images";
    }
  }
  const validationScans = split.validation.filter((s) => s.label !== undefined);
  const validationSlices = validationScans.length > 0
    ? extractSlices(validationScans, {
      ...sliceOptions,
      every: validationEvery ?? sliceOptions.every,
      labels: "require",
    })
    : null;

  const streams: TrainingStreams = {
    labeled: new BatchStream(labeledSlices, { seed: streamSeed, name: "labeled" }),
  };
  if (unlabeledSlices) {
    streams.unlabeled = new BatchStream(unlabeledSlices, { seed: streamSeed, name: "unlabeled" });
  }
  if (validationSlices) {
    streams.validation = new BatchStream(validationSlices, {
      seed: streamSeed,
      name: "validation",
    });
  }
  const record: TrainingDataRecord = {
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
      unlabeled: unlabeledSlices?.size ?? 0,
      validation: validationSlices?.size ?? 0,
    },
    unlabeledSource,
  };
  return {
    split,
    choice,
    slices: { labeled: labeledSlices, unlabeled: unlabeledSlices, validation: validationSlices },
    streams,
    unlabeledSource,
    record,
  };
}
