import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compareDatasetFingerprints, datasetFingerprint } from "../../data/dataset_fingerprint.ts";
import { writeDataset } from "../../data/dataset_write.ts";
import { writeNifti } from "../../data/nifti_write.ts";
import { fixtureScan, fixtureScans, withTempDir } from "./_dataset_fixture.ts";

async function editManifest(dir: string, edit: (json: Record<string, unknown>) => void) {
  const path = join(dir, "dataset.json");
  const json = JSON.parse(await Deno.readTextFile(path));
  edit(json);
  await Deno.writeTextFile(path, JSON.stringify(json, null, 4));
}

Deno.test("datasetFingerprint hashes the files' bytes and is stable", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    const a = await datasetFingerprint(dir);
    assert.equal(a.version, 1);
    assert.match(a.hash, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(a.scans), ["s01", "s02", "s03", "u01"]);
    const bytes = await Deno.readFile(join(dir, "imagesTr/s02_0000.nii.gz"));
    assert.equal(a.scans.s02!.imageSha256, createHash("sha256").update(bytes).digest("hex"));
    assert.equal(a.scans.s02!.participant, "p1");
    assert.equal(a.scans.u01!.label, undefined);
    assert.equal(a.scans.u01!.labelSha256, undefined);
    // The name, the formatting and the counts of dataset.json do not matter.
    await editManifest(dir, (json) => {
      json.name = "Renamed";
      delete json.numLabeled;
    });
    const b = await datasetFingerprint(dir);
    assert.equal(b.hash, a.hash);
    assert.deepEqual(compareDatasetFingerprints(a, b), []);
  });
});

Deno.test("datasetFingerprint: a dataset regenerated under the same ids is detected", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    const before = await datasetFingerprint(dir);
    const regenerated = fixtureScans();
    regenerated[1] = fixtureScan("s02", "p1", 99);
    await writeDataset(dir, { name: "Fixture" }, regenerated, { overwrite: true });
    const after = await datasetFingerprint(dir);
    assert.notEqual(after.hash, before.hash);
    const changes = compareDatasetFingerprints(before, after);
    assert.equal(changes.length, 1);
    assert.match(
      changes[0]!,
      /^imagesTr\/s02_0000\.nii\.gz: content changed \(image of scan "s02": recorded sha256 [0-9a-f]{12}\.\.\., got [0-9a-f]{12}\.\.\.\)$/,
    );
    // Only the scans asked for count: s01 alone did not change.
    const s01Before = await datasetFingerprint(dir, { ids: ["s01"] });
    const label = fixtureScan("s03", "p2", 3).label!;
    label.data[0] = 6; // one voxel relabeled
    await writeNifti(join(dir, "labelsTr/s03.nii.gz"), label);
    assert.equal((await datasetFingerprint(dir, { ids: ["s01"] })).hash, s01Before.hash);
    const relabeled = compareDatasetFingerprints(after, await datasetFingerprint(dir));
    assert.equal(relabeled.length, 1);
    assert.match(relabeled[0]!, /^labelsTr\/s03\.nii\.gz: content changed \(label of scan "s03"/);
  });
});

Deno.test("compareDatasetFingerprints names settings, participants and listed scans", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    const before = await datasetFingerprint(dir);
    await editManifest(dir, (json) => {
      json.spacing = [0.2, 0.5, 0.2];
      const scans = json.scans as Record<string, unknown>[];
      scans[0]!.participant = "p9";
      scans.splice(3, 1); // u01
      delete json.numUnlabeled;
    });
    const after = await datasetFingerprint(dir);
    assert.deepEqual(compareDatasetFingerprints(before, after), [
      "dataset.json: labels, spacing or depthAxis changed",
      'scan "s01": participant changed (recorded "p1", got "p9")',
      'scan "u01": no longer listed (was imagesUnlabeled/u01_0000.nii.gz)',
    ]);
    assert.deepEqual(compareDatasetFingerprints(after, before).slice(-1), [
      'scan "u01": newly listed (imagesUnlabeled/u01_0000.nii.gz)',
    ]);
  });
});

Deno.test("datasetFingerprint refuses unknown ids, FIFOs and links leaving the folder", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    await assert.rejects(datasetFingerprint(dir, { ids: ["nope"] }), {
      message:
        `Cannot fingerprint dataset ${dir}: no scan with this id in dataset.json (got "nope")`,
    });
    const fifo = join(dir, "labelsTr/s01.nii.gz");
    await Deno.remove(fifo);
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await assert.rejects(datasetFingerprint(dir), {
      message: `Cannot fingerprint dataset ${dir}: cannot read labelsTr/s01.nii.gz of scan ` +
        `"s01": not a regular file (got a FIFO (named pipe))`,
    });
    const outside = await Deno.makeTempDir({ prefix: "grn_outside_" });
    try {
      const target = join(outside, "s02.nii.gz");
      await Deno.rename(join(dir, "imagesTr/s02_0000.nii.gz"), target);
      await Deno.symlink(target, join(dir, "imagesTr/s02_0000.nii.gz"));
      await assert.rejects(datasetFingerprint(dir, { ids: ["s02"] }), /whose target leaves/);
      const fp = await datasetFingerprint(dir, { ids: ["s02"], allowExternalLinks: true });
      assert.equal(
        fp.scans.s02!.imageSha256,
        createHash("sha256").update(await Deno.readFile(target)).digest("hex"),
      );
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});
