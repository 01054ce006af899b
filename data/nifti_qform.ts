/**
 * Conversions between a NIfTI qform (quaternion, offsets, voxel sizes and `qfac`) and a 4x4
 * voxel-to-world affine, following the NIfTI-1 standard (`nifti1.h`, "METHOD 2").
 *
 * @module
 */

/** The qform parameters stored in a NIfTI header. */
export interface NiftiQform {
  /** Quaternion `b`, `c`, `d` (`a` is implied: `a = sqrt(1 - b² - c² - d²)`). */
  quaternB: number;
  /** Quaternion `c`. */
  quaternC: number;
  /** Quaternion `d`. */
  quaternD: number;
  /** World position of voxel (0, 0, 0): `[qoffset_x, qoffset_y, qoffset_z]`. */
  offset: [number, number, number];
  /** Voxel sizes `pixdim[1..3]` (positive). */
  spacing: [number, number, number];
  /** `pixdim[0]`: `-1` flips the third axis (left-handed grids), otherwise `1`. */
  qfac: 1 | -1;
}

/**
 * The 4x4 voxel-to-world affine a qform describes (row-major, last row `[0, 0, 0, 1]`).
 * Non-positive voxel sizes count as 1, as in the reference implementation.
 */
export function qformToAffine(q: NiftiQform): number[][] {
  let b = q.quaternB;
  let c = q.quaternC;
  let d = q.quaternD;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // A 180-degree rotation: renormalise (b, c, d) and put a = 0.
    const n = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= n;
    c *= n;
    d *= n;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const dx = q.spacing[0] > 0 ? q.spacing[0] : 1;
  const dy = q.spacing[1] > 0 ? q.spacing[1] : 1;
  const dz = (q.spacing[2] > 0 ? q.spacing[2] : 1) * (q.qfac < 0 ? -1 : 1);
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const scale = [dx, dy, dz];
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    out.push([r[i]![0]! * scale[0]!, r[i]![1]! * scale[1]!, r[i]![2]! * scale[2]!, q.offset[i]!]);
  }
  out.push([0, 0, 0, 1]);
  return out;
}

function det3(m: number[][]): number {
  return m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
}

function inverseTranspose3(m: number[][]): number[][] {
  const det = det3(m);
  const c = (i: number, j: number): number => {
    const rows = [0, 1, 2].filter((r) => r !== i);
    const cols = [0, 1, 2].filter((k) => k !== j);
    const minor = m[rows[0]!]![cols[0]!]! * m[rows[1]!]![cols[1]!]! -
      m[rows[0]!]![cols[1]!]! * m[rows[1]!]![cols[0]!]!;
    return ((i + j) % 2 === 0 ? 1 : -1) * minor;
  };
  // (M^-1)^T = cofactor(M) / det(M).
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => c(i, j) / det));
}

/** Nearest orthogonal matrix (polar decomposition by Newton iteration). */
function orthogonalize(m: number[][]): number[][] {
  let x = m.map((row) => row.slice());
  for (let iter = 0; iter < 100; iter++) {
    if (Math.abs(det3(x)) < 1e-12) break;
    const it = inverseTranspose3(x);
    let change = 0;
    const next = x.map((row, i) =>
      row.map((v, j) => {
        const nv = 0.5 * (v + it[i]![j]!);
        change = Math.max(change, Math.abs(nv - v));
        return nv;
      })
    );
    x = next;
    if (change < 1e-14) break;
  }
  return x;
}

/**
 * The qform that best represents a 4x4 affine: the offsets, the column lengths as voxel
 * sizes, and the rotation (made proper with `qfac = -1` when the affine flips handedness).
 * A shear in the affine cannot be represented; the nearest rotation is used.
 */
export function affineToQform(affine: number[][]): NiftiQform {
  const cols = [0, 1, 2].map((j) => [affine[0]![j]!, affine[1]![j]!, affine[2]![j]!]);
  const spacing = cols.map((col) => Math.hypot(col[0]!, col[1]!, col[2]!)) as [
    number,
    number,
    number,
  ];
  const unit = cols.map((col, j) => {
    const n = spacing[j]!;
    if (n === 0) return [0, 1, 2].map((i) => (i === j ? 1 : 0));
    return col.map((v) => v / n);
  });
  // Row-major rotation with the unit columns.
  let r = [0, 1, 2].map((i) => [unit[0]![i]!, unit[1]![i]!, unit[2]![i]!]);
  r = orthogonalize(r);
  let qfac: 1 | -1 = 1;
  if (det3(r) < 0) {
    qfac = -1;
    for (let i = 0; i < 3; i++) r[i]![2] = -r[i]![2]!;
  }
  const [r11, r12, r13] = r[0]! as [number, number, number];
  const [r21, r22, r23] = r[1]! as [number, number, number];
  const [r31, r32, r33] = r[2]! as [number, number, number];
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = 0.25 * (r32 - r23) / a;
    c = 0.25 * (r13 - r31) / a;
    d = 0.25 * (r21 - r12) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = 0.25 * (r12 + r21) / b;
      d = 0.25 * (r13 + r31) / b;
      a = 0.25 * (r32 - r23) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = 0.25 * (r12 + r21) / c;
      d = 0.25 * (r23 + r32) / c;
      a = 0.25 * (r13 - r31) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = 0.25 * (r13 + r31) / d;
      c = 0.25 * (r23 + r32) / d;
      a = 0.25 * (r21 - r12) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return {
    quaternB: b,
    quaternC: c,
    quaternD: d,
    offset: [affine[0]![3]!, affine[1]![3]!, affine[2]![3]!],
    spacing,
    qfac,
  };
}
