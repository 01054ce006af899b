/**
 * Participant-level train / validation / test splits.
 *
 * @module
 */
import { Rng } from "../engine/rng.ts";
import type { ScanRecord } from "./scan.ts";
import { checkUniqueIds, resolveParticipantCount } from "./_splits_util.ts";

/** Options of {@linkcode splitParticipants}. */
export interface SplitOptions {
  /** Seed of the split; the same seed and participants give the same split. */
  seed: number;
  /**
   * Test participants: a fraction in `[0, 1)` of the participants (rounded to the nearest
   * integer, halves up, and at least 1 when the fraction is positive) or an integer count
   * `>= 1`. @default {0}
   */
  test?: number;
  /** Validation participants, as a fraction or a count like `test`. @default {0} */
  validation?: number;
}

/** Result of {@linkcode splitParticipants}. */
export interface ParticipantSplit<S extends ScanRecord = ScanRecord> {
  /** Training scans, in input order. */
  train: S[];
  /** Validation scans, in input order. */
  validation: S[];
  /** Test scans, in input order. */
  test: S[];
  /** Participants of each side, sorted. */
  participants: { train: string[]; validation: string[]; test: string[] };
}

/** Sorted unique participants of the scans. */
export function participantsOf(scans: readonly ScanRecord[]): string[] {
  return [...new Set(scans.map((s) => s.participant))].sort();
}

/**
 * Splits scans into train, validation and test sets at the participant level: no participant
 * has scans on two sides. Participants are sorted, permuted with `new Rng(seed).fork("split")`,
 * and the first `test` go to test, the next `validation` to validation, the rest to train. The
 * result depends only on the seed and the set of participants, not on the scan order.
 *
 * @param scans Scans with unique ids.
 * @param options Seed and the sizes of the test and validation sides.
 * @returns The three scan lists and their participants.
 * @throws {RangeError} When scan ids repeat, a size is invalid, or the split would leave no
 *   training participant.
 *
 * @example Paper-like split: 11 test and 2 validation participants out of 29
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, type ScanRecord, splitParticipants } from "./mod.ts";
 *
 * const image = {
 *   data: new Float32Array(8),
 *   shape: [2, 2, 2] as [number, number, number],
 *   spacing: [1, 1, 1] as [number, number, number],
 *   affine: affineFromSpacing([1, 1, 1]),
 * };
 * // 29 participants with two scans each.
 * const scans: ScanRecord[] = Array.from({ length: 58 }, (_, i) => ({
 *   id: `s${i}`,
 *   participant: `p${i % 29}`,
 *   image,
 * }));
 * const split = splitParticipants(scans, { seed: 1, test: 11, validation: 2 });
 * assert.equal(split.participants.test.length, 11);
 * assert.equal(split.participants.validation.length, 2);
 * assert.equal(split.train.length, 2 * 16); // no participant on two sides
 * ```
 */
export function splitParticipants<S extends ScanRecord>(
  scans: readonly S[],
  options: SplitOptions,
): ParticipantSplit<S> {
  const { seed, test = 0, validation = 0 } = options;
  checkUniqueIds(scans, "split participants");
  const participants = participantsOf(scans);
  const nTest = resolveParticipantCount(test, participants.length, "test");
  const nVal = resolveParticipantCount(validation, participants.length, "validation");
  if (nTest + nVal >= participants.length) {
    throw new RangeError(
      `Cannot split participants: ${nTest} test + ${nVal} validation leave no training participant (got ${participants.length} participants)`,
    );
  }
  const order = new Rng(seed).fork("split").permutation(participants.length);
  const side = new Map<string, "train" | "validation" | "test">();
  order.forEach((p, rank) => {
    side.set(
      participants[p]!,
      rank < nTest ? "test" : rank < nTest + nVal ? "validation" : "train",
    );
  });
  const out: ParticipantSplit<S> = {
    train: [],
    validation: [],
    test: [],
    participants: { train: [], validation: [], test: [] },
  };
  for (const s of scans) out[side.get(s.participant)!].push(s);
  for (const p of participants) out.participants[side.get(p)!].push(p);
  return out;
}
