import assert from "node:assert/strict";
import { euclideanDistanceTransform } from "../../metrics/euclidean_distance_transform.ts";
import { signedDistanceMap } from "../../metrics/signed_distance_map.ts";

Deno.test("signedDistanceMap() is negative inside, positive outside and 0 on the inner boundary", () => {
  // 7x7 image, 5x5 square at rows/cols 1..5 (centre pixel 3,3 is 2 px from the background).
  const mask = new Uint8Array(49);
  for (let y = 1; y <= 5; y++) for (let x = 1; x <= 5; x++) mask[y * 7 + x] = 1;
  const sdf = signedDistanceMap(mask, [7, 7]);
  assert.ok(sdf instanceof Float32Array);
  for (let y = 0; y < 7; y++) {
    for (let x = 0; x < 7; x++) {
      const v = sdf[y * 7 + x]!;
      const inside = mask[y * 7 + x] === 1;
      const onBoundary = inside && (x === 1 || x === 5 || y === 1 || y === 5);
      if (onBoundary) assert.equal(v, 0, `(${x},${y}) boundary`);
      else if (inside) assert.ok(v < 0, `(${x},${y}) inside ${v}`);
      else assert.ok(v > 0, `(${x},${y}) outside ${v}`);
    }
  }
  // Inside: d_in(3,3) = 3 (max) -> -1; d_in(2,2) = 2 -> -2/3. Outside: the corner (0,0) is the
  // farthest outside pixel at sqrt(2) -> 1; (0,3) is 1 px away -> 1/sqrt(2).
  assert.equal(sdf[3 * 7 + 3], -1);
  assert.ok(Math.abs(sdf[2 * 7 + 2]! - -2 / 3) < 1e-6);
  assert.equal(sdf[0], 1);
  assert.ok(Math.abs(sdf[3 * 7]! - 1 / Math.SQRT2) < 1e-6);
});

Deno.test("signedDistanceMap() equals minmax(EDT outside) - minmax(EDT inside) off the boundary", () => {
  const shape = [6, 9];
  const mask = new Uint8Array(54);
  for (const i of [10, 11, 12, 19, 20, 21, 22, 23, 28, 29, 30, 31, 38, 39, 40, 48]) mask[i] = 1;
  const dOut = euclideanDistanceTransform(mask.map((v) => 1 - v), shape);
  const dIn = euclideanDistanceTransform(mask, shape);
  const maxOut = Math.max(...dOut);
  const maxIn = Math.max(...dIn);
  const sdf = signedDistanceMap(mask, shape);
  for (let i = 0; i < 54; i++) {
    // Inner boundary in unit spacing = foreground pixels whose nearest background is 1 away
    // through a face neighbour inside the grid.
    const y = Math.floor(i / 9);
    const x = i % 9;
    const nb = [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]].filter(([yy, xx]) =>
      yy! >= 0 && yy! < 6 && xx! >= 0 && xx! < 9
    );
    const boundary = mask[i] === 1 && nb.some(([yy, xx]) => mask[yy! * 9 + xx!] === 0);
    const expected = boundary ? 0 : dOut[i]! / maxOut - dIn[i]! / maxIn;
    assert.ok(Math.abs(sdf[i]! - expected) < 1e-6, `pixel ${i}: ${sdf[i]} != ${expected}`);
  }
});

Deno.test("signedDistanceMap() does not treat the grid edge as boundary and handles order F", () => {
  // 1-D: object touching the left edge. Pixel 0 has no background neighbour inside the grid, so
  // it is not boundary: d_in = [3, 2, 1, 0, 0], d_out = [0, 0, 0, 1, 2].
  const sdf = signedDistanceMap(new Uint8Array([1, 1, 1, 0, 0]), [5]);
  assert.deepEqual(Array.from(sdf), [-1, Math.fround(-2 / 3), 0, 0.5, 1]);
  // 3-D in NIfTI order equals the C-order map of the reversed shape.
  const [nx, ny, nz] = [5, 6, 7];
  const mask = new Uint8Array(nx * ny * nz);
  for (let z = 1; z < 6; z++) {
    for (let y = 1; y < 5; y++) for (let x = 1; x < 4; x++) mask[x + nx * (y + ny * z)] = 1;
  }
  mask[4 + nx * (2 + ny * 2)] = 1;
  const f = signedDistanceMap(mask, [nx, ny, nz], { order: "F", spacing: [1, 2, 3] });
  const c = signedDistanceMap(mask, [nz, ny, nx], { spacing: [3, 2, 1] });
  assert.deepEqual(f, c);
  assert.ok(f.some((v) => v < 0) && f.some((v) => v > 0));
});

Deno.test("signedDistanceMap() returns zeros for an empty or full mask", () => {
  assert.deepEqual(Array.from(signedDistanceMap(new Uint8Array(6), [2, 3])), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(
    Array.from(signedDistanceMap(new Uint8Array(6).fill(1), [2, 3])),
    [0, 0, 0, 0, 0, 0],
  );
});
