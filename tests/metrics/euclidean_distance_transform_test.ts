import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { euclideanDistanceTransform } from "../../metrics/euclidean_distance_transform.ts";

/** Brute-force squared EDT on a row-major grid: min over zero voxels of the squared distance. */
function bruteSquared(mask: Uint8Array, shape: number[], spacing: number[]): Float64Array {
  const rank = shape.length;
  const coords: number[][] = [];
  for (let i = 0; i < mask.length; i++) {
    const c = new Array<number>(rank);
    let r = i;
    for (let a = rank - 1; a >= 0; a--) {
      c[a] = r % shape[a]!;
      r = Math.floor(r / shape[a]!);
    }
    coords.push(c);
  }
  const out = new Float64Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    let best = Infinity;
    for (let j = 0; j < mask.length; j++) {
      if (mask[j] !== 0) continue;
      let d = 0;
      for (let a = 0; a < rank; a++) {
        const dx = (coords[i]![a]! - coords[j]![a]!) * spacing[a]!;
        d += dx * dx;
      }
      if (d < best) best = d;
    }
    out[i] = best;
  }
  return out;
}

function randomMask(rng: Rng, size: number, pForeground: number): Uint8Array {
  const m = new Uint8Array(size);
  for (let i = 0; i < size; i++) m[i] = rng.float() < pForeground ? 1 : 0;
  return m;
}

Deno.test("euclideanDistanceTransform() matches brute force on random 2-D and 3-D masks with anisotropic spacing", () => {
  const rng = new Rng(2024);
  const cases: { shape: number[]; spacing: number[] }[] = [
    { shape: [9, 13], spacing: [0.3, 1.7] },
    { shape: [13, 9], spacing: [2, 0.5] },
    { shape: [5, 7, 6], spacing: [0.2, 0.5, 1.3] },
    { shape: [6, 1, 8], spacing: [1, 3, 0.25] },
    { shape: [17], spacing: [0.7] },
  ];
  for (const { shape, spacing } of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    for (const p of [0.5, 0.85, 0.97]) {
      const mask = randomMask(rng, size, p);
      if (!mask.includes(0)) mask[rng.int(size)] = 0;
      const expected = bruteSquared(mask, shape, spacing);
      const squared = euclideanDistanceTransform(mask, shape, spacing, { squared: true });
      const plain = euclideanDistanceTransform(mask, shape, spacing);
      for (let i = 0; i < size; i++) {
        assert.ok(
          Math.abs(squared[i]! - expected[i]!) <= 1e-9 * Math.max(1, expected[i]!),
          `shape ${shape} p ${p} voxel ${i}: ${squared[i]} != ${expected[i]}`,
        );
        assert.ok(Math.abs(plain[i]! - Math.sqrt(expected[i]!)) <= 1e-9);
      }
    }
  }
});

Deno.test("euclideanDistanceTransform() reads NIfTI order with order F", () => {
  const rng = new Rng(5);
  const [nx, ny, nz] = [4, 5, 6];
  const spacing = [0.4, 1.1, 2.3];
  const mask = randomMask(rng, nx * ny * nz, 0.8);
  mask[0] = 0;
  // Same memory read as row-major [nz, ny, nx] with spacing [sz, sy, sx].
  const expected = bruteSquared(mask, [nz, ny, nx], [spacing[2]!, spacing[1]!, spacing[0]!]);
  const got = euclideanDistanceTransform(mask, [nx, ny, nz], spacing, {
    squared: true,
    order: "F",
  });
  for (let i = 0; i < mask.length; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-9);
  // And reading it with the wrong order gives different distances (the option matters).
  const wrong = euclideanDistanceTransform(mask, [nx, ny, nz], spacing, { squared: true });
  assert.ok(wrong.some((v, i) => Math.abs(v - expected[i]!) > 1e-6));
});

Deno.test("euclideanDistanceTransform() gives 0 on background and Infinity without background", () => {
  assert.deepEqual(Array.from(euclideanDistanceTransform(new Uint8Array(4), [2, 2])), [0, 0, 0, 0]);
  const full = euclideanDistanceTransform(new Uint8Array([1, 1, 1]), [3], [1]);
  assert.deepEqual(Array.from(full), [Infinity, Infinity, Infinity]);
  // A single zero voxel at a corner of a 3x4 grid with spacing [2, 1].
  const m = new Uint8Array(12).fill(1);
  m[0] = 0;
  const d = euclideanDistanceTransform(m, [3, 4], [2, 1]);
  assert.equal(d[11], Math.sqrt(4 * 4 + 3 * 3)); // (y 2 -> 4 mm, x 3 -> 3 mm)
});

Deno.test("euclideanDistanceTransform() rejects a shape or spacing that does not fit", () => {
  assert.throws(() => euclideanDistanceTransform(new Uint8Array(6), [2, 2]), TypeError);
  assert.throws(() => euclideanDistanceTransform(new Uint8Array(4), [2, 2], [1]), TypeError);
  assert.throws(() => euclideanDistanceTransform(new Uint8Array(4), [2, 2], [1, 0]), RangeError);
  assert.throws(() => euclideanDistanceTransform(new Uint8Array(4), [2, 2.5]), RangeError);
});
