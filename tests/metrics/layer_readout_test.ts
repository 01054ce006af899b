import assert from "node:assert/strict";
import { affineFromSpacing, type Volume } from "../../data/volume.ts";
import { layerReadout } from "../../metrics/layer_readout.ts";

const NX = 6;
const NY = 5;
const NZ = 40;
const SPACING: [number, number, number] = [0.3, 0.25, 0.1];

/**
 * A layered phantom in NIfTI order, depth along z. Per column (x, y), from the skin down:
 * dermis 4 voxels, superficial fat 8 + x voxels, SFM 2, deep fat 5 (absent when x = 0: the SFM
 * then touches the DFM), DFM 3, muscle to the bottom. Image intensity = 10 · label + (z % 2).
 */
function phantom(): { labels: Volume<Uint8Array>; image: Volume<Float32Array> } {
  const labels = new Uint8Array(NX * NY * NZ);
  const image = new Float32Array(NX * NY * NZ);
  for (let y = 0; y < NY; y++) {
    for (let x = 0; x < NX; x++) {
      const runs: [number, number][] = [[1, 4], [2, 8 + x], [3, 2], [4, x === 0 ? 0 : 5], [5, 3]];
      let z = 0;
      for (const [label, n] of runs) {
        for (let k = 0; k < n; k++) labels[x + NX * (y + NY * z++)] = label;
      }
      while (z < NZ) labels[x + NX * (y + NY * z++)] = 6;
      for (let zz = 0; zz < NZ; zz++) {
        const i = x + NX * (y + NY * zz);
        image[i] = 10 * labels[i]! + (zz % 2);
      }
    }
  }
  const affine = affineFromSpacing(SPACING);
  return {
    labels: { data: labels, shape: [NX, NY, NZ], spacing: SPACING, affine },
    image: { data: image, shape: [NX, NY, NZ], spacing: SPACING, affine },
  };
}

function close(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${label}: ${actual} != ${expected}`);
}

Deno.test("layerReadout() measures the known thicknesses of a synthetic layered volume", () => {
  const { labels, image } = phantom();
  const r = layerReadout(labels, image, { id: "phantom" });
  assert.equal(r.id, "phantom");
  assert.equal(r.depthAxis, 2);
  assert.equal(r.depthSpacingMm, 0.1);
  assert.equal(r.columns, NX * NY);
  assert.deepEqual(r.layers.map((l) => l.label), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(r.layers.map((l) => l.name), [
    "dermis",
    "superficial fat",
    "superficial fascial membrane",
    "deep fat",
    "deep fascial membrane",
    "muscle",
  ]);
  const [dermis, fat, sfm, deep, dfm, muscle] = r.layers;
  // Constant layers: 4, 2, 3 voxels of 0.1 mm everywhere.
  for (const [layer, t] of [[dermis!, 0.4], [sfm!, 0.2], [dfm!, 0.3]] as const) {
    assert.equal(layer.presentFraction, 1);
    for (const v of Object.values(layer.thicknessMm)) close(v, t, layer.name);
  }
  // Superficial fat: 8..13 voxels (x = 0..5), 5 columns each -> 30 values 0.8..1.3 mm.
  // Sorted: five each of 0.8, 0.9, 1.0, 1.1, 1.2, 1.3. Median = (1.0 + 1.1) / 2;
  // p5 at position 29 · 0.05 = 1.45 -> 0.8; p95 at 27.55 -> 1.3.
  close(fat!.thicknessMm.median, 1.05, "fat median");
  close(fat!.thicknessMm.mean, 1.05, "fat mean");
  close(fat!.thicknessMm.min, 0.8, "fat min");
  close(fat!.thicknessMm.max, 1.3, "fat max");
  close(fat!.thicknessMm.p5, 0.8, "fat p5");
  close(fat!.thicknessMm.p95, 1.3, "fat p95");
  // Deep fat is absent from the x = 0 columns: present in 25 of 30.
  close(deep!.presentFraction, 25 / 30, "deep fat present fraction");
  assert.equal(deep!.columnsPresent, 25);
  close(deep!.thicknessMm.min, 0.5, "deep fat min (absent columns are not zeros)");
  assert.equal(deep!.voxels, 25 * 5);
  close(deep!.volumeMm3, 125 * 0.3 * 0.25 * 0.1, "deep fat volume");
  // Muscle fills the rest: 40 − (4 + 8 + x + 2 + 5 + 3) for x > 0 and 40 − (4 + 8 + 2 + 3) at x = 0.
  close(muscle!.thicknessMm.max, 2.3, "muscle max (x = 0)");
  close(muscle!.thicknessMm.min, 1.3, "muscle min (x = 5)");
  // Echogenicity: 10 · label + (z % 2).
  for (const layer of r.layers) {
    const values: number[] = [];
    for (let i = 0; i < labels.data.length; i++) {
      if (labels.data[i] === layer.label) values.push(image.data[i]!);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    close(layer.echogenicity!.mean, mean, `${layer.name} echo mean`);
    close(layer.echogenicity!.sd, sd, `${layer.name} echo sd`);
    assert.ok(Math.abs(layer.echogenicity!.mean - 10 * layer.label) <= 1);
  }
  // Dermis (z 0..3): intensities 10, 11, 10, 11 in every column -> mean 10.5.
  close(dermis!.echogenicity!.mean, 10.5, "dermis echo mean");
});

Deno.test("layerReadout() follows depthAxis and reports absent layers as NaN", () => {
  const { labels } = phantom();
  // Move depth to y: new volume [NX, NZ, NY] with (x, y', z') = (x, z, y).
  const moved = new Uint8Array(labels.data.length);
  for (let z = 0; z < NZ; z++) {
    for (let y = 0; y < NY; y++) {
      for (let x = 0; x < NX; x++) {
        moved[x + NX * (z + NZ * y)] = labels.data[x + NX * (y + NY * z)]!;
      }
    }
  }
  const spacing: [number, number, number] = [SPACING[0], SPACING[2], SPACING[1]];
  const vol: Volume = {
    data: moved,
    shape: [NX, NZ, NY],
    spacing,
    affine: affineFromSpacing(spacing),
    depthAxis: 1,
  };
  const a = layerReadout(labels);
  const b = layerReadout(vol);
  assert.equal(b.depthAxis, 1);
  assert.deepEqual(b.layers, a.layers);
  assert.equal(a.layers[0]!.echogenicity, null);
  // Depth along x instead: every "column" is a row of 6 voxels, so thicknesses change.
  const c = layerReadout(labels, undefined, { depthAxis: 0, layers: [1, 7] });
  close(c.layers[0]!.thicknessMm.median, 6 * 0.3, "dermis across x");
  assert.equal(c.layers[1]!.name, "label 7");
  assert.equal(c.layers[1]!.presentFraction, 0);
  assert.ok(Object.values(c.layers[1]!.thicknessMm).every(Number.isNaN));
});

Deno.test("layerReadout() rejects a mismatched image and bad labels", () => {
  const { labels, image } = phantom();
  const small: Volume = { ...image, data: new Float32Array(10), shape: [2, 5, 1] };
  assert.throws(() => layerReadout(labels, small), /image and labels must have the same shape/);
  const bad: Volume = { ...labels, data: Float32Array.from(labels.data, (v) => v + 0.5) };
  assert.throws(() => layerReadout(bad), /labels must be non-negative integers \(got 1.5/);
  assert.throws(() => layerReadout(labels, undefined, { layers: [] }), TypeError);
});
