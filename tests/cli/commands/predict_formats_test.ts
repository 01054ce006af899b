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

Deno.test("grn predict reads ImgData{1} of a cell (the only 3-D array, or a frame by --frame) and takes the depth axis from --depth-axis, else the sidecar, else the run", async () => {
  const scan = `${dir}/vantage.mat`;
  await Deno.copyFile(`${FIXTURES}/mat73_cell.mat`, scan);
  await Deno.writeTextFile(
    `${dir}/vantage.json`,
    JSON.stringify({ depthAxis: 0, spacingVariable: "P.spacing" }),
  );
  const predict = async (input: string, out: string, ...more: string[]) => {
    const r = await runMain([
      "predict",
      run,
      input,
      "-o",
      `${dir}/${out}`,
      "--backend",
      "wasm",
      "--json",
      ...more,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  let r = await predict(scan, "v1.nrrd");
  assert.deepEqual(r.mat, {
    variable: "ImgData{1}",
    variableFrom: "only candidate",
    frame: 1,
    frames: 1,
  });
  assert.deepEqual([r.depthAxis, r.depthAxisFrom], [0, "sidecar"]);
  assert.deepEqual(r.spacing.map((s: number) => Number(s.toFixed(12))), [0.2, 0.3, 0.1]);
  r = await predict(scan, "v2.nrrd", "--depth-axis", "1");
  assert.deepEqual([r.depthAxis, r.depthAxisFrom], [1, "option"]);
  await Deno.remove(`${dir}/vantage.json`);
  r = await predict(scan, "v3.nrrd", "--spacing", "1,1,1");
  assert.deepEqual([r.depthAxis, r.depthAxisFrom], [2, "run"]); // the tiny run's dataset axis

  r = await predict(
    `${FIXTURES}/mat5_frames.mat`,
    "f2.nrrd",
    "--var",
    "ImgData{1}",
    "--frame",
    "2",
    "--spacing-var",
    "P.spacing",
  );
  assert.deepEqual(r.mat, { variable: "ImgData{1}", variableFrom: "option", frame: 2, frames: 2 });
  assert.deepEqual(r.shape, [5, 4, 3]);

  const text = await runMain([
    "predict",
    run,
    `${FIXTURES}/mat5_frames.mat`,
    "-o",
    `${dir}/f3.nrrd`,
    "--var",
    "ImgData{1}",
    "--frame",
    "3",
    "--spacing",
    "1,1,1",
    "--backend",
    "wasm",
  ]);
  assert.equal(text.code, 1);
  assert.match(
    text.stderr,
    /Cannot read MAT file .*mat5_frames\.mat: frame 3 of ImgData\{1\} is out of range: it has 2 frames/,
  );
  const ok = await runMain([
    "predict",
    run,
    scan,
    "-o",
    `${dir}/v4.nrrd`,
    "--spacing",
    "1,1,1",
    "--depth-axis",
    "0",
    "--backend",
    "wasm",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /Scan: ImgData\{1\} \(the only 3-D array\); depth along axis 0 \(option\)/,
  );
});
