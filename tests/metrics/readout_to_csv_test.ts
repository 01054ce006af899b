import assert from "node:assert/strict";
import { affineFromSpacing, type Volume } from "../../data/volume.ts";
import { layerReadout } from "../../metrics/layer_readout.ts";
import { READOUT_CSV_COLUMNS, readoutToCsv } from "../../metrics/readout_to_csv.ts";

function column(labels: number[], spacing: [number, number, number]): Volume {
  return {
    data: Uint8Array.from(labels),
    shape: [1, 1, labels.length],
    spacing,
    affine: affineFromSpacing(spacing),
  };
}

Deno.test("readoutToCsv() writes one line per scan and layer with the documented columns", () => {
  const sp: [number, number, number] = [1, 1, 0.5];
  const a = column([1, 1, 2, 6], sp);
  const img: Volume = { ...a, data: Float32Array.from([4, 6, 1, 9]) };
  const ra = layerReadout(a, img, { id: "scan,A", layers: [1, 3] });
  const rb = layerReadout(column([1, 2, 2, 2], sp), undefined, { id: "B", layers: [2] });
  const lines = readoutToCsv([ra, rb]).split("\n");
  assert.equal(lines[0], READOUT_CSV_COLUMNS.join(","));
  // dermis: 2 voxels x 0.5 mm; echo 4, 6 -> mean 5, sd √2.
  assert.equal(lines[1], `"scan,A",1,dermis,1,1,1,1,1,1,1,1,2,1,5,${Math.SQRT2}`);
  // SFM absent: NaN thickness, empty echo NaN spelled out.
  assert.equal(
    lines[2],
    '"scan,A",3,superficial fascial membrane,0,0,NaN,NaN,NaN,NaN,NaN,NaN,0,0,NaN,NaN',
  );
  assert.equal(lines[3], "B,2,superficial fat,1,1,1.5,1.5,1.5,1.5,1.5,1.5,3,1.5,,");
  assert.equal(lines.length, 5);
  assert.equal(lines[4], "");
  // A single read-out is accepted as well.
  assert.equal(readoutToCsv(rb), [lines[0], lines[3], ""].join("\n"));
});
