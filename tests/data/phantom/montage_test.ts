import assert from "node:assert/strict";
import { decode } from "fast-png";
import { encodeRgbaPng, renderPhantomMontage } from "../../../data/phantom/montage.ts";
import { LAYER_PALETTE } from "../../../data/phantom/palette.ts";
import { affineFromSpacing, type Volume } from "../../../data/volume.ts";

function volume<T extends Float32Array | Uint8Array>(
  data: T,
  shape: [number, number, number],
  spacing: [number, number, number],
): Volume<T> {
  return { data, shape, spacing, affine: affineFromSpacing(spacing) };
}

/** A 4 x 2 x 6 scan: label = depth index (0..5), image = x / 3 (a lateral ramp). */
function rampScan() {
  const shape: [number, number, number] = [4, 2, 6];
  const spacing: [number, number, number] = [1, 1, 1];
  const labels = new Uint8Array(48);
  const image = new Float32Array(48);
  for (let z = 0; z < 6; z++) {
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) {
        labels[x + 4 * (y + 2 * z)] = z;
        image[x + 4 * (y + 2 * z)] = x / 3;
      }
    }
  }
  return { image: volume(image, shape, spacing), labels: volume(labels, shape, spacing) };
}

Deno.test("renderPhantomMontage lays out image and label panels for both lateral directions", () => {
  const scan = rampScan();
  const m = renderPhantomMontage([scan, scan], { mmPerPixel: 1, gap: 1 });
  // Row: gap + 4 (x-z image) + 1 + 4 (labels) + 1 + 2 (y-z image) + 1 + 2 (labels) + gap.
  assert.equal(m.width, 1 + 4 + 1 + 4 + 1 + 2 + 1 + 2 + 1);
  assert.equal(m.height, 1 + 6 + 1 + 6 + 1);
  const px = (u: number, v: number) =>
    Array.from(m.data.subarray(4 * (v * m.width + u), 4 * (v * m.width + u) + 4));
  // Gaps are white.
  assert.deepEqual(px(0, 0), [255, 255, 255, 255]);
  // The x-z image panel shows the lateral ramp: black at x = 0, white at x = 3.
  assert.deepEqual(px(1, 1), [0, 0, 0, 255]);
  assert.deepEqual(px(4, 1), [255, 255, 255, 255]);
  // Label panels use the palette, one colour per depth row, in both directions.
  for (let z = 0; z < 6; z++) {
    const rgb = [...LAYER_PALETTE[z]!, 255];
    assert.deepEqual(px(6, 1 + z), rgb, `x-z label row ${z}`);
    assert.deepEqual(px(14, 1 + z), rgb, `y-z label row ${z}`);
    assert.deepEqual(px(6, 8 + z), rgb, `second scan, label row ${z}`);
  }
  // The y-z image panel is taken at x = nx / 2 = 2: gray 2/3.
  assert.deepEqual(px(11, 3), [170, 170, 170, 255]);
});

Deno.test("encodeRgbaPng round-trips through a PNG decoder", () => {
  const m = renderPhantomMontage([rampScan()], { mmPerPixel: 0.5 });
  const png = encodeRgbaPng(m);
  assert.deepEqual(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
  const back = decode(png);
  assert.equal(back.width, m.width);
  assert.equal(back.height, m.height);
  assert.equal(back.channels, 3);
  for (let i = 0; i < m.width * m.height; i++) {
    for (let ch = 0; ch < 3; ch++) assert.equal(back.data[3 * i + ch], m.data[4 * i + ch]);
  }
  // A transparent pixel keeps the alpha channel.
  m.data[3] = 0;
  assert.equal(decode(encodeRgbaPng(m)).channels, 4);
});

Deno.test("renderPhantomMontage and encodeRgbaPng reject bad input", () => {
  assert.throws(() => renderPhantomMontage([]), /^RangeError: Cannot render montage: no scans/);
  assert.throws(() => renderPhantomMontage([rampScan()], { mmPerPixel: 0 }), /mmPerPixel/);
  const bad = rampScan();
  bad.labels.shape = [4, 2, 5];
  assert.throws(() => renderPhantomMontage([bad]), /shapes differ/);
  assert.throws(
    () => encodeRgbaPng({ width: 2, height: 2, data: new Uint8Array(15) }),
    /expected 16 RGBA bytes \(got 15\)/,
  );
});
