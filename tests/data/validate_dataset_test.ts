import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { validateDataset } from "../../data/validate_dataset.ts";
import { writeDataset } from "../../data/dataset_write.ts";
import { encodeNifti, writeNifti } from "../../data/nifti_write.ts";
import type { Volume } from "../../data/volume.ts";
import { fixtureScan, fixtureScans, withTempDir } from "./_dataset_fixture.ts";

/** Writes the fixture dataset (3 labeled scans, 1 unlabeled) and runs `fn` on its folder. */
async function withDataset(fn: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "Fixture" }, fixtureScans());
    await fn(dir);
  });
}

/** Rewrites dataset.json through `edit` (dropping the optional counts). */
async function editManifest(
  dir: string,
  edit: (json: Record<string, unknown>) => void,
): Promise<void> {
  const path = join(dir, "dataset.json");
  const json = JSON.parse(await Deno.readTextFile(path));
  delete json.numLabeled;
  delete json.numUnlabeled;
  edit(json);
  await Deno.writeTextFile(path, JSON.stringify(json));
}

async function problemsOf(dir: string): Promise<string[]> {
  const report = await validateDataset(dir);
  assert.equal(report.ok, report.problems.length === 0);
  return report.problems;
}

Deno.test("validateDataset reports no problems for a valid dataset", async () => {
  await withDataset(async (dir) => {
    const report = await validateDataset(dir);
    assert.deepEqual(report, {
      dir,
      ok: true,
      problems: [],
      scans: 4,
      labeled: 3,
      unlabeled: 1,
    });
  });
});

Deno.test("validateDataset: missing dataset.json", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await problemsOf(dir), [
      `dataset.json: file not found (got no dataset.json in ${dir})`,
    ]);
  });
});

Deno.test("validateDataset: dataset.json is not valid JSON", async () => {
  await withDataset(async (dir) => {
    await Deno.writeTextFile(join(dir, "dataset.json"), "{ not json");
    let parseMessage = "";
    try {
      JSON.parse("{ not json");
    } catch (error) {
      parseMessage = (error as Error).message;
    }
    assert.deepEqual(await problemsOf(dir), [`dataset.json: invalid JSON (got ${parseMessage})`]);
  });
});

Deno.test("validateDataset: dataset.json is not an object", async () => {
  await withDataset(async (dir) => {
    await Deno.writeTextFile(join(dir, "dataset.json"), "[1, 2]");
    assert.deepEqual(await problemsOf(dir), [
      "dataset.json: expected a JSON object (got an array)",
    ]);
  });
});

Deno.test("validateDataset: empty dataset", async () => {
  await withDataset(async (dir) => {
    await editManifest(dir, (m) => m.scans = []);
    const report = await validateDataset(dir);
    assert.deepEqual(report.problems, ["dataset.json scans: the dataset has no scans (got [])"]);
    assert.equal(report.scans, 0);
  });
});

Deno.test("validateDataset: duplicate scan ids", async () => {
  await withDataset(async (dir) => {
    await editManifest(dir, (m) => {
      (m.scans as Array<{ id: string }>)[2]!.id = "s01";
    });
    assert.deepEqual(await problemsOf(dir), [
      'dataset.json scans[2].id: duplicate scan id "s01" (also scans[0])',
    ]);
  });
});

Deno.test("validateDataset: scan without participant", async () => {
  await withDataset(async (dir) => {
    await editManifest(dir, (m) => {
      delete (m.scans as Array<{ participant?: string }>)[1]!.participant;
    });
    assert.deepEqual(await problemsOf(dir), [
      "dataset.json scans[1].participant: scan has no participant (got undefined)",
    ]);
  });
});

Deno.test("validateDataset: missing image and label files", async () => {
  await withDataset(async (dir) => {
    await Deno.remove(join(dir, "labelsTr/s02.nii.gz"));
    await Deno.remove(join(dir, "imagesUnlabeled/u01_0000.nii.gz"));
    assert.deepEqual(await problemsOf(dir), [
      'labelsTr/s02.nii.gz: file not found (label of scan "s02")',
      'imagesUnlabeled/u01_0000.nii.gz: file not found (image of scan "u01")',
    ]);
  });
});

Deno.test("validateDataset: label values outside 0-6, each with its voxel count", async () => {
  await withDataset(async (dir) => {
    const label = fixtureScan("s03", "p2", 3).label!;
    label.data.fill(7, 0, 3);
    label.data[10] = 255;
    await writeNifti(join(dir, "labelsTr/s03.nii.gz"), label);
    assert.deepEqual(await problemsOf(dir), [
      "labelsTr/s03.nii.gz: label value 7 outside 0-6 (3 voxels)",
      "labelsTr/s03.nii.gz: label value 255 outside 0-6 (1 voxels)",
    ]);
  });
});

Deno.test("validateDataset: many distinct bad label values are summarised after five", async () => {
  await withDataset(async (dir) => {
    const fixture = fixtureScan("s01", "p1", 1).label!;
    const label: Volume = { ...fixture, data: Float32Array.from(fixture.data) };
    for (let i = 0; i < 8; i++) label.data[i] = 10 + i; // 10..17
    label.data[8] = -1;
    label.data[9] = 2.5;
    await writeNifti(join(dir, "labelsTr/s01.nii.gz"), label);
    assert.deepEqual(await problemsOf(dir), [
      "labelsTr/s01.nii.gz: label value -1 outside 0-6 (1 voxels)",
      "labelsTr/s01.nii.gz: label value 2.5 outside 0-6 (1 voxels)",
      "labelsTr/s01.nii.gz: label value 10 outside 0-6 (1 voxels)",
      "labelsTr/s01.nii.gz: label value 11 outside 0-6 (1 voxels)",
      "labelsTr/s01.nii.gz: label value 12 outside 0-6 (1 voxels)",
      "labelsTr/s01.nii.gz: 5 more label values outside 0-6 (5 voxels, values 13 to 17)",
    ]);
  });
});

Deno.test("validateDataset: image/label shape mismatch", async () => {
  await withDataset(async (dir) => {
    const label = fixtureScan("s01", "p1", 1).label!;
    const cut: Volume = { ...label, data: label.data.slice(0, 6 * 3 * 7), shape: [6, 3, 7] };
    await writeNifti(join(dir, "labelsTr/s01.nii.gz"), cut);
    assert.deepEqual(await problemsOf(dir), [
      "labelsTr/s01.nii.gz: label shape [6, 3, 7] does not match image shape [6, 3, 8] of " +
      "imagesTr/s01_0000.nii.gz",
    ]);
  });
});

Deno.test("validateDataset: image/label spacing mismatch", async () => {
  await withDataset(async (dir) => {
    const label = fixtureScan("s01", "p1", 1).label!;
    label.spacing = [0.2, 0.5, 0.3];
    label.affine[2]![2] = 0.3;
    await writeNifti(join(dir, "labelsTr/s01.nii.gz"), label);
    assert.deepEqual(await problemsOf(dir), [
      "labelsTr/s01.nii.gz: label spacing [0.2, 0.5, 0.3] does not match image spacing " +
      "[0.2, 0.5, 0.1] of imagesTr/s01_0000.nii.gz",
    ]);
  });
});

/** Encodes `volume` with no spacing or geometry in its header. */
function withoutSpacing(volume: Volume): Uint8Array {
  const bytes = encodeNifti(volume);
  const view = new DataView(bytes.buffer);
  for (let i = 1; i <= 3; i++) view.setFloat32(76 + 4 * i, 0, true);
  view.setInt16(252, 0, true);
  view.setInt16(254, 0, true);
  return bytes;
}

Deno.test("validateDataset: missing spacing in both the header and the manifest", async () => {
  await withDataset(async (dir) => {
    await Deno.writeFile(
      join(dir, "imagesTr/s02_0000.nii.gz"),
      withoutSpacing(fixtureScan("s02", "p1", 2).image),
    );
    await editManifest(dir, (m) => delete m.spacing);
    assert.deepEqual(await problemsOf(dir), [
      "imagesTr/s02_0000.nii.gz: missing spacing: header pixdim[1..3] is [0, 0, 0] and " +
      "dataset.json has no spacing (got [0, 0, 0])",
    ]);
    // The manifest's default spacing fills the gap.
    await editManifest(dir, (m) => m.spacing = [0.2, 0.5, 0.1]);
    assert.deepEqual(await problemsOf(dir), []);
  });
});

Deno.test("validateDataset: NaN and infinite voxels are counted", async () => {
  await withDataset(async (dir) => {
    const image = fixtureScan("u01", "p3", 4, false).image;
    image.data[0] = NaN;
    image.data[5] = NaN;
    image.data[7] = -Infinity;
    await writeNifti(join(dir, "imagesUnlabeled/u01_0000.nii.gz"), image);
    assert.deepEqual(await problemsOf(dir), [
      "imagesUnlabeled/u01_0000.nii.gz: 3 non-finite voxels (2 NaN, 1 infinite)",
    ]);
  });
});

Deno.test("validateDataset: unreadable NIfTI files", async () => {
  await withDataset(async (dir) => {
    await Deno.writeTextFile(join(dir, "imagesTr/s01_0000.nii.gz"), "hello".repeat(100));
    const bytes = encodeNifti(fixtureScan("s03", "p2", 3).image);
    await Deno.writeFile(join(dir, "imagesTr/s03_0000.nii.gz"), bytes.subarray(0, 400));
    assert.deepEqual(await problemsOf(dir), [
      "imagesTr/s01_0000.nii.gz: not a NIfTI file: sizeof_hdr must be 348 or 540 (got 1819043176)",
      "imagesTr/s03_0000.nii.gz: truncated data: expected 576 bytes of voxels after offset 352 " +
      "for shape [6, 3, 8] float32 (got 48)",
    ]);
  });
});

Deno.test("validateDataset reports every problem of a broken dataset together", async () => {
  await withDataset(async (dir) => {
    await editManifest(dir, (m) => {
      const scans = m.scans as Array<Record<string, unknown>>;
      delete scans[0]!.participant;
      scans[3]!.id = "s02";
      m.fileEnding = ".png";
    });
    await Deno.remove(join(dir, "imagesTr/s02_0000.nii.gz"));
    const label = fixtureScan("s03", "p2", 3).label!;
    label.data[4] = 9;
    await writeNifti(join(dir, "labelsTr/s03.nii.gz"), label);
    const report = await validateDataset(dir);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems, [
      'dataset.json fileEnding: expected ".nii.gz" or ".nii" (got ".png")',
      "dataset.json scans[0].participant: scan has no participant (got undefined)",
      'dataset.json scans[3].id: duplicate scan id "s02" (also scans[1])',
      'imagesTr/s02_0000.nii.gz: file not found (image of scan "s02")',
      "labelsTr/s03.nii.gz: label value 9 outside 0-6 (1 voxels)",
    ]);
  });
});

Deno.test("validateDataset: a label whose affine is flipped against its image", async () => {
  await withDataset(async (dir) => {
    const label = fixtureScan("s01", "p1", 1).label!;
    label.affine[0] = [-0.2, 0, 0, 1]; // x flipped, same extent
    await writeNifti(join(dir, "labelsTr/s01.nii.gz"), label);
    assert.deepEqual(await problemsOf(dir), [
      "labelsTr/s01.nii.gz: label affine [[-0.2, 0, 0, 1], [0, 0.5, 0, 0], [0, 0, 0.1, 0]] does " +
      "not match image affine [[0.2, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 0.1, 0]] of " +
      "imagesTr/s01_0000.nii.gz (got a difference of 1 mm at row 0, column 3; tolerance " +
      "0.0005 mm)",
    ]);
    // A difference below the tolerance (1e-3 of the largest voxel size) passes.
    label.affine[0] = [0.2, 0, 0, 0.0001];
    await writeNifti(join(dir, "labelsTr/s01.nii.gz"), label);
    assert.deepEqual(await problemsOf(dir), []);
    const strict = await validateDataset(dir, { affineTolerance: 1e-5 });
    assert.equal(strict.problems.length, 1);
    assert.match(strict.problems[0]!, /column 3; tolerance 0\.000005 mm\)$/);
  });
});

Deno.test("validateDataset: the same image under two participants is reported", async () => {
  await withDataset(async (dir) => {
    await Deno.copyFile(
      join(dir, "imagesTr/s01_0000.nii.gz"),
      join(dir, "imagesTr/s03_0000.nii.gz"),
    );
    await Deno.copyFile(join(dir, "labelsTr/s01.nii.gz"), join(dir, "labelsTr/s03.nii.gz"));
    const problems = await problemsOf(dir);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^imagesTr\/s03_0000\.nii\.gz: same voxel data as imagesTr\/s01_0000\.nii\.gz \(scan "s03" of participant "p2" duplicates scan "s01" of participant "p1"; the same scan under two participants leaks between training and test; got SHA-256 [0-9a-f]{16}\.\.\.\)$/,
    );
    // The same file listed twice (same participant) is a duplicate too, without the leak note.
    await editManifest(dir, (json) => {
      const scans = json.scans as Record<string, unknown>[];
      scans[1]!.image = "imagesTr/s01_0000.nii.gz";
    });
    const again = await problemsOf(dir);
    assert.equal(again.length, 2);
    assert.match(
      again[1]!,
      /^imagesTr\/s03_0000\.nii\.gz: same voxel data as imagesTr\/s01_0000\.nii\.gz/,
    );
    assert.match(
      again[0]!,
      /^imagesTr\/s01_0000\.nii\.gz: same voxel data as imagesTr\/s01_0000\.nii\.gz \(scan "s02" of participant "p1" duplicates scan "s01" of participant "p1"; got/,
    );
  });
});

Deno.test("validateDataset: FIFOs, /dev/zero and links leaving the folder are reported, not read", async () => {
  await withDataset(async (dir) => {
    const fifo = join(dir, "imagesTr/s01_0000.nii.gz");
    await Deno.remove(fifo);
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await Deno.remove(join(dir, "labelsTr/s02.nii.gz"));
    await Deno.symlink("/dev/zero", join(dir, "labelsTr/s02.nii.gz"));
    const outside = await Deno.makeTempDir({ prefix: "grn_outside_" });
    try {
      await Deno.rename(join(dir, "imagesTr/s03_0000.nii.gz"), join(outside, "s03.nii.gz"));
      await Deno.symlink(join(outside, "s03.nii.gz"), join(dir, "imagesTr/s03_0000.nii.gz"));
      const real = await Deno.realPath(join(outside, "s03.nii.gz"));
      assert.deepEqual(await problemsOf(dir), [
        "imagesTr/s01_0000.nii.gz: not a regular file (got a FIFO (named pipe))",
        "labelsTr/s02.nii.gz: not a regular file (got a character device at /dev/zero)",
        `imagesTr/s03_0000.nii.gz: it is a symbolic link (or inside a linked folder) whose ` +
        `target leaves ${dir} (got ${real}); allow it explicitly with allowExternalLinks ` +
        "(--allow-external-links)",
      ]);
      const allowed = await validateDataset(dir, { allowExternalLinks: true });
      assert.deepEqual(allowed.problems, [
        "imagesTr/s01_0000.nii.gz: not a regular file (got a FIFO (named pipe))",
        "labelsTr/s02.nii.gz: not a regular file (got a character device at /dev/zero)",
      ]);
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("validateDataset: a gzip bomb is reported with the sizes, quickly", async () => {
  await withDataset(async (dir) => {
    const image = fixtureScan("s01", "p1", 1).image;
    const head = gzipSync(encodeNifti(image));
    const zeros = gzipSync(new Uint8Array(16 << 20));
    const bomb = new Uint8Array(head.length + 60 * zeros.length);
    bomb.set(head, 0);
    for (let i = 0; i < 60; i++) bomb.set(zeros, head.length + i * zeros.length);
    await Deno.writeFile(join(dir, "imagesTr/s01_0000.nii.gz"), bomb);
    const t0 = performance.now();
    const problems = await problemsOf(dir);
    assert.ok(performance.now() - t0 < 3000);
    const limit = 352 + 6 * 3 * 8 * 4 + (1 << 20);
    assert.deepEqual(problems, [
      `imagesTr/s01_0000.nii.gz: gzip data inflate to more than the header implies (expected at ` +
      `most ${limit} bytes: vox_offset 352 + 576 bytes of voxels for shape [6, 3, 8] float32 + ` +
      `a margin of 1048576; got more than ${limit}, decompression stopped)`,
    ]);
  });
});
