import assert from "node:assert/strict";
import { loadDataset } from "../../../data/dataset_load.ts";
import { validateDataset } from "../../../data/validate_dataset.ts";
import { generatePhantomCohort } from "../../../data/phantom/cohort.ts";
import { phantomToScanRecord } from "../../../data/phantom/to_scan_record.ts";
import { writePhantomDataset } from "../../../data/phantom/write_phantom_dataset.ts";

const small = {
  participants: 2,
  scansPerParticipant: 2,
  seed: 4,
  shape: [16, 12, 48] as [number, number, number],
};

Deno.test("phantomToScanRecord() shares the volumes and maps the participant", () => {
  const { scans } = generatePhantomCohort(small);
  const scan = scans[0]!;
  const record = phantomToScanRecord(scan);
  assert.equal(record.id, scan.id);
  assert.equal(record.participant, scan.participantId);
  assert.equal(record.image, scan.image);
  assert.equal(record.label, scan.labels);
  assert.equal(phantomToScanRecord(scan, false).label, undefined);
});

Deno.test("writePhantomDataset() writes a valid dataset that loads back identically", async () => {
  const dir = await Deno.makeTempDir();
  const manifest = await writePhantomDataset(dir, small);
  assert.equal(manifest.scans.length, 4);
  const report = await validateDataset(dir);
  assert.deepEqual(report.problems, []);
  const { scans } = await loadDataset(dir);
  const expected = generatePhantomCohort(small).scans;
  assert.equal(scans.length, expected.length);
  for (const [i, scan] of scans.entries()) {
    assert.equal(scan.id, expected[i]!.id);
    assert.equal(scan.participant, expected[i]!.participantId);
    assert.deepEqual(scan.label!.data, expected[i]!.labels.data);
    assert.deepEqual(scan.image.shape, expected[i]!.image.shape);
  }
  await assert.rejects(
    () => writePhantomDataset(dir, small),
    /already holds a dataset; pass overwrite: true/,
  );
  await Deno.remove(dir, { recursive: true });
});
