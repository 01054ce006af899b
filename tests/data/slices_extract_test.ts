import assert from "node:assert/strict";
import { extractSlices } from "../../data/slices_extract.ts";
import { readSlice, sliceGeometry } from "../../data/slices_geometry.ts";
import { applyWindow, robustWindow } from "../../data/slices_normalize.ts";
import { fitImageSlice } from "../../data/slices_fit.ts";
import { layeredScan, layerOf, volumeOf } from "./_volumes.ts";

Deno.test("extractSlices maps each slice to its scan, direction and index", () => {
  const a = layeredScan("a", "p1", [6, 5, 14]);
  const b = layeredScan("b", "p2", [4, 3, 14]);
  const set = extractSlices([a, b], { inputSize: [16, 8] });
  assert.equal(set.size, 5 + 6 + 3 + 4);
  assert.equal(set.hasLabels, true);
  assert.deepEqual([set.height, set.width], [16, 8]);
  const keys = set.info.map((s) => `${s.scanId}/${s.direction}/${s.index}/${s.rows}x${s.cols}`);
  assert.equal(keys[0], "a/coronal/0/14x6");
  assert.equal(keys[5], "a/sagittal/0/14x5");
  assert.equal(keys[11], "b/coronal/0/14x4");
  assert.equal(keys[17], "b/sagittal/3/14x3");
  assert.deepEqual(new Set(set.info.map((s) => s.participant)), new Set(["p1", "p2"]));
});

Deno.test("extractSlices with pad at native size reproduces the normalised plane exactly", () => {
  const scan = {
    id: "s",
    participant: "p",
    image: volumeOf([5, 4, 6], (x, y, z) => x + 10 * y + 100 * z, Float32Array),
  };
  const set = extractSlices([scan], { inputSize: [6, 5], fit: "pad", directions: ["coronal"] });
  const normalised = applyWindow(scan.image.data, robustWindow(scan.image.data));
  const g = sliceGeometry(scan.image.shape, "coronal");
  for (let k = 0; k < g.count; k++) {
    assert.deepEqual(set.image(k), readSlice(normalised, g, k));
  }
  assert.equal(set.hasLabels, false);
  for (const v of set.images) assert.ok(v >= -1 && v <= 1);
});

Deno.test("extractSlices resizes images bilinearly and labels by nearest", () => {
  const scan = layeredScan("s", "p", [6, 5, 14]);
  const set = extractSlices([scan], { inputSize: [28, 12], directions: ["sagittal"] });
  const normalised = applyWindow(scan.image.data, robustWindow(scan.image.data));
  const g = sliceGeometry(scan.image.shape, "sagittal");
  const expected = fitImageSlice(readSlice(normalised, g, 2), 14, 5, 28, 12, "resize");
  assert.deepEqual(set.image(2), expected);
  // Depth is upsampled 2x, so fitted row r shows native depth floor(r / 2).
  const lab = set.label(2)!;
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 12; c++) assert.equal(lab[r * 12 + c], layerOf(Math.floor(r / 2), 14));
  }
});

Deno.test("extractSlices honours every, directions and depthAxis", () => {
  const scan = layeredScan("s", "p", [7, 5, 14]);
  const set = extractSlices([scan], { inputSize: [8, 8], every: 3 });
  assert.deepEqual(
    set.info.map((s) => `${s.direction}${s.index}`),
    ["coronal0", "coronal3", "sagittal0", "sagittal3", "sagittal6"],
  );
  const image = volumeOf([3, 9, 4], (_x, y) => y, Float32Array, 1);
  const s2 = extractSlices([{ id: "d", participant: "p", image }], {
    inputSize: [9, 3],
    fit: "pad",
    directions: ["coronal"],
    percentiles: [0, 100],
  });
  // Depth along y: coronal fixes z (4 slices), rows run down y, so row r has y = r.
  assert.equal(s2.size, 4);
  const img = s2.image(1);
  for (let r = 0; r < 9; r++) {
    for (let c = 0; c < 3; c++) assert.equal(img[r * 3 + c], (r / 8) * 2 - 1);
  }
});

Deno.test("extractSlices label modes: auto, require and drop", () => {
  const a = layeredScan("a", "p1");
  const u = layeredScan("u", "p2", undefined, false);
  assert.equal(extractSlices([a, u], { inputSize: [8, 8] }).hasLabels, false);
  assert.equal(extractSlices([a], { inputSize: [8, 8] }).hasLabels, true);
  assert.equal(extractSlices([a], { inputSize: [8, 8], labels: "drop" }).hasLabels, false);
  assert.throws(
    () => extractSlices([a, u], { inputSize: [8, 8], labels: "require" }),
    /labels are required but 1 scans have none \(got u\)/,
  );
});

Deno.test("extractSlices rejects bad options and mismatched label shapes", () => {
  const a = layeredScan("a", "p1");
  assert.throws(() => extractSlices([a], { inputSize: [0, 8] }), /inputSize must be two/);
  assert.throws(() => extractSlices([a], { inputSize: [8, 8], directions: [] }), /not be empty/);
  assert.throws(() => extractSlices([a], { inputSize: [8, 8], every: 0 }), /every must be/);
  const bad = { ...a, label: volumeOf([6, 5, 13], () => 0, Uint8Array) };
  assert.throws(() => extractSlices([bad], { inputSize: [8, 8] }), /label shape must equal/);
});
