import assert from "node:assert/strict";
import {
  countSlices,
  readSlice,
  sliceGeometry,
  sliceIndices,
  volumeSliceGeometry,
  writeSlice,
} from "../../data/slices_geometry.ts";
import { affineFromSpacing, voxelIndex } from "../../data/volume.ts";

const SHAPE: [number, number, number] = [5, 4, 6];
const value = (x: number, y: number, z: number) => x + 10 * y + 100 * z;
const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
for (let z = 0; z < SHAPE[2]; z++) {
  for (let y = 0; y < SHAPE[1]; y++) {
    for (let x = 0; x < SHAPE[0]; x++) data[voxelIndex(SHAPE, x, y, z)] = value(x, y, z);
  }
}

Deno.test("sliceGeometry coronal with depth along z fixes y, rows = z, columns = x", () => {
  const g = sliceGeometry(SHAPE, "coronal");
  assert.deepEqual([g.rowAxis, g.colAxis, g.fixedAxis], [2, 0, 1]);
  assert.deepEqual([g.rows, g.cols, g.count], [6, 5, 4]);
  const s = readSlice(data, g, 3);
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 5; c++) assert.equal(s[r * 5 + c], value(c, 3, r));
  }
});

Deno.test("sliceGeometry sagittal with depth along z fixes x, rows = z, columns = y", () => {
  const g = sliceGeometry(SHAPE, "sagittal");
  assert.deepEqual([g.rowAxis, g.colAxis, g.fixedAxis], [2, 1, 0]);
  assert.deepEqual([g.rows, g.cols, g.count], [6, 4, 5]);
  const s = readSlice(data, g, 2);
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 4; c++) assert.equal(s[r * 4 + c], value(2, c, r));
  }
});

Deno.test("sliceGeometry honours depthAxis: rows always run along depth", () => {
  // Depth along y: lateral axes are x (a) and z (b).
  const cor = sliceGeometry(SHAPE, "coronal", 1);
  assert.deepEqual([cor.rowAxis, cor.colAxis, cor.fixedAxis], [1, 0, 2]);
  const s = readSlice(data, cor, 5);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 5; c++) assert.equal(s[r * 5 + c], value(c, r, 5));
  }
  const sag = sliceGeometry(SHAPE, "sagittal", 0);
  assert.deepEqual([sag.rowAxis, sag.colAxis, sag.fixedAxis], [0, 2, 1]);
  const t = readSlice(data, sag, 1);
  for (let r = 0; r < 5; r++) {
    for (let c = 0; c < 6; c++) assert.equal(t[r * 6 + c], value(r, 1, c));
  }
  const vol = {
    data,
    shape: SHAPE,
    spacing: [1, 1, 1] as [number, number, number],
    affine: affineFromSpacing([1, 1, 1]),
    depthAxis: 1 as const,
  };
  assert.deepEqual(volumeSliceGeometry(vol, "coronal"), cor);
});

Deno.test("writeSlice inverts readSlice over every slice and direction", () => {
  for (const depthAxis of [0, 1, 2] as const) {
    for (const d of ["coronal", "sagittal"] as const) {
      const g = sliceGeometry(SHAPE, d, depthAxis);
      const rebuilt = new Float32Array(data.length).fill(-1);
      for (let k = 0; k < g.count; k++) writeSlice(rebuilt, g, k, readSlice(data, g, k));
      assert.deepEqual(rebuilt, data, `${d} depthAxis ${depthAxis}`);
    }
  }
});

Deno.test("readSlice keeps the array type and checks its arguments", () => {
  const g = sliceGeometry(SHAPE, "coronal");
  const labels = new Uint8Array(data.length).fill(3);
  const s = readSlice(labels, g, 0);
  assert.ok(s instanceof Uint8Array);
  assert.throws(() => readSlice(data, g, 4), /Cannot read slice: index must be .* \(got 4\)/);
  assert.throws(() => readSlice(data, g, 0, new Float32Array(3)), /output length must be 30/);
  assert.throws(() => writeSlice(data, g, 0, [1, 2]), /slice length must be 30/);
  assert.throws(() => sliceGeometry([0, 2, 2], "coronal"), /shape must be three positive/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => sliceGeometry(SHAPE, "axial" as any), /direction must be/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => sliceGeometry(SHAPE, "coronal", 3 as any), /depthAxis must be 0, 1 or 2/);
});

Deno.test("sliceIndices and countSlices thin slices with every", () => {
  assert.deepEqual(sliceIndices(7, 3), [0, 3, 6]);
  assert.deepEqual(sliceIndices(6, 3), [0, 3]);
  assert.deepEqual(sliceIndices(2), [0, 1]);
  assert.throws(() => sliceIndices(5, 0), /every must be a positive integer \(got 0\)/);
  assert.equal(countSlices(SHAPE), 4 + 5);
  assert.equal(countSlices(SHAPE, { every: 2 }), 2 + 3);
  assert.equal(countSlices(SHAPE, { directions: ["sagittal"], depthAxis: 0 }), 4);
});
