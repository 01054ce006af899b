/**
 * Choosing the labeled subset of the training scans at the participant level.
 *
 * @module
 */
import { Rng } from "../engine/rng.ts";
import type { ScanRecord } from "./scan.ts";
import { countSlices, type SliceDirection } from "./slices_geometry.ts";
import { checkUniqueIds } from "./_splits_util.ts";

/** Options of {@linkcode chooseLabeled}. */
export interface ChooseLabeledOptions {
  /**
   * Fraction of the eligible participants (those whose scans all carry labels) whose scans
   * stay labeled, in `(0, 1]`. The count is `round(fraction * eligible)` (halves up), at
   * least 1.
   */
  fraction: number;
  /** Seed of the choice. */
  seed: number;
  /**
   * Slicing used to report the realised fraction of slices (it does not change the choice).
   * @default {{ directions: ["coronal", "sagittal"], every: 1 }}
   */
  slices?: { directions?: readonly SliceDirection[]; every?: number };
}

/** Result of {@linkcode chooseLabeled}. */
export interface LabeledChoice<S extends ScanRecord = ScanRecord> {
  /** Scans of the labeled participants, in input order, with their labels. */
  labeled: S[];
  /**
   * All other training scans, in input order, as copies without `label`: their labels are
   * never used, so slicing them yields an unlabeled set.
   */
  unlabeled: Omit<S, "label">[];
  /** Labeled participants, in choice order (a prefix of one seeded permutation). */
  labeledParticipants: string[];
  /** Participants with no labeled scan, sorted. */
  unlabeledParticipants: string[];
  /** Number of eligible participants (all of their scans carry labels). */
  eligibleParticipants: number;
  /** Realised participant fraction: labeled / eligible participants. */
  participantFraction: number;
  /** Slices of the labeled scans under `options.slices`. */
  labeledSlices: number;
  /** Slices of all training scans under `options.slices`. */
  totalSlices: number;
  /** Realised slice fraction: `labeledSlices / totalSlices`. */
  sliceFraction: number;
}

/**
 * Chooses which training participants keep their labels; the others form the unlabeled pool.
 *
 * Eligible participants (every one of their scans has a label) are sorted and permuted with
 * `new Rng(seed).fork("labeled")`; the first `max(1, round(fraction * eligible))` are labeled.
 * Because the choice is a prefix of one permutation, for the same seed and scans the labeled
 * participants at a smaller fraction are a subset of those at a larger one (fair comparison
 * across fractions). Participants with an unlabeled scan always go to the unlabeled pool.
 *
 * @param trainScans Training scans (unique ids).
 * @param options Fraction, seed and the slicing used to report slice counts.
 * @returns The labeled scans, the unlabeled pool (labels stripped) and realised fractions.
 * @throws {RangeError} When `fraction` is outside `(0, 1]`, scan ids repeat, or no
 *   participant is eligible.
 *
 * @example Nested labeled sets
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, chooseLabeled, type ScanRecord } from "./mod.ts";
 *
 * const volume = <T extends Float32Array | Uint8Array>(data: T) => ({
 *   data,
 *   shape: [2, 2, 2] as [number, number, number],
 *   spacing: [1, 1, 1] as [number, number, number],
 *   affine: affineFromSpacing([1, 1, 1]),
 * });
 * const train: ScanRecord[] = Array.from({ length: 40 }, (_, i) => ({
 *   id: `s${i}`,
 *   participant: `p${i}`,
 *   image: volume(new Float32Array(8)),
 *   label: volume(new Uint8Array(8)),
 * }));
 * const five = chooseLabeled(train, { fraction: 0.05, seed: 7 });
 * const ten = chooseLabeled(train, { fraction: 0.1, seed: 7 });
 * assert.equal(five.labeledParticipants.length, 2);
 * // five.labeledParticipants is a prefix of ten.labeledParticipants
 * assert.deepEqual(ten.labeledParticipants.slice(0, 2), five.labeledParticipants);
 * assert.equal(ten.unlabeled.length, 36);
 * ```
 */
export function chooseLabeled<S extends ScanRecord>(
  trainScans: readonly S[],
  options: ChooseLabeledOptions,
): LabeledChoice<S> {
  const { fraction, seed, slices = {} } = options;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(
      `Cannot choose labeled scans: fraction must be in (0, 1] (got ${fraction})`,
    );
  }
  checkUniqueIds(trainScans, "choose labeled scans");
  const all = [...new Set(trainScans.map((s) => s.participant))].sort();
  const incomplete = new Set(
    trainScans.filter((s) => s.label === undefined).map((s) => s.participant),
  );
  const eligible = all.filter((p) => !incomplete.has(p));
  if (eligible.length === 0) {
    throw new RangeError(
      `Cannot choose labeled scans: no participant has labels on all of their scans (got ${all.length} participants)`,
    );
  }
  const count = Math.min(
    eligible.length,
    Math.max(1, Math.floor(fraction * eligible.length + 0.5 + 1e-9)),
  );
  const order = new Rng(seed).fork("labeled").permutation(eligible.length);
  const labeledParticipants = order.slice(0, count).map((i) => eligible[i]!);
  const chosen = new Set(labeledParticipants);

  const labeled: S[] = [];
  const unlabeled: Omit<S, "label">[] = [];
  let labeledSlices = 0;
  let totalSlices = 0;
  for (const scan of trainScans) {
    const n = countSlices(scan.image.shape, {
      ...slices,
      depthAxis: scan.image.depthAxis ?? 2,
    });
    totalSlices += n;
    if (chosen.has(scan.participant)) {
      labeled.push(scan);
      labeledSlices += n;
    } else {
      const { label: _unused, ...rest } = scan;
      unlabeled.push(rest);
    }
  }
  return {
    labeled,
    unlabeled,
    labeledParticipants,
    unlabeledParticipants: all.filter((p) => !chosen.has(p)),
    eligibleParticipants: eligible.length,
    participantFraction: count / eligible.length,
    labeledSlices,
    totalSlices,
    sliceFraction: totalSlices === 0 ? 0 : labeledSlices / totalSlices,
  };
}
