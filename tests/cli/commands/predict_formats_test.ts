import assert from "node:assert/strict";
import { readNrrdFile } from "../../../data/nrrd/nrrd_read.ts";
import { readSegNrrd } from "../../../data/nrrd/seg_nrrd_read.ts";
import { writeMat } from "../../../data/matlab/mat5_write.ts";
import { readNifti } from "../../../data/nifti_read.ts";
import { LAYER_PALETTE } from "../../../data/phantom/palette.ts";
import { runMain } from "../_cli.ts";
import { trainTinyRun } from "../_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const run = await trainTinyRun(dir);
const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;

Deno.test("grn predict segments a MAT v7.3 scan into a .seg.nrrd with 3D Slicer's segment fields", async () => {
  const out = `${dir}/mat73.seg.nrrd`;
  const r = await runMain([
    "predict",
    run,
    `${FIXTURES}/mat73.mat`,
    "--var",
    "img",
    "-o",
    out,
    "--backend",
    "wasm",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const { volume, header } = await readNrrdFile(out);
  assert.deepEqual(volume.shape, [5, 4, 3]);
  assert.deepEqual(volume.spacing.map((s) => Number(s.toFixed(12))), [0.2, 0.3, 0.1]); // from the file's "spacing"
  assert.equal(header.type, "uint8");
  assert.equal(header.space, "left-posterior-superior");
  const kv = header.keyValues;
  for (const key of ["Segmentation_MasterRepresentation", "Segmentation_SourceRepresentation"]) {
    assert.equal(kv[key], "Binary labelmap");
  }
  assert.equal(kv["Segmentation_ContainedRepresentationNames"], "Binary labelmap|");
  assert.equal(kv["Segmentation_ReferenceImageExtentOffset"], "0 0 0");
  const names = [
    "dermis",
    "superficial fat",
    "superficial fascial membrane",
    "deep fat",
    "deep fascial membrane",
    "muscle",
  ];
  names.forEach((name, n) => {
    assert.equal(kv[`Segment${n}_Name`], name);
    assert.equal(kv[`Segment${n}_LabelValue`], String(n + 1));
    assert.equal(kv[`Segment${n}_Layer`], "0");
    assert.match(kv[`Segment${n}_Extent`]!, /^-?\d+ -?\d+ -?\d+ -?\d+ -?\d+ -?\d+$/);
    const rgb = kv[`Segment${n}_Color`]!.split(" ").map((c) => Math.round(Number(c) * 255));
    assert.deepEqual(rgb, [...LAYER_PALETTE[n + 1]!]);
  });
  assert.ok(volume.data.every((v) => v <= 6));
  const seg = await readSegNrrd(out);
  assert.deepEqual(seg.volume.data, volume.data);
});

Deno.test("grn predict gives a phantom scan the same labels from NIfTI and from a MAT file", async () => {
  const nifti = `${dir}/ds/imagesTr/p01_s00_0000.nii.gz`;
  const image = await readNifti(nifti);
  await writeMat(`${dir}/scan.mat`, image, { variable: "ImgData" });
  const a = await runMain(["predict", run, nifti, "-o", `${dir}/a.nii.gz`, "--backend", "wasm"]);
  const b = await runMain([
    "predict",
    run,
    `${dir}/scan.mat`,
    "-o",
    `${dir}/b.nrrd`,
    "--backend",
    "wasm",
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const la = await readNifti(`${dir}/a.nii.gz`);
  const lb = (await readNrrdFile(`${dir}/b.nrrd`)).volume;
  assert.deepEqual(lb.data, la.data);
  assert.deepEqual(lb.affine, la.affine);
});
