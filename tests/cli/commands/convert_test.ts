import assert from "node:assert/strict";
import { join } from "node:path";
import { readNifti } from "../../../data/nifti_read.ts";
import { writeNifti } from "../../../data/nifti_write.ts";
import { readMatFile } from "../../../data/matlab/mat_read.ts";
import { readNrrdFile } from "../../../data/nrrd/nrrd_read.ts";
import { readSegNrrd } from "../../../data/nrrd/seg_nrrd_read.ts";
import { errorLines, runMain } from "../_cli.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_convert_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("grn convert: MAT v7.3 → NIfTI → MAT and NRRD → NIfTI → NRRD keep data and geometry", async () => {
  await withTempDir(async (dir) => {
    let r = await runMain([
      "convert",
      join(FIXTURES, "mat73.mat"),
      join(dir, "a.nii.gz"),
      "--var",
      "img",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual([result.from, result.to, result.variable], ["mat", "nifti", "img"]);
    const nifti = await readNifti(join(dir, "a.nii.gz"));
    assert.deepEqual([nifti.shape, nifti.spacing], [[5, 4, 3], [0.2, 0.3, 0.1]]);
    assert.equal(nifti.data[1], 1.5);
    r = await runMain(["convert", join(dir, "a.nii.gz"), join(dir, "b.mat")]);
    assert.equal(r.code, 0, r.stderr);
    const back = await readMatFile(join(dir, "b.mat"));
    assert.deepEqual(back.volume.data, nifti.data);
    assert.deepEqual(back.volume.affine, nifti.affine);

    r = await runMain(["convert", join(FIXTURES, "volume_lps.nrrd"), join(dir, "c.nii")]);
    assert.equal(r.code, 0, r.stderr);
    r = await runMain(["convert", join(dir, "c.nii"), join(dir, "d.nrrd")]);
    assert.equal(r.code, 0, r.stderr);
    const original = await readNrrdFile(join(FIXTURES, "volume_lps.nrrd"));
    const twice = await readNrrdFile(join(dir, "d.nrrd"));
    assert.deepEqual(twice.volume.data, original.volume.data);
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 4; k++) {
        assert.ok(Math.abs(twice.volume.affine[i]![k]! - original.volume.affine[i]![k]!) < 1e-6);
      }
    }
    assert.equal(twice.header.space, "left-posterior-superior");
  });
});

Deno.test("grn convert: labels to .seg.nrrd, and clear errors for a MAT file without a choice or spacing", async () => {
  await withTempDir(async (dir) => {
    const data = Uint8Array.from({ length: 4 * 4 * 7 }, (_, i) => Math.floor(i / 16));
    const spacing: [number, number, number] = [0.5, 0.5, 0.25];
    await writeNifti(join(dir, "labels.nii.gz"), {
      data,
      shape: [4, 4, 7],
      spacing,
      affine: [[0.5, 0, 0, 1], [0, 0.5, 0, 2], [0, 0, 0.25, 3], [0, 0, 0, 1]],
    });
    let r = await runMain(["convert", join(dir, "labels.nii.gz"), join(dir, "labels.seg.nrrd")]);
    assert.equal(r.code, 0, r.stderr);
    const seg = await readSegNrrd(join(dir, "labels.seg.nrrd"));
    assert.deepEqual(seg.volume.data, data);
    assert.equal(seg.segments.length, 6);

    r = await runMain(["convert", join(FIXTURES, "mat5_plain.mat"), join(dir, "x.nii")]);
    assert.equal(r.code, 1);
    assert.match(
      errorLines(r.stderr)[0]!,
      /it holds several 3-D numeric arrays; choose one with variable \(--var\) \(got img \[5x4x3 single\], img2 \[5x4x3 int16\]\)/,
    );
    r = await runMain([
      "convert",
      join(FIXTURES, "mat5_plain.mat"),
      join(dir, "x.nii"),
      "--var",
      "img2",
    ]);
    assert.equal(r.code, 1);
    assert.match(
      errorLines(r.stderr)[0]!,
      /no voxel spacing for img2 \[5x4x3 int16\]: give it in mm with spacing \(--spacing 0\.1,0\.1,0\.2\)/,
    );
    r = await runMain([
      "convert",
      join(FIXTURES, "mat5_plain.mat"),
      join(dir, "x.nii"),
      "--var",
      "img2",
      "--spacing",
      "1,2,3",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readNifti(join(dir, "x.nii"))).spacing, [1, 2, 3]);

    r = await runMain(["convert", join(dir, "x.nii"), join(dir, "x.nii")]);
    assert.equal(r.code, 2);
    r = await runMain(["convert", join(FIXTURES, "mat73.mat"), join(dir, "x.nii"), "--var", "img"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the output exists; pass --overwrite to replace it/);
    r = await runMain(["convert", join(dir, "x.nii"), join(dir, "x.png")]);
    assert.equal(r.code, 2);
  });
});

Deno.test("grn convert: a frame of ImgData{1} with --spacing-var P.spacing and --depth-axis, kept in a .mat output", async () => {
  await withTempDir(async (dir) => {
    let r = await runMain([
      "convert",
      join(FIXTURES, "mat73_frames.mat"),
      join(dir, "f2.mat"),
      "--var",
      "ImgData{1}",
      "--frame",
      "2",
      "--spacing-var",
      "P.spacing",
      "--depth-axis",
      "0",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(
      [result.variable, result.frame, result.frames, result.depthAxis, result.depthAxisFrom],
      ["ImgData{1}", 2, 2, 0, "option"],
    );
    const back = await readMatFile(join(dir, "f2.mat"));
    assert.deepEqual([back.volume.shape, back.volume.spacing], [[5, 4, 3], [0.2, 0.3, 0.1]]);
    assert.equal(back.volume.data[1], 1001.5); // frame 2 = the ramp + 1000
    assert.deepEqual([back.volume.depthAxis, back.depthAxisFrom], [0, "file"]);
    // The depth axis travels on: the .mat file's wins over the default, the flag over both.
    r = await runMain(["convert", join(dir, "f2.mat"), join(dir, "f2.nii"), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [JSON.parse(r.stdout).depthAxis, JSON.parse(r.stdout).depthAxisFrom],
      [0, "file"],
    );
    r = await runMain(["convert", join(dir, "f2.mat"), join(dir, "f3.nii")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /depth along axis 0 \(not stored in this format\)/);

    r = await runMain([
      "convert",
      join(FIXTURES, "mat5_cell.mat"),
      join(dir, "c.nii"),
      "--spacing",
      "1,1,1",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /variable ImgData\{1\}, the only 3-D array → nifti/);
    r = await runMain(["convert", join(FIXTURES, "mat5_frames.mat"), join(dir, "x.nii")]);
    assert.equal(r.code, 1);
    assert.match(
      errorLines(r.stderr)[0]!,
      /several 3-D numeric arrays; choose one with variable \(--var\) \(got ImgData\{1\} \[5x4x3x2 single\], RcvData\{1\} \[6x4x2 int16\]\)/,
    );
  });
});
