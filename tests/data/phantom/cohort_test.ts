import assert from "node:assert/strict";
import {
  drawCohortParticipants,
  generatePhantomCohort,
  iteratePhantomCohort,
} from "../../../data/phantom/cohort.ts";

const SHAPE: [number, number, number] = [12, 12, 128];

Deno.test("generatePhantomCohort names scans p<NN>_s<NN> and links them to their participant", () => {
  const cohort = generatePhantomCohort({
    participants: 3,
    scansPerParticipant: 2,
    seed: 5,
    shape: SHAPE,
  });
  assert.deepEqual(cohort.participants.map((p) => p.id), ["p00", "p01", "p02"]);
  assert.deepEqual(
    cohort.scans.map((s) => s.id),
    ["p00_s00", "p00_s01", "p01_s00", "p01_s01", "p02_s00", "p02_s01"],
  );
  for (const s of cohort.scans) {
    assert.equal(s.participant, cohort.participants.find((p) => p.id === s.participantId));
    assert.deepEqual(s.image.shape, SHAPE);
  }
  // Participants differ from each other.
  assert.notEqual(
    cohort.participants[0]!.thicknessMm.superficialFat,
    cohort.participants[1]!.thicknessMm.superficialFat,
  );
});

Deno.test("generatePhantomCohort gives identical bytes for the same seed and differs for another", () => {
  const options = { participants: 2, scansPerParticipant: 1, shape: SHAPE };
  const a = generatePhantomCohort({ ...options, seed: 1 });
  const b = generatePhantomCohort({ ...options, seed: 1 });
  const c = generatePhantomCohort({ ...options, seed: 2 });
  for (let i = 0; i < a.scans.length; i++) {
    assert.deepEqual(a.scans[i]!.image.data, b.scans[i]!.image.data);
    assert.deepEqual(a.scans[i]!.labels.data, b.scans[i]!.labels.data);
    assert.notDeepEqual(a.scans[i]!.image.data, c.scans[i]!.image.data);
  }
  assert.deepEqual(a.participants, b.participants);
});

Deno.test("a scan depends only on the seed and its indices, not on the cohort size", () => {
  const small = generatePhantomCohort({
    participants: 1,
    scansPerParticipant: 1,
    seed: 3,
    shape: SHAPE,
  });
  const iter = iteratePhantomCohort({
    participants: 2,
    scansPerParticipant: 2,
    seed: 3,
    shape: SHAPE,
  });
  const first = iter.next();
  assert.equal(first.done, false);
  assert.equal(first.value!.id, "p00_s00");
  assert.deepEqual(first.value!.image.data, small.scans[0]!.image.data);
  assert.deepEqual(first.value!.participant, small.participants[0]);
  const ids = [first.value!.id, ...[...iter].map((s) => s.id)];
  assert.deepEqual(ids, ["p00_s00", "p00_s01", "p01_s00", "p01_s01"]);
  assert.deepEqual(
    drawCohortParticipants({ participants: 12, seed: 3, shape: SHAPE })[0],
    small.participants[0],
  );
  assert.equal(drawCohortParticipants({ participants: 120, shape: SHAPE })[7]!.id, "p007");
});

Deno.test("generatePhantomCohort rejects bad counts", () => {
  assert.throws(
    () => generatePhantomCohort({ participants: 0 }),
    /^RangeError: Cannot generate phantom cohort: participants must be a positive integer \(got 0\)$/,
  );
  assert.throws(() => generatePhantomCohort({ scansPerParticipant: 1.5 }), /scansPerParticipant/);
});
