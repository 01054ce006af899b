import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { applyAugment, type AugmentBatch, augmentBatch } from "../../data/augment.ts";
import { type AugmentParams, IDENTITY_AUGMENT } from "../../data/augment_params.ts";

const H = 6, W = 6;

function batchOf(size: number, seed = 1): AugmentBatch<Uint8Array> {
  const rng = new Rng(seed);
  return {
    images: rng.uniformArray(size * H * W, -0.8, 0.8),
    labels: Uint8Array.from({ length: size * H * W }, () => 1 + rng.int(6)),
    size,
    height: H,
    width: W,
  };
}

const params = (over: Partial<AugmentParams>): AugmentParams => ({ ...IDENTITY_AUGMENT, ...over });

Deno.test("applyAugment with identity parameters reproduces the input exactly", () => {
  const b = batchOf(3);
  const out = applyAugment(b, [IDENTITY_AUGMENT, IDENTITY_AUGMENT, IDENTITY_AUGMENT]);
  assert.deepEqual(out.images, b.images);
  assert.deepEqual(out.labels, b.labels);
  assert.notEqual(out.images, b.images, "output must be a copy");
  const i32 = { ...b, labels: Int32Array.from(b.labels!) };
  const o32 = applyAugment(i32, [IDENTITY_AUGMENT, IDENTITY_AUGMENT, IDENTITY_AUGMENT], "edge");
  assert.ok(o32.labels instanceof Int32Array);
  assert.deepEqual(o32.labels, i32.labels);
});

Deno.test("applyAugment flip mirrors columns of image and label identically", () => {
  const b = batchOf(1);
  const out = applyAugment(b, [params({ flip: true })]);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      assert.equal(out.images[r * W + c], b.images[r * W + (W - 1 - c)]);
      assert.equal(out.labels![r * W + c], b.labels![r * W + (W - 1 - c)]);
    }
  }
});

Deno.test("applyAugment rotates by 90 degrees as the documented forward map", () => {
  const b = batchOf(1);
  const out = applyAugment(b, [params({ rotation: Math.PI / 2 })]);
  // Forward map about the centre: input (row y, col x) lands at (row x, col W - 1 - y).
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      assert.equal(out.labels![x * W + (W - 1 - y)], b.labels![y * W + x]);
      assert.ok(Math.abs(out.images[x * W + (W - 1 - y)]! - b.images[y * W + x]!) < 1e-5);
    }
  }
});

Deno.test("applyAugment shifts by whole pixels and fills or repeats the border", () => {
  const b = batchOf(1);
  const shift = params({ shiftX: 2 / W, shiftY: -1 / H });
  for (const border of ["constant", "edge"] as const) {
    const out = applyAugment(b, [shift], border);
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        // Output (r, c) shows input (r + 1, c - 2).
        let sr = r + 1, sc = c - 2;
        const outside = sr >= H || sc < 0;
        if (outside && border === "constant") {
          assert.equal(out.images[r * W + c], -1);
          assert.equal(out.labels![r * W + c], 0);
          continue;
        }
        sr = Math.min(sr, H - 1);
        sc = Math.max(sc, 0);
        assert.ok(Math.abs(out.images[r * W + c]! - b.images[sr * W + sc]!) < 1e-6);
        assert.equal(out.labels![r * W + c], b.labels![sr * W + sc]);
      }
    }
  }
});

Deno.test("applyAugment zoom keeps the centre and enlarges about it", () => {
  // A label that is a 2x2 block in the middle of an 8x8 image doubles to 4x4 under scale 2.
  const n = 8;
  const labels = new Uint8Array(n * n);
  for (let r = 3; r <= 4; r++) for (let c = 3; c <= 4; c++) labels[r * n + c] = 5;
  const out = applyAugment(
    { images: new Float32Array(n * n), labels, size: 1, height: n, width: n },
    [params({ scale: 2 })],
  );
  let count = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (out.labels![r * n + c] === 5) {
        count++;
        assert.ok(r >= 2 && r <= 5 && c >= 2 && c <= 5, `pixel ${r},${c}`);
      }
    }
  }
  assert.equal(count, 16);
});

Deno.test("augmentBatch keeps labels valid class indices and images in [-1, 1]", () => {
  const b = batchOf(8, 4);
  const rng = new Rng(6);
  for (let k = 0; k < 20; k++) {
    const out = augmentBatch(b, rng, {
      affineProbability: 1,
      intensityProbability: 1,
      noiseProbability: 1,
      rotation: 30,
    });
    for (const v of out.labels!) assert.ok(Number.isInteger(v) && v >= 0 && v <= 6);
    for (const v of out.images) assert.ok(v >= -1 && v <= 1);
  }
});

Deno.test("augmentBatch is deterministic from the seed and leaves the input unchanged", () => {
  const b = batchOf(4);
  const copy = Float32Array.from(b.images);
  const a1 = augmentBatch(b, new Rng(9));
  const a2 = augmentBatch(b, new Rng(9));
  const a3 = augmentBatch(b, new Rng(10));
  assert.deepEqual(a1, a2);
  assert.notDeepEqual(a1.images, a3.images);
  assert.deepEqual(b.images, copy);
});

Deno.test("applyAugment intensity: brightness, contrast, gamma and noise", () => {
  const images = Float32Array.from([-0.5, 0, 0.5, 0.25]);
  const one = (p: Partial<AugmentParams>) =>
    Array.from(applyAugment({ images, size: 1, height: 2, width: 2 }, [params(p)]).images);
  const close = (a: number[], b: number[]) =>
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-6, `${a} vs ${b}`));
  close(one({ brightness: 0.6 }), [0.1, 0.6, 1, 0.85]);
  const mean = 0.0625;
  close(
    one({ contrast: 2 }),
    [-0.5, 0, 0.5, 0.25].map((x) => mean + 2 * (x - mean)).map((x) => Math.max(-1, Math.min(1, x))),
  );
  close(one({ gamma: 2 }), [-0.5, 0, 0.5, 0.25].map((x) => 2 * ((x + 1) / 2) ** 2 - 1));
  // Noise: same seed, same field; the empirical std matches.
  const big = new Float32Array(20000);
  const noisy = (seed: number) =>
    applyAugment({ images: big, size: 1, height: 100, width: 200 }, [
      params({ noiseStd: 0.05, noiseSeed: seed }),
    ]).images;
  const n1 = noisy(1);
  assert.deepEqual(n1, noisy(1));
  assert.notDeepEqual(n1, noisy(2));
  const std = Math.sqrt(n1.reduce((s, v) => s + v * v, 0) / n1.length);
  assert.ok(Math.abs(std - 0.05) < 0.002, `noise std ${std}`);
});

Deno.test("applyAugment checks lengths, parameter count and border", () => {
  const b = batchOf(2);
  assert.throws(() => applyAugment(b, [IDENTITY_AUGMENT]), /got 1 for 2/);
  assert.throws(
    () => applyAugment({ ...b, size: 3 }, [IDENTITY_AUGMENT]),
    /arrays must hold 3x6x6 values \(got 72 and 72\)/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => applyAugment(b, [IDENTITY_AUGMENT, IDENTITY_AUGMENT], "wrap" as any),
    /border must be "constant" or "edge" \(got "wrap"\)/,
  );
});
