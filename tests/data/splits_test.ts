import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import type { ScanRecord } from "../../data/scan.ts";
import { participantsOf, splitParticipants } from "../../data/splits.ts";
import { volumeOf } from "./_volumes.ts";

const image = volumeOf([2, 2, 3], (x, y, z) => x + y + z, Float32Array);

/** 29 participants with 1-4 scans each (like the paper's 69 scans from 29 subjects). */
function cohort(): ScanRecord[] {
  const rng = new Rng(5);
  const scans: ScanRecord[] = [];
  for (let p = 0; p < 29; p++) {
    const n = 1 + rng.int(4);
    for (let k = 0; k < n; k++) scans.push({ id: `s${p}-${k}`, participant: `P${p}`, image });
  }
  return scans;
}

Deno.test("splitParticipants puts no participant on two sides and covers every scan", () => {
  const scans = cohort();
  const split = splitParticipants(scans, { seed: 1, test: 11, validation: 2 });
  const sides = [split.train, split.validation, split.test];
  assert.equal(sides.reduce((n, s) => n + s.length, 0), scans.length);
  assert.deepEqual(
    new Set(sides.flat().map((s) => s.id)),
    new Set(scans.map((s) => s.id)),
  );
  const owner = new Map<string, number>();
  sides.forEach((side, k) => {
    for (const s of side) {
      assert.ok((owner.get(s.participant) ?? k) === k, `${s.participant} on two sides`);
      owner.set(s.participant, k);
    }
  });
  assert.deepEqual(
    [split.participants.train.length, split.participants.validation.length],
    [16, 2],
  );
  assert.equal(split.participants.test.length, 11);
  assert.deepEqual(participantsOf(split.test), split.participants.test);
  // Scans keep their input order within a side.
  const pos = new Map(scans.map((s, i) => [s.id, i]));
  for (const side of sides) {
    const idx = side.map((s) => pos.get(s.id)!);
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
  }
});

Deno.test("splitParticipants is deterministic from the seed and ignores scan order", () => {
  const scans = cohort();
  const a = splitParticipants(scans, { seed: 9, test: 0.3, validation: 0.1 });
  const reversed = splitParticipants([...scans].reverse(), {
    seed: 9,
    test: 0.3,
    validation: 0.1,
  });
  assert.deepEqual(reversed.participants, a.participants);
  const other = splitParticipants(scans, { seed: 10, test: 0.3, validation: 0.1 });
  assert.notDeepEqual(other.participants.test, a.participants.test);
  // Fractions: round(0.3 * 29) = 9, round(0.1 * 29) = 3.
  assert.equal(a.participants.test.length, 9);
  assert.equal(a.participants.validation.length, 3);
  assert.equal(a.participants.train.length, 17);
});

Deno.test("splitParticipants fractions give at least one participant and 0 gives none", () => {
  const scans = cohort();
  const s = splitParticipants(scans, { seed: 2, test: 0.001 });
  assert.equal(s.participants.test.length, 1);
  assert.equal(s.validation.length, 0);
  const none = splitParticipants(scans, { seed: 2 });
  assert.equal(none.train.length, scans.length);
});

Deno.test("splitParticipants rejects bad sizes, too few participants and duplicate ids", () => {
  const scans = cohort().filter((s) => ["P0", "P1", "P2"].includes(s.participant));
  assert.throws(
    () => splitParticipants(scans, { seed: 1, test: 2, validation: 1 }),
    /2 test \+ 1 validation leave no training participant \(got 3 participants\)/,
  );
  assert.throws(() => splitParticipants(scans, { seed: 1, test: 1.5 }), /got 1.5/);
  assert.throws(() => splitParticipants(scans, { seed: 1, validation: -0.1 }), /got -0.1/);
  assert.throws(
    () => splitParticipants([...scans, scans[0]!], { seed: 1 }),
    /scan ids must be unique \(got "s0-0" twice\)/,
  );
});
