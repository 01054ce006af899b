/**
 * A deterministic cohort of phantom participants and scans from one seed.
 *
 * @module
 */
import { Rng } from "../../engine/rng.ts";
import { generatePhantomScan, type PhantomScan } from "./generate_scan.ts";
import { type PhantomOptions, resolvePhantomOptions } from "./options.ts";
import { drawParticipant, type PhantomParticipant } from "./participant.ts";

/** Options of {@linkcode generatePhantomCohort} and {@linkcode iteratePhantomCohort}. */
export interface PhantomCohortOptions extends PhantomOptions {
  /** Number of participants. @default {4} */
  participants?: number;
  /** Number of scans per participant (the paper's protocol has 12). @default {3} */
  scansPerParticipant?: number;
  /** Seed of the cohort. @default {0} */
  seed?: number;
}

/** A generated cohort. */
export interface PhantomCohort {
  /** The participants, in order (`p00`, `p01`, ...). */
  participants: PhantomParticipant[];
  /** All scans, participant by participant (`p00_s00`, `p00_s01`, ..., `p01_s00`, ...). */
  scans: PhantomScan[];
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot generate phantom cohort: ${name} must be a positive integer (got ${value})`,
    );
  }
}

function pad(index: number, count: number): string {
  return String(index).padStart(Math.max(2, String(count - 1).length), "0");
}

/**
 * Draws the participants of a cohort (without generating scans). Participant `i` depends only on
 * the seed, `i` and the options, not on the number of participants.
 *
 * @param options Cohort options.
 * @returns The participants `p00`, `p01`, ...
 * @throws {RangeError} When a count or option is out of range.
 */
export function drawCohortParticipants(options: PhantomCohortOptions = {}): PhantomParticipant[] {
  const participants = options.participants ?? 4;
  checkCount("participants", participants);
  resolvePhantomOptions(options);
  const root = new Rng(options.seed ?? 0);
  const out: PhantomParticipant[] = [];
  for (let p = 0; p < participants; p++) {
    const id = `p${pad(p, participants)}`;
    out.push(drawParticipant(root.fork(`participant-${p}`), { ...options, id }));
  }
  return out;
}

/**
 * Generates the scans of a cohort one at a time (to keep memory low for large cohorts). Yields
 * exactly the scans of {@linkcode generatePhantomCohort} with the same options, in the same
 * order. Scan `s` of participant `p` depends only on the seed, `p`, `s` and the options.
 *
 * @param options Cohort options.
 * @returns A generator of scans.
 * @throws {RangeError} When a count or option is out of range.
 */
export function* iteratePhantomCohort(
  options: PhantomCohortOptions = {},
): Generator<PhantomScan, void, undefined> {
  yield* scansOf(drawCohortParticipants(options), options);
}

function* scansOf(
  participants: PhantomParticipant[],
  options: PhantomCohortOptions,
): Generator<PhantomScan, void, undefined> {
  const scansPerParticipant = options.scansPerParticipant ?? 3;
  checkCount("scansPerParticipant", scansPerParticipant);
  const root = new Rng(options.seed ?? 0);
  for (let p = 0; p < participants.length; p++) {
    const participantRng = root.fork(`scans-${p}`);
    for (let s = 0; s < scansPerParticipant; s++) {
      yield generatePhantomScan(
        participants[p]!,
        { ...options, scanIndex: s },
        participantRng.fork(`scan-${s}`),
      );
    }
  }
}

/**
 * Generates a whole cohort: `participants` participants with `scansPerParticipant` scans each,
 * ids `p03_s02` (0-based, zero-padded). The same options and seed give identical bytes.
 *
 * @param options Cohort options (counts, seed and every {@linkcode PhantomOptions} field).
 * @returns Participants and scans.
 * @throws {RangeError} When a count or option is out of range.
 *
 * @example A small cohort
 * ```ts
 * import { generatePhantomCohort } from "./mod.ts";
 * const cohort = generatePhantomCohort({ participants: 2, scansPerParticipant: 1, shape: [8, 8, 128] });
 * console.assert(cohort.scans[1]!.id === "p01_s00");
 * ```
 */
export function generatePhantomCohort(options: PhantomCohortOptions = {}): PhantomCohort {
  const participants = drawCohortParticipants(options);
  return { participants, scans: [...scansOf(participants, options)] };
}
