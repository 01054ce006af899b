import assert from "node:assert/strict";
import * as nifti from "nifti-reader-js";
import { affineToQform, qformToAffine } from "../../data/nifti_qform.ts";
import { Rng } from "../../engine/rng.ts";
import { assertClose } from "../_helpers.ts";

function rotation(rng: Rng): number[][] {
  // Random unit quaternion -> rotation matrix.
  let q = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(...q);
  q = q.map((v) => v / n);
  const [a, b, c, d] = q as [number, number, number, number];
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
}

function compose(r: number[][], spacing: number[], offset: number[], flip: boolean): number[][] {
  const s = [spacing[0]!, spacing[1]!, spacing[2]! * (flip ? -1 : 1)];
  return [
    ...[0, 1, 2].map((i) => [...[0, 1, 2].map((j) => r[i]![j]! * s[j]!), offset[i]!]),
    [0, 0, 0, 1],
  ];
}

Deno.test("affineToQform decomposes a diagonal affine into identity rotation and spacing", () => {
  const affine = [[0.1, 0, 0, -3], [0, 0.2, 0, 4.5], [0, 0, 0.05, 7], [0, 0, 0, 1]];
  const q = affineToQform(affine);
  assert.equal(q.quaternB, 0);
  assert.equal(q.quaternC, 0);
  assert.equal(q.quaternD, 0);
  assert.equal(q.qfac, 1);
  assert.deepEqual(q.offset, [-3, 4.5, 7]);
  assertClose(q.spacing, [0.1, 0.2, 0.05], 1e-15);
  assertClose(qformToAffine(q).flat(), affine.flat(), 1e-15);
});

Deno.test("affineToQform gives qfac -1 for a left-handed grid (z flipped)", () => {
  const affine = [[0.5, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, -2, 10], [0, 0, 0, 1]];
  const q = affineToQform(affine);
  assert.equal(q.qfac, -1);
  assertClose(qformToAffine(q).flat(), affine.flat(), 1e-12);
});

Deno.test("affineToQform and qformToAffine round-trip random rotations, with and without flip", () => {
  const rng = new Rng(7);
  for (let t = 0; t < 50; t++) {
    const spacing = [rng.uniform(0.05, 2), rng.uniform(0.05, 2), rng.uniform(0.05, 2)];
    const offset = [rng.uniform(-50, 50), rng.uniform(-50, 50), rng.uniform(-50, 50)];
    const affine = compose(rotation(rng), spacing, offset, t % 2 === 1);
    const q = affineToQform(affine);
    assert.equal(q.qfac, t % 2 === 1 ? -1 : 1, `case ${t}`);
    assertClose(q.spacing, spacing, 1e-12, `spacing ${t}`);
    assertClose(qformToAffine(q).flat(), affine.flat(), 1e-9, `affine ${t}`);
  }
});

Deno.test("qformToAffine agrees with nifti-reader-js's quaternion conversion", () => {
  const rng = new Rng(11);
  const header = new nifti.NIFTI1();
  for (let t = 0; t < 20; t++) {
    const affine = compose(rotation(rng), [0.3, 0.4, 0.5], [1, 2, 3], t % 2 === 0);
    const q = affineToQform(affine);
    const theirs = header.convertNiftiQFormToNiftiSForm(
      q.quaternB,
      q.quaternC,
      q.quaternD,
      q.offset[0],
      q.offset[1],
      q.offset[2],
      q.spacing[0],
      q.spacing[1],
      q.spacing[2],
      q.qfac,
    );
    assertClose(theirs.flat(), qformToAffine(q).flat(), 1e-9, `case ${t}`);
  }
});

Deno.test("qformToAffine handles a 180-degree rotation (a = 0)", () => {
  // Rotation by 180 degrees about x: quaternion (0, 1, 0, 0).
  const affine = qformToAffine({
    quaternB: 1,
    quaternC: 0,
    quaternD: 0,
    offset: [0, 0, 0],
    spacing: [1, 2, 3],
    qfac: 1,
  });
  assertClose(affine.flat(), [1, 0, 0, 0, 0, -2, 0, 0, 0, 0, -3, 0, 0, 0, 0, 1], 1e-12);
  const q = affineToQform(affine);
  assertClose([q.quaternB, q.quaternC, q.quaternD], [1, 0, 0], 1e-12);
});
