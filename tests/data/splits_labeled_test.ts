import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import type { ScanRecord } from "../../data/scan.ts";
import { chooseLabeled } from "../../data/splits_labeled.ts";
import { extractSlices } from "../../data/slices_extract.ts";
import { volumeOf } from "./_volumes.ts";

/** 20 participants with 1-3 labeled scans of varying width. */
function train(): ScanRecord[] {
  const rng = new Rng(8);
  const scans: ScanRecord[] = [];
  for (let p = 0; p < 20; p++) {
    const n = 1 + rng.int(3);
    for (let k = 0; k < n; k++) {
      const shape: [number, number, number] = [2 + rng.int(4), 3, 4];
      scans.push({
        id: `s${p}-${k}`,
        participant: `P${String(p).padStart(2, "0")}`,
        image: volumeOf(shape, (x, y, z) => x + y + z, Float32Array),
        label: volumeOf(shape, (_x, _y, z) => z, Uint8Array),
      });
    }
  }
  return scans;
}

Deno.test("chooseLabeled nests: smaller fractions are prefixes of larger ones", () => {
  const scans = train();
  let previous: string[] = [];
  for (const fraction of [0.05, 0.1, 0.2, 0.3, 0.5, 1]) {
    const c = chooseLabeled(scans, { fraction, seed: 4 });
    assert.equal(c.labeledParticipants.length, Math.max(1, Math.round(fraction * 20)));
    assert.deepEqual(c.labeledParticipants.slice(0, previous.length), previous);
    previous = c.labeledParticipants;
  }
  assert.equal(previous.length, 20);
});

Deno.test("chooseLabeled partitions scans by participant and strips unlabeled labels", () => {
  const scans = train();
  const c = chooseLabeled(scans, { fraction: 0.3, seed: 4 });
  assert.equal(c.labeled.length + c.unlabeled.length, scans.length);
  const labeledP = new Set(c.labeledParticipants);
  for (const s of c.labeled) assert.ok(labeledP.has(s.participant) && s.label !== undefined);
  for (const s of c.unlabeled) {
    assert.ok(!labeledP.has(s.participant));
    assert.equal("label" in s, false);
  }
  assert.equal(c.labeledParticipants.length + c.unlabeledParticipants.length, 20);
  assert.equal(c.participantFraction, 6 / 20);
  // Input scans are not modified.
  assert.ok(scans.every((s) => s.label !== undefined));
  // The unlabeled pool slices into a set without labels.
  assert.equal(extractSlices(c.unlabeled, { inputSize: [4, 4] }).hasLabels, false);
});

Deno.test("chooseLabeled reports the realised slice fraction", () => {
  const scans = train();
  const slices = { directions: ["coronal"] as const, every: 2 };
  const c = chooseLabeled(scans, { fraction: 0.2, seed: 1, slices });
  const lab = extractSlices(c.labeled, { inputSize: [4, 4], ...slices });
  const all = extractSlices(scans, { inputSize: [4, 4], ...slices });
  assert.equal(c.labeledSlices, lab.size);
  assert.equal(c.totalSlices, all.size);
  assert.equal(c.sliceFraction, lab.size / all.size);
});

Deno.test("chooseLabeled is deterministic and depends on the seed", () => {
  const scans = train();
  const a = chooseLabeled(scans, { fraction: 0.25, seed: 3 });
  const b = chooseLabeled([...scans].reverse(), { fraction: 0.25, seed: 3 });
  assert.deepEqual(b.labeledParticipants, a.labeledParticipants);
  const seeds = new Set(
    [1, 2, 3, 4, 5].map((seed) =>
      chooseLabeled(scans, { fraction: 0.25, seed }).labeledParticipants.join()
    ),
  );
  assert.ok(seeds.size > 1);
});

Deno.test("chooseLabeled keeps participants with an unlabeled scan in the unlabeled pool", () => {
  const scans = train();
  const { label: _l, ...noLabel } = scans[0]!;
  const mixed = [noLabel as ScanRecord, ...scans.slice(1)];
  const c = chooseLabeled(mixed, { fraction: 1, seed: 0 });
  assert.equal(c.eligibleParticipants, 19);
  assert.deepEqual(c.unlabeledParticipants, [scans[0]!.participant]);
});

Deno.test("chooseLabeled rejects bad fractions and sets without labels", () => {
  const scans = train();
  for (const fraction of [0, -0.1, 1.01, NaN]) {
    assert.throws(
      () => chooseLabeled(scans, { fraction, seed: 0 }),
      new RegExp(`fraction must be in \\(0, 1\\] \\(got ${fraction}\\)`),
    );
  }
  const bare = scans.map(({ label: _l, ...s }) => s as ScanRecord);
  assert.throws(() => chooseLabeled(bare, { fraction: 0.5, seed: 0 }), /no participant has/);
});
