import assert from "node:assert/strict";
import { join } from "node:path";
import { writeDataset } from "../../data/dataset_write.ts";
import { DATASET_LABELS } from "../../data/dataset_manifest.ts";
import { readNifti } from "../../data/nifti_read.ts";
import type { ScanRecord } from "../../data/scan.ts";
import { FIXTURE_SPACING, fixtureScan, fixtureScans, withTempDir } from "./_dataset_fixture.ts";

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...await listTree(join(dir, e.name), `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

Deno.test("writeDataset lays out imagesTr, labelsTr, imagesUnlabeled and dataset.json", async () => {
  await withTempDir(async (dir) => {
    const scans = fixtureScans();
    const manifest = await writeDataset(dir, { name: "Fixture", description: "test" }, scans);
    assert.deepEqual(await listTree(dir), [
      "dataset.json",
      "imagesTr/s01_0000.nii.gz",
      "imagesTr/s02_0000.nii.gz",
      "imagesTr/s03_0000.nii.gz",
      "imagesUnlabeled/u01_0000.nii.gz",
      "labelsTr/s01.nii.gz",
      "labelsTr/s02.nii.gz",
      "labelsTr/s03.nii.gz",
    ]);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "dataset.json")));
    assert.deepEqual(json, {
      name: "Fixture",
      description: "test",
      labels: DATASET_LABELS,
      spacing: FIXTURE_SPACING,
      depthAxis: 2,
      fileEnding: ".nii.gz",
      numLabeled: 3,
      numUnlabeled: 1,
      scans: [
        {
          id: "s01",
          participant: "p1",
          image: "imagesTr/s01_0000.nii.gz",
          label: "labelsTr/s01.nii.gz",
        },
        {
          id: "s02",
          participant: "p1",
          image: "imagesTr/s02_0000.nii.gz",
          label: "labelsTr/s02.nii.gz",
        },
        {
          id: "s03",
          participant: "p2",
          image: "imagesTr/s03_0000.nii.gz",
          label: "labelsTr/s03.nii.gz",
        },
        { id: "u01", participant: "p3", image: "imagesUnlabeled/u01_0000.nii.gz" },
      ],
    });
    assert.deepEqual(manifest.scans, json.scans);
    const label = await readNifti(join(dir, "labelsTr/s02.nii.gz"));
    assert.ok(label.data instanceof Uint8Array);
    assert.deepEqual(label.data, scans[1]!.label!.data);
    const image = await readNifti(join(dir, "imagesUnlabeled/u01_0000.nii.gz"));
    assert.deepEqual(image.data, scans[3]!.image.data);
  });
});

Deno.test("writeDataset streams an async generator and writes .nii when asked", async () => {
  await withTempDir(async (dir) => {
    let produced = 0;
    async function* generate(): AsyncGenerator<ScanRecord> {
      for (let i = 0; i < 3; i++) {
        produced++;
        await Promise.resolve();
        yield fixtureScan(`g${i}`, `p${i}`, 10 + i);
      }
    }
    const manifest = await writeDataset(dir, { name: "Gen", fileEnding: ".nii" }, generate());
    assert.equal(produced, 3);
    assert.deepEqual(manifest.scans.map((s) => s.image), [
      "imagesTr/g0_0000.nii",
      "imagesTr/g1_0000.nii",
      "imagesTr/g2_0000.nii",
    ]);
    const raw = await Deno.readFile(join(dir, "imagesTr/g1_0000.nii"));
    assert.equal(new DataView(raw.buffer).getInt32(0, true), 348);
  });
});

Deno.test("writeDataset omits the default spacing when scans differ", async () => {
  await withTempDir(async (dir) => {
    const a = fixtureScan("a", "p", 1);
    const b = fixtureScan("b", "p", 2);
    b.image.spacing = [0.3, 0.5, 0.1];
    b.image.affine[0]![0] = 0.3;
    b.label!.spacing = [0.3, 0.5, 0.1];
    b.label!.affine[0]![0] = 0.3;
    const manifest = await writeDataset(dir, { name: "Mixed" }, [a, b]);
    assert.equal(manifest.spacing, undefined);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "dataset.json")));
    assert.equal("spacing" in json, false);
  });
});

Deno.test("writeDataset refuses an existing dataset unless overwrite, which clears old files", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { name: "One" }, fixtureScans());
    await assert.rejects(writeDataset(dir, { name: "Two" }, [fixtureScan("x", "p", 9)]), {
      message: `Cannot write dataset ${dir}: the folder already holds a dataset; pass overwrite: ` +
        `true to replace it (got ${join(dir, "dataset.json")})`,
    });
    await writeDataset(dir, { name: "Two" }, [fixtureScan("x", "p", 9)], { overwrite: true });
    assert.deepEqual(await listTree(dir), [
      "dataset.json",
      "imagesTr/x_0000.nii.gz",
      "labelsTr/x.nii.gz",
    ]);
  });
});

Deno.test("writeDataset rejects bad scans with a message naming the scan", async () => {
  await withTempDir(async (dir) => {
    const bad = fixtureScan("s01", "p1", 1);
    bad.label!.data[5] = 9;
    const cases: Array<[ScanRecord[], string]> = [
      [
        [fixtureScan("s01", "p1", 1), fixtureScan("s01", "p2", 2)],
        'scan "s01": duplicate scan id (got "s01")',
      ],
      [
        [fixtureScan("bad/id", "p1", 1)],
        'scan id must be letters, digits, ".", "_" or "-", starting with a letter or digit (got "bad/id")',
      ],
      [[fixtureScan("s01", "", 1)], 'scan "s01": participant must be a non-empty string (got "")'],
      [[bad], 'scan "s01": label values must be integers 0..6 (got 9 in 1 voxels)'],
      [[], "no scans to write (got 0)"],
    ];
    for (const [scans, message] of cases) {
      await assert.rejects(writeDataset(dir, { name: "Bad" }, scans), {
        message: `Cannot write dataset ${dir}: ${message}`,
      });
      // No manifest is left behind by a failed write.
      await assert.rejects(Deno.stat(join(dir, "dataset.json")), Deno.errors.NotFound);
    }
  });
});

Deno.test("writeDataset never writes into a non-empty folder that is not a dataset, even with overwrite", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "imagesTr"));
    await Deno.writeTextFile(join(dir, "imagesTr", "mine.nii.gz"), "user's scan");
    await Deno.writeTextFile(join(dir, "notes.txt"), "user's notes");
    for (const overwrite of [false, true]) {
      await assert.rejects(writeDataset(dir, { name: "X" }, fixtureScans(), { overwrite }), {
        message: `Cannot write dataset ${dir}: the folder is not empty and holds no dataset ` +
          "(got imagesTr, notes.txt); choose a new or empty folder",
      });
    }
    assert.equal(await Deno.readTextFile(join(dir, "imagesTr", "mine.nii.gz")), "user's scan");
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(join(dir, "imagesTr")))).map((e) => e.name),
      ["mine.nii.gz"],
    );
  });
});
