import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkDatasetManifest,
  DATASET_LABELS,
  isValidScanId,
  loadDatasetManifest,
} from "../../data/dataset_manifest.ts";
import { withTempDir } from "./_dataset_fixture.ts";

const GOOD = {
  name: "D",
  labels: DATASET_LABELS,
  spacing: [0.1, 0.2, 0.3],
  depthAxis: 2,
  fileEnding: ".nii.gz",
  scans: [
    { id: "a", participant: "p", image: "imagesTr/a_0000.nii.gz", label: "labelsTr/a.nii.gz" },
    { id: "b", participant: "p", image: "imagesUnlabeled/b_0000.nii" },
  ],
};

Deno.test("checkDatasetManifest accepts a valid manifest and keeps its fields", () => {
  const { manifest, problems, usableScans } = checkDatasetManifest({ ...GOOD, extra: 1 });
  assert.deepEqual(problems, []);
  assert.deepEqual(manifest, {
    name: "D",
    labels: { ...DATASET_LABELS },
    spacing: [0.1, 0.2, 0.3],
    depthAxis: 2,
    fileEnding: ".nii.gz",
    scans: GOOD.scans,
  });
  assert.equal(usableScans.length, 2);
});

Deno.test("checkDatasetManifest reports every field problem at once", () => {
  const { manifest, problems, usableScans } = checkDatasetManifest(JSON.parse(JSON.stringify({
    name: "",
    labels: { ...DATASET_LABELS, "7": "bone", "3": "", "6": undefined },
    spacing: [0.1, -1, 0.3],
    depthAxis: 3,
    fileEnding: ".png",
    numLabeled: 5,
    scans: [
      { id: "a", participant: "p", image: "/abs/a.nii.gz" },
      { id: "a b", participant: "p", image: "imagesTr/x.nii.gz" },
      { id: "c", image: "../c.nii", label: "labelsTr/c.png" },
      { id: "d", participant: "q", image: "imagesTr/d_0000.nii.gz" },
      { id: "d", participant: "q", image: "imagesTr/d2_0000.nii.gz" },
      42,
    ],
  })));
  assert.equal(manifest, undefined);
  assert.deepEqual(problems, [
    'dataset.json name: expected a non-empty string (got "")',
    'dataset.json labels["3"]: expected a non-empty name (got "")',
    'dataset.json labels: label index outside 0-6 (got "7")',
    'dataset.json labels: missing label 6 (got keys ["0","1","2","3","4","5","7"])',
    "dataset.json spacing: expected three positive numbers in mm (got [0.1, -1, 0.3])",
    "dataset.json depthAxis: expected 0, 1 or 2 (got 3)",
    'dataset.json fileEnding: expected ".nii.gz" or ".nii" (got ".png")',
    'dataset.json scans[0].image: expected a path inside the dataset folder (got "/abs/a.nii.gz")',
    'dataset.json scans[1].id: expected letters, digits, ".", "_" or "-", starting with a letter ' +
    'or digit (got "a b")',
    "dataset.json scans[2].participant: scan has no participant (got undefined)",
    'dataset.json scans[2].image: expected a path inside the dataset folder (got "../c.nii")',
    'dataset.json scans[2].label: expected a path ending in .nii, .nii.gz, .nrrd, .nhdr, .seg.nrrd or .mat (got "labelsTr/c.png")',
    'dataset.json scans[4].id: duplicate scan id "d" (also scans[3])',
    "dataset.json scans[5]: expected an object (got 42)",
    "dataset.json numLabeled: does not match the 1 labeled scans listed (got 5)",
  ]);
  // Only "d" (scans[3]) has a valid id and image path for file checks.
  assert.deepEqual(usableScans.map((s) => s.index), [3]);
});

Deno.test("isValidScanId accepts file-name-safe ids only", () => {
  for (const id of ["s01", "A.b-c_d", "0"]) assert.ok(isValidScanId(id), id);
  for (const id of ["", ".hidden", "a/b", "a b", "-x", 3]) {
    assert.ok(!isValidScanId(id), String(id));
  }
});

Deno.test("loadDatasetManifest reads dataset.json and names the file in errors", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "dataset.json");
    await assert.rejects(loadDatasetManifest(dir), (e: Error) => {
      assert.match(e.message, new RegExp(`^Cannot load dataset manifest ${path}: `));
      return true;
    });
    await Deno.writeTextFile(path, JSON.stringify(GOOD));
    assert.equal((await loadDatasetManifest(dir)).scans.length, 2);
    await Deno.writeTextFile(path, JSON.stringify({ ...GOOD, name: 3, scans: [] }));
    await assert.rejects(loadDatasetManifest(dir), {
      message: `Cannot load dataset manifest ${path}: 2 problems: dataset.json name: expected a ` +
        "non-empty string (got 3); dataset.json scans: the dataset has no scans (got [])",
    });
    await Deno.writeTextFile(path, "{ not json");
    await assert.rejects(loadDatasetManifest(dir), (e: Error) => {
      assert.ok(e instanceof SyntaxError);
      assert.match(
        e.message,
        new RegExp(`^Cannot load dataset manifest ${path}: invalid JSON \\(`),
      );
      return true;
    });
  });
});
