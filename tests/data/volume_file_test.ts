import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDataset } from "../../data/dataset_load.ts";
import { DATASET_MANIFEST_FILE } from "../../data/dataset_manifest.ts";
import { writeDataset } from "../../data/dataset_write.ts";
import { writeMat } from "../../data/matlab/mat5_write.ts";
import { writeNrrd } from "../../data/nrrd/nrrd_write.ts";
import { writeSegNrrd } from "../../data/nrrd/seg_nrrd_write.ts";
import { validateDataset } from "../../data/validate_dataset.ts";
import type { Volume } from "../../data/volume.ts";
import {
  detectVolumeFormat,
  readVolume,
  readVolumeFile,
  writeVolume,
} from "../../data/volume_file.ts";
import { fixtureScan, withTempDir } from "./_dataset_fixture.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

function oblique(): Volume<Float32Array> {
  const c = Math.cos(0.5), s = Math.sin(0.5);
  return {
    data: Float32Array.from({ length: 5 * 4 * 3 }, (_, i) => Math.sin(i) * 100),
    shape: [5, 4, 3],
    spacing: [0.2, 0.3, 0.1],
    affine: [[0.2 * c, 0, -0.1 * s, 4], [0, 0.3, 0, -6], [0.2 * s, 0, 0.1 * c, 2], [0, 0, 0, 1]],
    depthAxis: 2,
  };
}

Deno.test("readVolume recognises the format by content, whatever the file is called", async () => {
  await withTempDir(async (dir) => {
    const cases: Array<[string, string, string]> = [
      ["mat73.mat", "scan.nii", "mat"],
      ["mat5_compressed.mat", "scan.nrrd", "mat"],
      ["volume_lps.nrrd", "scan.mat", "nrrd"],
    ];
    for (const [fixture, name, format] of cases) {
      await Deno.copyFile(join(FIXTURES, fixture), join(dir, name));
      const r = await readVolumeFile(join(dir, name), { variable: "img" });
      assert.equal(r.format, format);
      assert.deepEqual(r.volume.shape, [5, 4, 3]);
      assert.equal(r.volume.data[1], 1.5);
    }
    assert.equal(detectVolumeFormat(new Uint8Array([1, 2, 3]), "a.seg.nrrd"), "seg-nrrd");
    assert.equal(detectVolumeFormat(new Uint8Array([1, 2, 3]), "a.txt"), undefined);
    await Deno.writeTextFile(join(dir, "notes.txt"), "hello");
    await assert.rejects(
      () => readVolume(join(dir, "notes.txt")),
      /Cannot read scan .*notes\.txt: unknown format: expected NIfTI, NRRD or a MAT file \(ending in \.seg\.nrrd, .*; got "hello"\)/,
    );
    await assert.rejects(
      () => writeVolume(join(dir, "x.png"), oblique()),
      /Cannot write scan .*x\.png: unknown format/,
    );
  });
});

Deno.test("writeVolume and readVolume keep data and geometry across NIfTI, NRRD and MAT", async () => {
  await withTempDir(async (dir) => {
    const v = oblique();
    let previous: Volume = v;
    // NIfTI → NRRD → MAT → NHDR → NIfTI, each read back from the last.
    for (const name of ["a.nii.gz", "b.nrrd", "c.mat", "d.nhdr", "e.nii"]) {
      await writeVolume(join(dir, name), previous);
      const back = await readVolume(join(dir, name));
      assert.deepEqual(back.data, v.data, name);
      assert.deepEqual(back.shape, v.shape, name);
      for (let r = 0; r < 4; r++) {
        for (let k = 0; k < 4; k++) {
          assert.ok(Math.abs(back.affine[r]![k]! - v.affine[r]![k]!) < 1e-6, `${name} affine`);
        }
      }
      previous = back;
    }
  });
});

Deno.test("a dataset may list NRRD, .seg.nrrd and MAT files, with the same loading and validation", async () => {
  await withTempDir(async (dir) => {
    const scans = [
      fixtureScan("a", "p1", 1),
      fixtureScan("b", "p2", 2),
      fixtureScan("c", "p3", 3, false),
    ];
    await writeDataset(dir, { name: "mixed" }, scans);
    const manifestPath = join(dir, DATASET_MANIFEST_FILE);
    const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
    // a: NRRD image + Slicer segmentation; b: MAT image (spacing inside) + plain NRRD label;
    // c: MAT image without spacing (the manifest's spacing is used).
    await writeNrrd(join(dir, "imagesTr/a_0000.nrrd"), scans[0]!.image);
    await writeSegNrrd(join(dir, "labelsTr/a.seg.nrrd"), scans[0]!.label!);
    await writeMat(join(dir, "imagesTr/b_0000.mat"), scans[1]!.image);
    await writeNrrd(join(dir, "labelsTr/b.nrrd"), scans[1]!.label!);
    const bare = new Uint8Array(await Deno.readFile(join(FIXTURES, "mat5_plain.mat")));
    await Deno.writeFile(join(dir, "imagesUnlabeled/c_0000.mat"), bare);
    Object.assign(manifest.scans[0], {
      image: "imagesTr/a_0000.nrrd",
      label: "labelsTr/a.seg.nrrd",
    });
    Object.assign(manifest.scans[1], { image: "imagesTr/b_0000.mat", label: "labelsTr/b.nrrd" });
    Object.assign(manifest.scans[2], { image: "imagesUnlabeled/c_0000.mat" });
    delete manifest.spacing;
    await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));

    let report = await validateDataset(dir);
    // The bare MAT file has two arrays and no spacing.
    assert.deepEqual(report.problems, [
      "imagesUnlabeled/c_0000.mat: it holds several 3-D numeric arrays; choose one with variable (--var) (got img [5x4x3 single], img2 [5x4x3 int16])",
    ]);
    await writeMat(join(dir, "imagesUnlabeled/c_0000.mat"), {
      ...scans[2]!.image,
      data: Float32Array.from(scans[2]!.image.data),
    });
    report = await validateDataset(dir);
    assert.deepEqual(report.problems, []);
    const { scans: loaded } = await loadDataset(dir);
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(loaded[k]!.image.data, scans[k]!.image.data);
      assert.deepEqual(loaded[k]!.image.affine, scans[k]!.image.affine);
      if (scans[k]!.label) assert.deepEqual(loaded[k]!.label!.data, scans[k]!.label!.data);
    }

    // The same checks as for NIfTI: NaN voxels, label values, shapes.
    const nan = Float32Array.from(scans[1]!.image.data);
    nan[3] = NaN;
    await writeMat(join(dir, "imagesTr/b_0000.mat"), { ...scans[1]!.image, data: nan });
    const badLabel = Uint8Array.from(scans[1]!.label!.data);
    badLabel[0] = 9;
    await writeNrrd(join(dir, "labelsTr/b.nrrd"), { ...scans[1]!.label!, data: badLabel });
    report = await validateDataset(dir);
    assert.deepEqual(report.problems, [
      "imagesTr/b_0000.mat: 1 non-finite voxels (1 NaN, 0 infinite)",
      "labelsTr/b.nrrd: label value 9 outside 0-6 (1 voxels)",
    ]);
    await assert.rejects(
      () => loadDataset(dir),
      /image imagesTr\/b_0000\.mat has non-finite voxels \(got 1 NaN/,
    );
    await Deno.remove(join(dir, "labelsTr/a.seg.nrrd"));
    assert.ok(
      (await validateDataset(dir)).problems.includes(
        'labelsTr/a.seg.nrrd: file not found (label of scan "a")',
      ),
    );
  });
});
