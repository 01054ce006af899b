import assert from "node:assert/strict";
import { predictScan } from "../../run/predict_scan.ts";
import { READOUT_CSV_COLUMNS } from "../../metrics/readout_to_csv.ts";
import { readNifti, readNiftiFile } from "../../data/nifti_read.ts";
import { writeNifti } from "../../data/nifti_write.ts";
import { trainTinyRun } from "./_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const run = await trainTinyRun(dir);
const input = `${dir}/ds/imagesTr/p01_s00_0000.nii.gz`;

Deno.test("predictScan() keeps a moved and rotated input's geometry and writes a CSV read-out", async () => {
  const image = await readNifti(input);
  const moved = {
    ...image,
    affine: [[0, -image.spacing[1], 0, 12], [image.spacing[0], 0, 0, -3], [
      0,
      0,
      image.spacing[2],
      7,
    ], [0, 0, 0, 1]],
  };
  const path = `${dir}/moved.nii`;
  await writeNifti(path, moved);
  const r = await predictScan({
    model: run,
    input: path,
    output: `${dir}/out.nii.gz`,
    readout: `${dir}/out.csv`,
    backend: "wasm",
  });
  const labels = await readNifti(`${dir}/out.nii.gz`);
  const original = await readNifti(path);
  assert.deepEqual(labels.shape, original.shape);
  assert.deepEqual(labels.spacing, original.spacing);
  assert.deepEqual(labels.affine, original.affine);
  assert.deepEqual(r.shape, original.shape);
  const csv = (await Deno.readTextFile(`${dir}/out.csv`)).trimEnd().split("\n");
  assert.equal(csv[0], READOUT_CSV_COLUMNS.join(","));
  assert.equal(csv.length, 1 + 6);
  assert.ok(csv[1]!.startsWith("moved,1,dermis,"));
});

Deno.test("predictScan() rejects SGE without a generator and non-NIfTI outputs", async () => {
  await assert.rejects(
    () => predictScan({ model: run, input, output: `${dir}/x.nii.gz`, sge: true, backend: "wasm" }),
    /Cannot predict with SGE: method supervised has no generator/,
  );
  await assert.rejects(
    () => predictScan({ model: run, input, output: `${dir}/x.png`, backend: "wasm" }),
    /Cannot predict: the output must end in \.nii, \.nii\.gz, \.nrrd, \.nhdr or \.seg\.nrrd \(got .*x\.png\)/,
  );
  await assert.rejects(
    () => predictScan({ model: run, input, output: `${dir}/x.nii`, readout: `${dir}/r.txt` }),
    /the read-out must end in \.json or \.csv/,
  );
  await assert.rejects(
    () => predictScan({ model: `${dir}/nowhere`, input, output: `${dir}/x.nii`, backend: "wasm" }),
    /Cannot load a model: no such run folder or checkpoint \(got .*nowhere\)/,
  );
});

Deno.test("predictScan() segments with the SGE-selected model under --sge, else with model.ckpt", async () => {
  const sel = await trainTinyRun(`${dir}/sel`, "grn-sel");
  const plain = await predictScan({
    model: sel,
    input,
    output: `${dir}/p.nii.gz`,
    backend: "wasm",
  });
  assert.equal(plain.checkpoint, `${sel}/model.ckpt`);
  assert.equal(plain.sge, false);
  const sge = await predictScan({
    model: sel,
    input,
    output: `${dir}/s.nii.gz`,
    sge: true,
    backend: "wasm",
  });
  assert.equal(sge.checkpoint, `${sel}/model_sge.ckpt`);
  assert.equal(sge.sge, true);
});

Deno.test("predictScan() writes the labels with the input's qform/sform codes and unit", async () => {
  const image = await readNifti(input);
  const path = `${dir}/micron.nii`;
  await writeNifti(path, image, { qformCode: 1, sformCode: 0, spatialUnit: "micron" });
  const output = `${dir}/micron_labels.nii`;
  await predictScan({ model: run, input: path, output, backend: "wasm" });
  const { volume, header } = await readNiftiFile(output);
  assert.equal(header.qformCode, 1);
  assert.equal(header.sformCode, 0);
  assert.equal(header.spatialUnit, "micron");
  assert.equal(header.dims[0], 3);
  const original = await readNiftiFile(path);
  assert.deepEqual(volume.shape, original.volume.shape);
  assert.deepEqual(volume.spacing, original.volume.spacing);
});
