import assert from "node:assert/strict";
import { join } from "node:path";
import * as nifti from "nifti-reader-js";
import { encodeNifti, niftiWriteOptionsFromHeader, writeNifti } from "../../data/nifti_write.ts";
import { decodeNifti, readNifti } from "../../data/nifti_read.ts";
import type { NiftiDatatype } from "../../data/nifti_header.ts";
import type { Volume, VolumeArray } from "../../data/volume.ts";
import { Rng } from "../../engine/rng.ts";
import { assertClose } from "../_helpers.ts";

const SHAPE: [number, number, number] = [5, 4, 3];
const SPACING: [number, number, number] = [0.1, 0.2, 0.05];
const AFFINE = [
  [0.1, 0, 0, -12.3],
  [0, 0.2, 0, 4.5],
  [0, 0, 0.05, 0.7],
  [0, 0, 0, 1],
];

function labelVolume(seed = 1): Volume<Uint8Array> {
  const rng = new Rng(seed);
  const data = new Uint8Array(60);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(7);
  return { data, shape: [...SHAPE], spacing: [...SPACING], affine: AFFINE.map((r) => [...r]) };
}

function imageVolume(seed = 2): Volume<Float32Array> {
  const rng = new Rng(seed);
  const data = new Float32Array(60);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, 100);
  return { data, shape: [...SHAPE], spacing: [...SPACING], affine: AFFINE.map((r) => [...r]) };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_nifti_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const ending of [".nii", ".nii.gz"]) {
  Deno.test(`writeNifti/readNifti round-trip uint8 labels and float32 images (${ending})`, async () => {
    await withTempDir(async (dir) => {
      for (const volume of [labelVolume(), imageVolume()] as Volume[]) {
        const path = join(dir, `vol${ending}`);
        await writeNifti(path, volume);
        const back = await readNifti(path);
        assert.equal(back.data.constructor, volume.data.constructor);
        assert.deepEqual(back.data, volume.data);
        assert.deepEqual(back.shape, volume.shape);
        assert.deepEqual(back.spacing, volume.spacing);
        assert.deepEqual(back.affine, volume.affine);
        assert.equal(back.depthAxis, 2);
        const raw = await Deno.readFile(path);
        assert.equal(raw[0] === 0x1f && raw[1] === 0x8b, ending === ".nii.gz");
      }
      // Only the two files remain: no temporary files left behind.
      const names = [];
      for await (const e of Deno.readDir(dir)) names.push(e.name);
      assert.deepEqual(names, [`vol${ending}`]);
    });
  });
}

Deno.test("encodeNifti writes the NIfTI-1 layout that nifti-reader-js parses", () => {
  const volume = labelVolume();
  const bytes = encodeNifti(volume);
  assert.equal(bytes.length, 352 + 60);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getInt32(0, true), 348);
  assert.deepEqual([...bytes.subarray(344, 352)], [0x6e, 0x2b, 0x31, 0, 0, 0, 0, 0]);
  assert.ok(nifti.isNIFTI1(toArrayBuffer(bytes)));
  const h = nifti.readHeader(toArrayBuffer(bytes)) as nifti.NIFTI1;
  assert.equal(h.littleEndian, true);
  assert.deepEqual(h.dims, [3, 5, 4, 3, 1, 1, 1, 1]);
  assert.equal(h.datatypeCode, nifti.NIFTI1.TYPE_UINT8);
  assert.equal(h.numBitsPerVoxel, 8);
  assertClose(h.pixDims.slice(0, 4), [1, 0.1, 0.2, 0.05], 1e-7);
  assert.equal(h.vox_offset, 352);
  assert.equal(h.scl_slope, 1);
  assert.equal(h.scl_inter, 0);
  assert.equal(h.xyzt_units, nifti.NIFTI1.UNITS_MM);
  assert.equal(h.qform_code, 2);
  assert.equal(h.sform_code, 2);
  assert.equal(h.magic, "n+1");
  assert.equal(h.description, "grn");
  assertClose(h.affine.flat(), AFFINE.flat(), 1e-6, "sform via nifti-reader-js");
  const image = new Uint8Array(nifti.readImage(h, toArrayBuffer(bytes)));
  assert.deepEqual(image, volume.data);
});

Deno.test("encodeNifti writes a qform consistent with the sform (checked by nifti-reader-js)", () => {
  // A rotated, left-handed grid: 90 degrees about z, then z flipped.
  const affine = [
    [0, -0.2, 0, 10],
    [0.1, 0, 0, -5],
    [0, 0, -0.05, 3],
    [0, 0, 0, 1],
  ];
  const volume: Volume = { ...labelVolume(), affine };
  const bytes = encodeNifti(volume);
  // Drop the sform: nifti-reader-js then builds the affine from the qform alone.
  new DataView(bytes.buffer).setInt16(254, 0, true);
  const h = nifti.readHeader(toArrayBuffer(bytes)) as nifti.NIFTI1;
  assert.equal(h.sform_code, 0);
  assert.equal(h.pixDims[0], -1);
  assertClose(h.affine.flat(), affine.flat(), 1e-6, "qform via nifti-reader-js");
  // And our reader falls back to the same qform.
  const back = decodeNifti(bytes).volume;
  assertClose(back.affine.flat(), affine.flat(), 1e-6, "qform via readNifti");
  assert.deepEqual(back.spacing, [0.1, 0.2, 0.05]);
});

const TYPED: Array<[NiftiDatatype, (n: number) => VolumeArray, number[]]> = [
  ["uint8", (n) => new Uint8Array(n), [0, 255, 7]],
  ["int8", (n) => new Int8Array(n), [-128, 127, -3]],
  ["int16", (n) => new Int16Array(n), [-32768, 32767, 1234]],
  ["uint16", (n) => new Uint16Array(n), [0, 65535, 4321]],
  ["int32", (n) => new Int32Array(n), [-2147483648, 2147483647, -99]],
  ["uint32", (n) => new Uint32Array(n), [0, 4294967295, 77]],
  ["float32", (n) => new Float32Array(n), [-1.5, 3.25e10, Math.fround(0.1)]],
  ["float64", (n) => new Float64Array(n), [-1.5, 1e300, 0.1]],
];

for (const [name, make, extremes] of TYPED) {
  Deno.test(`encodeNifti/decodeNifti round-trip ${name} in both byte orders and both versions`, () => {
    const data = make(60);
    const rng = new Rng(3);
    for (let i = 0; i < 60; i++) data[i] = extremes[rng.int(extremes.length)]!;
    data.set(extremes, 0);
    const volume: Volume = { ...labelVolume(), data };
    for (const littleEndian of [true, false]) {
      for (const version of [1, 2] as const) {
        const bytes = encodeNifti(volume, { littleEndian, version, gzip: version === 2 });
        const { volume: back, header } = decodeNifti(bytes);
        assert.equal(header.version, version);
        assert.equal(header.littleEndian, littleEndian);
        assert.equal(header.datatype, name);
        assert.equal(back.data.constructor, data.constructor);
        assert.deepEqual(back.data, data, `${name} le=${littleEndian} v${version}`);
        assert.deepEqual(back.spacing, SPACING);
        assert.deepEqual(back.affine, AFFINE);
      }
    }
  });
}

Deno.test("encodeNifti NIfTI-2 header is parsed by nifti-reader-js", () => {
  const bytes = encodeNifti(imageVolume(), { version: 2 });
  assert.equal(bytes.length, 544 + 60 * 4);
  assert.ok(nifti.isNIFTI2(toArrayBuffer(bytes)));
  const h = nifti.readHeader(toArrayBuffer(bytes)) as nifti.NIFTI2;
  assert.deepEqual(h.dims, [3, 5, 4, 3, 1, 1, 1, 1]);
  assert.equal(h.datatypeCode, 16);
  assert.equal(h.numBitsPerVoxel, 32);
  assert.deepEqual(h.pixDims.slice(0, 4), [1, 0.1, 0.2, 0.05]);
  assert.equal(h.vox_offset, 544);
  assert.equal(h.sform_code, 2);
  assert.equal(h.qform_code, 2);
  assert.equal(h.xyzt_units, 2);
  assert.deepEqual(h.affine, AFFINE);
});

Deno.test("writeNifti converts float labels to uint8 when asked, and rejects values that do not fit", async () => {
  await withTempDir(async (dir) => {
    const labels = labelVolume();
    const asFloat: Volume = { ...labels, data: Float32Array.from(labels.data) };
    const path = join(dir, "l.nii.gz");
    await writeNifti(path, asFloat, { datatype: "uint8" });
    const back = await readNifti(path);
    assert.ok(back.data instanceof Uint8Array);
    assert.deepEqual(back.data, labels.data);
    asFloat.data[7] = 2.5;
    await assert.rejects(
      writeNifti(path, asFloat, { datatype: "uint8" }),
      { message: `Cannot write NIfTI file ${path}: value at index 7 does not fit uint8 (got 2.5)` },
    );
  });
});

Deno.test("writeNifti rejects inconsistent volumes with a message naming the file", async () => {
  const good = labelVolume();
  await assert.rejects(
    writeNifti("/nonexistent/x.nii", { ...good, spacing: [1, 0.2, 0.05] }),
    {
      message: "Cannot write NIfTI file /nonexistent/x.nii: affine column 0 has length 0.1, " +
        "which does not match spacing[0] (got spacing [1, 0.2, 0.05])",
    },
  );
  await assert.rejects(
    writeNifti("/nonexistent/x.nii", { ...good, data: new Uint8Array(59) }),
    {
      message: "Cannot write NIfTI file /nonexistent/x.nii: data length does not match shape " +
        "[5, 4, 3] = 60 voxels (got 59)",
    },
  );
  assert.throws(
    () =>
      encodeNifti({
        data: new Uint8Array(40000),
        shape: [40000, 1, 1],
        spacing: [1, 1, 1],
        affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
      }, { version: 1 }),
    {
      message: "Cannot encode NIfTI: NIfTI-1 sizes are limited to 32767; use version 2 " +
        "(got shape [40000, 1, 1])",
    },
  );
  await assert.rejects(writeNifti("/nonexistent/x.nii", good), (error: Error) => {
    assert.match(error.message, /^Cannot write NIfTI file \/nonexistent\/x\.nii: /);
    return true;
  });
});

Deno.test("writeNifti round-trips a large dimension through NIfTI-2", () => {
  const volume: Volume = {
    data: Uint8Array.from({ length: 40000 }, (_, i) => i % 7),
    shape: [40000, 1, 1],
    spacing: [1, 1, 1],
    affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  };
  const back = decodeNifti(encodeNifti(volume, { version: 2 })).volume;
  assert.deepEqual(back.shape, [40000, 1, 1]);
  assert.deepEqual(back.data, volume.data);
});

Deno.test("niftiWriteOptionsFromHeader keeps the input's qform and sform codes", () => {
  for (const [qformCode, sformCode] of [[1, 0], [0, 4], [3, 1], [0, 0]]) {
    const input = encodeNifti(imageVolume(), { qformCode, sformCode });
    const { header } = decodeNifti(input);
    assert.equal(header.qformCode, qformCode);
    assert.equal(header.sformCode, sformCode);
    const out = encodeNifti(labelVolume(), niftiWriteOptionsFromHeader(header));
    const back = decodeNifti(out);
    assert.equal(back.header.qformCode, qformCode, `qform ${qformCode}/${sformCode}`);
    assert.equal(back.header.sformCode, sformCode, `sform ${qformCode}/${sformCode}`);
    if (qformCode + sformCode > 0) {
      back.volume.affine.forEach((row, r) => assertClose(row, AFFINE[r]!, 1e-5));
    }
  }
  assert.throws(() => encodeNifti(labelVolume(), { qformCode: -1 }), {
    message: "Cannot encode NIfTI: qformCode must be an integer 0..4 (got -1)",
  });
});

Deno.test("encodeNifti keeps metre and micron units (values converted from mm)", () => {
  for (const [unit, code, scale] of [["meter", 1, 1e-3], ["micron", 3, 1e3]] as const) {
    const bytes = encodeNifti(imageVolume(), { spatialUnit: unit });
    const h = nifti.readHeader(toArrayBuffer(bytes)) as nifti.NIFTI1;
    assert.equal(h.xyzt_units & 7, code);
    assertClose(
      [h.pixDims[1]!, h.pixDims[2]!, h.pixDims[3]!],
      SPACING.map((s) => s * scale),
      1e-6 * (scale > 1 ? scale : 1),
    );
    assertClose(
      h.affine[0]!,
      AFFINE[0]!.map((v, c) => c < 4 ? v * scale : v),
      1e-3 * (scale > 1 ? scale : 1e-3),
    );
    const { volume, header } = decodeNifti(bytes);
    assert.equal(header.spatialUnit, unit);
    assertClose(volume.spacing, SPACING, 1e-6);
    volume.affine.forEach((row, r) => assertClose(row, AFFINE[r]!, 1e-5));
    // Through the header helper, a label written for this input keeps the unit.
    const out = decodeNifti(encodeNifti(labelVolume(), niftiWriteOptionsFromHeader(header)));
    assert.equal(out.header.spatialUnit, unit);
    assertClose(out.volume.spacing, SPACING, 1e-6);
  }
  const unknown = decodeNifti(encodeNifti(imageVolume(), { spatialUnit: "unknown" }));
  assert.equal(unknown.header.spatialUnit, "unknown");
  assertClose(unknown.volume.spacing, SPACING, 1e-6);
});

Deno.test("encodeNifti writes 2-D and 1-D files, and a 2-D input gives a 2-D output", () => {
  const flat: Volume<Uint8Array> = {
    data: Uint8Array.from({ length: 20 }, (_, i) => i % 7),
    shape: [5, 4, 1],
    spacing: [0.1, 0.2, 1],
    affine: [[0.1, 0, 0, 0], [0, 0.2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  };
  const input = decodeNifti(encodeNifti(flat, { dims: 2 }));
  assert.deepEqual(input.header.dims.slice(0, 4), [2, 5, 4, 1]);
  assert.deepEqual(input.volume.shape, [5, 4, 1]);
  const out = decodeNifti(encodeNifti(flat, niftiWriteOptionsFromHeader(input.header)));
  assert.equal(out.header.dims[0], 2);
  assert.deepEqual(out.volume.data, flat.data);
  // Default stays 3-D; a 4-D input with a single volume becomes 3-D.
  assert.equal(decodeNifti(encodeNifti(flat)).header.dims[0], 3);
  assert.equal(niftiWriteOptionsFromHeader({ ...input.header, dims: [4, 5, 4, 1, 1] }).dims, 3);
  const line: Volume<Uint8Array> = { ...flat, data: flat.data.slice(0, 5), shape: [5, 1, 1] };
  assert.equal(decodeNifti(encodeNifti(line, { dims: 1 })).header.dims[0], 1);
  assert.throws(() => encodeNifti(labelVolume(), { dims: 2 }), {
    message: "Cannot encode NIfTI: a 2-D file needs size 1 beyond axis 1 (got shape [5, 4, 3])",
  });
});

Deno.test("encodeNifti writes NIfTI-2 when a size needs it, and keeps a NIfTI-2 input's version", async () => {
  const wide: Volume = {
    data: Uint8Array.from({ length: 40000 }, (_, i) => i % 7),
    shape: [40000, 1, 1],
    spacing: [1, 1, 1],
    affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  };
  const bytes = encodeNifti(wide);
  assert.equal(new DataView(bytes.buffer).getInt32(0, true), 540);
  const { volume, header } = decodeNifti(bytes);
  assert.equal(header.version, 2);
  assert.deepEqual(volume.shape, [40000, 1, 1]);
  assert.equal(decodeNifti(encodeNifti(labelVolume())).header.version, 1);
  const small2 = decodeNifti(encodeNifti(labelVolume(), { version: 2 })).header;
  const out = encodeNifti(labelVolume(), niftiWriteOptionsFromHeader(small2));
  assert.equal(decodeNifti(out).header.version, 2);
  await withTempDir(async (dir) => {
    const path = join(dir, "wide.nii.gz");
    await writeNifti(path, wide);
    assert.deepEqual((await readNifti(path)).data, wide.data);
  });
});
