import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDataset, loadScan } from "../../data/dataset_load.ts";
import { loadDatasetManifest } from "../../data/dataset_manifest.ts";
import { writeDataset } from "../../data/dataset_write.ts";
import { encodeNifti, writeNifti } from "../../data/nifti_write.ts";
import { affineFromSpacing } from "../../data/volume.ts";
import { FIXTURE_SPACING, fixtureScan, fixtureScans, withTempDir } from "./_dataset_fixture.ts";

Deno.test("loadScan returns the written image (float32) and label (uint8) with geometry", async () => {
  await withTempDir(async (dir) => {
    const scans = fixtureScans();
    await writeDataset(dir, { name: "Fixture" }, scans);
    const manifest = await loadDatasetManifest(dir);
    const s02 = await loadScan(dir, manifest, "s02");
    assert.equal(s02.id, "s02");
    assert.equal(s02.participant, "p1");
    assert.ok(s02.image.data instanceof Float32Array);
    assert.deepEqual(s02.image.data, scans[1]!.image.data);
    assert.deepEqual(s02.image.shape, [6, 3, 8]);
    assert.deepEqual(s02.image.spacing, FIXTURE_SPACING);
    assert.deepEqual(s02.image.affine, affineFromSpacing(FIXTURE_SPACING));
    assert.equal(s02.image.depthAxis, 2);
    assert.ok(s02.label!.data instanceof Uint8Array);
    assert.deepEqual(s02.label!.data, scans[1]!.label!.data);
    const u01 = await loadScan(dir, manifest, "u01");
    assert.equal(u01.label, undefined);
    assert.deepEqual(u01.image.data, scans[3]!.image.data);
    await assert.rejects(loadScan(dir, manifest, "nope"), {
      message:
        `Cannot load scan "nope" from ${dir}: no scan with this id in dataset.json (got "nope")`,
    });
  });
});

Deno.test("loadDataset loads all, labeled or unlabeled scans in manifest order", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    assert.deepEqual((await loadDataset(dir)).scans.map((s) => s.id), ["s01", "s02", "s03", "u01"]);
    assert.deepEqual(
      (await loadDataset(dir, { which: "labeled" })).scans.map((s) => s.id),
      ["s01", "s02", "s03"],
    );
    assert.deepEqual((await loadDataset(dir, { which: "unlabeled" })).scans.map((s) => s.id), [
      "u01",
    ]);
  });
});

Deno.test("loadScan converts int16 images to float32 and float labels to uint8", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, [fixtureScan("a", "p", 1)]);
    const manifest = await loadDatasetManifest(dir);
    const int16 = Int16Array.from({ length: 144 }, (_, i) => i - 70);
    const image = {
      data: int16,
      shape: [6, 3, 8] as [number, number, number],
      spacing: FIXTURE_SPACING,
      affine: affineFromSpacing(FIXTURE_SPACING),
    };
    await writeNifti(join(dir, "imagesTr/a_0000.nii.gz"), image);
    const floatLabel = { ...image, data: Float32Array.from({ length: 144 }, (_, i) => i % 7) };
    await writeNifti(join(dir, "labelsTr/a.nii.gz"), floatLabel);
    const scan = await loadScan(dir, manifest, "a");
    assert.deepEqual(scan.image.data, Float32Array.from(int16));
    assert.deepEqual(scan.label!.data, Uint8Array.from(floatLabel.data));
  });
});

Deno.test("loadScan uses the manifest spacing when the header has none, and rejects bad labels", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture", spacing: [0.7, 0.8, 0.9] }, [
      fixtureScan("a", "p", 1),
    ]);
    const manifest = await loadDatasetManifest(dir);
    // Rewrite the image with no geometry at all in the header.
    const bytes = encodeNifti(fixtureScan("a", "p", 1).image);
    const view = new DataView(bytes.buffer);
    for (let i = 1; i <= 3; i++) view.setFloat32(76 + 4 * i, 0, true);
    view.setInt16(252, 0, true);
    view.setInt16(254, 0, true);
    await Deno.writeFile(join(dir, "imagesTr/a_0000.nii.gz"), bytes);
    const scan = await loadScan(dir, manifest, "a");
    assert.deepEqual(scan.image.spacing, [0.7, 0.8, 0.9]);
    assert.deepEqual(scan.label!.spacing, FIXTURE_SPACING);

    const label = fixtureScan("a", "p", 1).label!;
    label.data[0] = 7;
    label.data[1] = 7;
    label.data[2] = 200;
    await writeNifti(join(dir, "labelsTr/a.nii.gz"), label);
    await assert.rejects(loadScan(dir, manifest, "a"), {
      message: `Cannot load scan "a" from ${dir}: label labelsTr/a.nii.gz has values outside 0-6 ` +
        "(got 7 (2 voxels), 200 (1 voxels))",
    });
    const small = {
      ...label,
      data: new Uint8Array(6 * 3 * 7),
      shape: [6, 3, 7] as [number, number, number],
    };
    await writeNifti(join(dir, "labelsTr/a.nii.gz"), small);
    await assert.rejects(loadScan(dir, manifest, "a"), {
      message:
        `Cannot load scan "a" from ${dir}: label labelsTr/a.nii.gz has shape [6, 3, 7] but ` +
        "image imagesTr/a_0000.nii.gz has shape [6, 3, 8] (got [6, 3, 7])",
    });
  });
});

Deno.test("loadScan rejects non-finite image voxels, as validateDataset does", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, [fixtureScan("a", "p", 1)]);
    const manifest = await loadDatasetManifest(dir);
    const image = fixtureScan("a", "p", 1).image;
    const data = Float32Array.from(image.data);
    data[3] = NaN;
    data[4] = NaN;
    data[5] = -Infinity;
    await writeNifti(join(dir, "imagesTr/a_0000.nii.gz"), { ...image, data });
    await assert.rejects(loadScan(dir, manifest, "a"), {
      message: `Cannot load scan "a" from ${dir}: image imagesTr/a_0000.nii.gz has non-finite ` +
        "voxels (got 2 NaN, 1 infinite); grn validate lists every problem",
    });
  });
});

Deno.test("loadScan refuses links leaving the dataset folder unless allowExternalLinks", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    const outside = await Deno.makeTempDir({ prefix: "grn_outside_" });
    try {
      // A linked folder counts too: imagesTr itself points outside.
      await Deno.rename(join(dir, "imagesTr"), join(outside, "imagesTr"));
      await Deno.symlink(join(outside, "imagesTr"), join(dir, "imagesTr"));
      const manifest = await loadDatasetManifest(dir);
      const real = await Deno.realPath(join(outside, "imagesTr/s02_0000.nii.gz"));
      await assert.rejects(loadScan(dir, manifest, "s02"), {
        message:
          `Cannot load scan "s02" from ${dir}: cannot read imagesTr/s02_0000.nii.gz: it is ` +
          `a symbolic link (or inside a linked folder) whose target leaves ${dir} (got ${real}); ` +
          "allow it explicitly with allowExternalLinks (--allow-external-links)",
      });
      await assert.rejects(loadDataset(dir), /whose target leaves/);
      const s02 = await loadScan(dir, manifest, "s02", { allowExternalLinks: true });
      assert.deepEqual(s02.image.shape, [6, 3, 8]);
      const all = await loadDataset(dir, { allowExternalLinks: true });
      assert.equal(all.scans.length, 4);
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("loadScan refuses a FIFO or /dev/zero in the dataset folder without hanging", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    const manifest = await loadDatasetManifest(dir);
    const fifo = join(dir, "labelsTr/s01.nii.gz");
    await Deno.remove(fifo);
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await assert.rejects(loadScan(dir, manifest, "s01"), {
      message: `Cannot load scan "s01" from ${dir}: cannot read labelsTr/s01.nii.gz: not a ` +
        "regular file (got a FIFO (named pipe))",
    });
    await Deno.remove(join(dir, "imagesTr/s02_0000.nii.gz"));
    await Deno.symlink("/dev/zero", join(dir, "imagesTr/s02_0000.nii.gz"));
    await assert.rejects(
      loadScan(dir, manifest, "s02", { allowExternalLinks: true }),
      /cannot read imagesTr\/s02_0000\.nii\.gz: not a regular file \(got a character device at \/dev\/zero\)$/,
    );
    // dataset.json itself: a FIFO is refused too.
    await Deno.remove(join(dir, "dataset.json"));
    const m = join(dir, "dataset.json");
    assert.ok((await new Deno.Command("mkfifo", { args: [m] }).output()).success);
    await assert.rejects(loadDatasetManifest(dir), {
      message: `Cannot load dataset manifest ${m}: not a regular file (got a FIFO (named pipe))`,
    });
  });
});
