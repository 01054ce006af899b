import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import {
  fitImageSlice,
  fitLabelSlice,
  padOffsets,
  resizeBilinear,
  resizeNearest,
  unfitChannels,
} from "../../data/slices_fit.ts";
import { assertClose } from "../_helpers.ts";

await initEngine({ backend: "cpu", log: () => {} });

const rng = new Rng(11);
const SIZES: [number, number, number, number][] = [
  [7, 5, 3, 2],
  [7, 5, 10, 12],
  [6, 9, 16, 16],
  [16, 16, 6, 9],
  [1, 4, 3, 8],
];

Deno.test("resizeBilinear matches tf.image.resizeBilinear with half-pixel centres", () => {
  for (const [rows, cols, h, w] of SIZES) {
    for (const channels of [1, 3]) {
      const src = rng.uniformArray(rows * cols * channels, -1, 1);
      const expected = tf.tidy(() =>
        tf.image.resizeBilinear(tf.tensor4d(src, [1, rows, cols, channels]), [h, w], false, true)
          .dataSync()
      );
      assertClose(
        resizeBilinear(src, rows, cols, channels, h, w),
        expected,
        1e-5,
        `${rows}x${cols}->${h}x${w}`,
      );
    }
  }
});

Deno.test("resizeNearest matches tf.image.resizeNearestNeighbor with half-pixel centres", () => {
  for (const [rows, cols, h, w] of SIZES) {
    const src = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const expected = tf.tidy(() =>
      tf.image.resizeNearestNeighbor(tf.tensor4d(src, [1, rows, cols, 1]), [h, w], false, true)
        .dataSync()
    );
    assert.deepEqual(Array.from(resizeNearest(src, rows, cols, h, w)), Array.from(expected));
  }
});

Deno.test("fitImageSlice and fitLabelSlice copy exactly at equal size", () => {
  const img = rng.uniformArray(6 * 4, -1, 1);
  const lab = Uint8Array.from({ length: 24 }, (_, i) => i % 7);
  for (const mode of ["resize", "pad"] as const) {
    assert.deepEqual(fitImageSlice(img, 6, 4, 6, 4, mode), img);
    assert.deepEqual(fitLabelSlice(lab, 6, 4, 6, 4, mode), lab);
  }
});

Deno.test("fitImageSlice resize gives known bilinear values", () => {
  // [0, 1] -> 4 columns: sources -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  assert.deepEqual(Array.from(fitImageSlice([0, 1], 1, 2, 1, 4, "resize")), [0, 0.25, 0.75, 1]);
  // 4 -> 2 columns: sources 0.5 and 2.5, the means of neighbouring pairs.
  assert.deepEqual(Array.from(fitImageSlice([0, 2, 4, 8], 1, 4, 1, 2, "resize")), [1, 6]);
});

Deno.test("fitLabelSlice resize keeps only source class values", () => {
  const lab = Uint8Array.from({ length: 9 * 5 }, (_, i) => (i * 7) % 6 + 1);
  const out = fitLabelSlice(lab, 9, 5, 16, 16, "resize");
  const allowed = new Set(lab);
  for (const v of out) assert.ok(allowed.has(v), `label ${v} not in source`);
});

Deno.test("pad mode keeps skin at row 0, centres columns and fills -1 / background", () => {
  // Native 2x3 into 4x6: columns offset floor(3 / 2) = 1.
  assert.deepEqual(padOffsets([2, 3], [4, 6]), { rowOffset: 0, colOffset: 1 });
  const img = Float32Array.from([1, 2, 3, 4, 5, 6].map((v) => v / 10));
  const out = fitImageSlice(img, 2, 3, 4, 6, "pad");
  const f = Math.fround;
  assert.deepEqual(
    Array.from(out),
    [
      [-1, f(0.1), f(0.2), f(0.3), -1, -1],
      [-1, f(0.4), f(0.5), f(0.6), -1, -1],
      [-1, -1, -1, -1, -1, -1],
      [-1, -1, -1, -1, -1, -1],
    ].flat(),
  );
  const lab = fitLabelSlice(Uint8Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 3, 4, "pad");
  assert.deepEqual(Array.from(lab), [1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0]);
  // Native 3x7 into 2x4 crops the bottom row and columns 0-1 and 6 (offset floor(-3 / 2) = -2).
  const big = Float32Array.from({ length: 21 }, (_, i) => i);
  assert.deepEqual(Array.from(fitImageSlice(big, 3, 7, 2, 4, "pad")), [2, 3, 4, 5, 9, 10, 11, 12]);
});

Deno.test("unfitChannels inverts the pad fit and zeroes cropped pixels", () => {
  for (const [rows, cols, h, w] of SIZES) {
    const channels = 2;
    const native = rng.uniformArray(rows * cols * channels, 0, 1);
    // Fit each channel separately, then interleave to [h, w, C].
    const fitted = new Float32Array(h * w * channels);
    for (let k = 0; k < channels; k++) {
      const ch = native.filter((_, i) => i % channels === k);
      const f = fitImageSlice(ch, rows, cols, h, w, "pad", 0);
      f.forEach((v, i) => fitted[i * channels + k] = v);
    }
    const back = unfitChannels(fitted, h, w, channels, rows, cols, "pad");
    const { colOffset } = padOffsets([rows, cols], [h, w]);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const covered = r < h && c + colOffset >= 0 && c + colOffset < w;
        for (let k = 0; k < channels; k++) {
          const i = (r * cols + c) * channels + k;
          assert.equal(back[i], covered ? native[i] : 0);
        }
      }
    }
  }
});

Deno.test("unfitChannels resize is a bilinear resample back to the native size", () => {
  const src = rng.uniformArray(8 * 8 * 3, 0, 1);
  assert.deepEqual(
    unfitChannels(src, 8, 8, 3, 5, 11, "resize"),
    resizeBilinear(src, 8, 8, 3, 5, 11),
  );
  assert.deepEqual(unfitChannels(src, 8, 8, 3, 8, 8, "resize"), src);
});

Deno.test("fit functions reject bad sizes, modes and lengths", () => {
  assert.throws(
    () => fitImageSlice(new Float32Array(6), 2, 3, 0, 4, "pad"),
    /Cannot fit an image slice: height must be a positive integer \(got 0\)/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => fitLabelSlice(new Uint8Array(6), 2, 3, 4, 4, "crop" as any),
    /fit must be "resize" or "pad" \(got "crop"\)/,
  );
  assert.throws(
    () => fitImageSlice(new Float32Array(5), 2, 3, 4, 4, "resize"),
    /source must hold 2x3 pixels \(got 5\)/,
  );
  assert.throws(
    () => unfitChannels(new Float32Array(10), 2, 2, 2, 3, 3, "pad"),
    /source must hold 2x2 pixels \(got 5\)/,
  );
});
