import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import { hausdorffDistance95 } from "../../metrics/hausdorff_distance_95.ts";

/** Row-major coordinates of every index of `shape`. */
function coordsOf(shape: number[]): number[][] {
  const size = shape.reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (let i = 0; i < size; i++) {
    const c = new Array<number>(shape.length);
    let r = i;
    for (let a = shape.length - 1; a >= 0; a--) {
      c[a] = r % shape[a]!;
      r = Math.floor(r / shape[a]!);
    }
    out.push(c);
  }
  return out;
}

/** Brute-force surface: foreground with a face neighbour outside the mask or the grid. */
function bruteSurface(mask: Uint8Array, shape: number[]): number[] {
  const coords = coordsOf(shape);
  const index = (c: number[]) => c.reduce((acc, v, a) => acc * shape[a]! + v, 0);
  const out: number[] = [];
  coords.forEach((c, i) => {
    if (!mask[i]) return;
    for (let a = 0; a < shape.length; a++) {
      if (shape[a] === 1) continue;
      for (const d of [-1, 1]) {
        const n = [...c];
        n[a] = n[a]! + d;
        if (n[a]! < 0 || n[a]! >= shape[a]! || !mask[index(n)]) {
          out.push(i);
          return;
        }
      }
    }
  });
  return out;
}

function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

function bruteHd(
  a: Uint8Array,
  b: Uint8Array,
  shape: number[],
  spacing: number[],
  q: number,
  mode: "max" | "pooled",
): number {
  const coords = coordsOf(shape);
  const sa = bruteSurface(a, shape);
  const sb = bruteSurface(b, shape);
  const directed = (from: number[], to: number[]) =>
    from.map((i) => {
      let best = Infinity;
      for (const j of to) {
        let d = 0;
        for (let k = 0; k < shape.length; k++) {
          const dx = (coords[i]![k]! - coords[j]![k]!) * spacing[k]!;
          d += dx * dx;
        }
        best = Math.min(best, d);
      }
      return Math.sqrt(best);
    });
  const ab = directed(sa, sb);
  const ba = directed(sb, sa);
  if (mode === "pooled") return percentile([...ab, ...ba], q);
  return Math.max(percentile(ab, q), percentile(ba, q));
}

/** A random blob: a few random boxes unioned. */
function blob(rng: Rng, shape: number[], boxes: number): Uint8Array {
  const coords = coordsOf(shape);
  const m = new Uint8Array(coords.length);
  for (let k = 0; k < boxes; k++) {
    const lo = shape.map((n) => rng.int(n));
    const hi = lo.map((l, a) =>
      Math.min(shape[a]! - 1, l + rng.int(Math.max(1, Math.ceil(shape[a]! / 2))))
    );
    coords.forEach((c, i) => {
      if (c.every((v, a) => v >= lo[a]! && v <= hi[a]!)) m[i] = 1;
    });
  }
  return m;
}

Deno.test("hausdorffDistance95() gives the known answer for 4x4 squares shifted with anisotropic spacing", () => {
  // 10x10 image, squares at rows 2..5; b is a shifted 2 columns right. Column spacing 0.5 mm.
  // Directed distances of a's 12 surface pixels: 4 x 0, 4 x 0.5, 4 x 1 -> 95th pct = 1 mm.
  const a = new Uint8Array(100);
  const b = new Uint8Array(100);
  for (let y = 2; y < 6; y++) {
    for (let x = 2; x < 6; x++) {
      a[y * 10 + x] = 1;
      b[y * 10 + x + 2] = 1;
    }
  }
  assert.equal(hausdorffDistance95(a, b, [10, 10], [1, 0.5]), 1);
  // The same shift along rows (spacing 2 mm per row): 2 rows -> 4 mm.
  const c = new Uint8Array(100);
  for (let y = 4; y < 8; y++) for (let x = 2; x < 6; x++) c[y * 10 + x] = 1;
  assert.equal(hausdorffDistance95(a, c, [10, 10], [2, 0.5]), 4);
  // Identical masks are 0 apart.
  assert.equal(hausdorffDistance95(a, a, [10, 10], [2, 0.5]), 0);
});

Deno.test("hausdorffDistance95() measures 3-D NIfTI volumes with order F", () => {
  // Full-width 1-voxel slabs at z = 2 (pred) and z = 5 (truth): every voxel is surface and each
  // is 3 slices from the other slab -> 3 * sz.
  const [nx, ny, nz] = [4, 3, 8];
  const spacing = [0.3, 0.4, 0.7];
  const pred = new Uint8Array(nx * ny * nz);
  const truth = new Uint8Array(nx * ny * nz);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      pred[x + nx * (y + ny * 2)] = 1;
      truth[x + nx * (y + ny * 5)] = 1;
    }
  }
  const d = hausdorffDistance95(pred, truth, [nx, ny, nz], spacing, { order: "F" });
  assert.ok(Math.abs(d - 3 * 0.7) < 1e-12, `${d}`);
});

Deno.test("hausdorffDistance95() matches brute force on random masks (percentiles, both modes)", () => {
  const rng = new Rng(99);
  const cases = [
    { shape: [12, 15], spacing: [0.8, 0.3] },
    { shape: [6, 7, 5], spacing: [0.5, 0.2, 1.5] },
    { shape: [1, 9, 11], spacing: [4, 1, 0.6] },
  ];
  let differ = 0;
  for (const { shape, spacing } of cases) {
    for (let trial = 0; trial < 6; trial++) {
      const a = blob(rng, shape, 1 + rng.int(3));
      const b = blob(rng, shape, 1 + rng.int(3));
      for (const q of [0.95, 1, 0.5]) {
        const max = hausdorffDistance95(a, b, shape, spacing, { percentile: q * 100 });
        const pooled = hausdorffDistance95(a, b, shape, spacing, {
          percentile: q * 100,
          mode: "pooled",
        });
        const eMax = bruteHd(a, b, shape, spacing, q, "max");
        const ePooled = bruteHd(a, b, shape, spacing, q, "pooled");
        assert.ok(Math.abs(max - eMax) < 1e-9, `${shape} q ${q}: max ${max} != ${eMax}`);
        assert.ok(Math.abs(pooled - ePooled) < 1e-9, `${shape} q ${q}: ${pooled} != ${ePooled}`);
        if (Math.abs(max - pooled) > 1e-9) differ++;
      }
    }
  }
  assert.ok(differ > 0, "the two modes never differed: the test would not catch a mix-up");
});

Deno.test("hausdorffDistance95() treats masks confined to one slice of a thicker grid as all surface", () => {
  const rng = new Rng(7);
  const shape = [5, 8, 9];
  const spacing = [1.5, 0.4, 0.3];
  for (let trial = 0; trial < 5; trial++) {
    const a = blob(rng, shape, 2);
    const b = blob(rng, shape, 2);
    // Keep only slice 2 of the first axis in both masks.
    for (let i = 0; i < a.length; i++) {
      if (Math.floor(i / 72) !== 2) a[i] = b[i] = 0;
    }
    if (!a.includes(1) || !b.includes(1)) continue;
    const got = hausdorffDistance95(a, b, shape, spacing);
    assert.ok(Math.abs(got - bruteHd(a, b, shape, spacing, 0.95, "max")) < 1e-9);
  }
});

Deno.test("hausdorffDistance95() follows the documented empty-mask rules", () => {
  const empty = new Uint8Array(16);
  const one = new Uint8Array(16);
  one[5] = 1;
  assert.ok(Number.isNaN(hausdorffDistance95(empty, empty, [4, 4], [1, 1])));
  assert.equal(hausdorffDistance95(empty, empty, [4, 4], [1, 1], { emptyBoth: 0 }), 0);
  assert.equal(hausdorffDistance95(one, empty, [4, 4], [1, 1]), Infinity);
  assert.equal(hausdorffDistance95(empty, one, [4, 4], [1, 1], { emptyOne: 50 }), 50);
  // Grid diagonal: (3 * 2, 3 * 0.5) mm.
  assert.equal(
    hausdorffDistance95(empty, one, [4, 4], [2, 0.5], { emptyOne: "diagonal" }),
    Math.hypot(6, 1.5),
  );
});

Deno.test("hausdorffDistance95() rejects bad inputs and options", () => {
  const a = new Uint8Array(16);
  assert.throws(() => hausdorffDistance95(a, new Uint8Array(15), [4, 4], [1, 1]), TypeError);
  assert.throws(() => hausdorffDistance95(a, a, [4, 4], [1]), TypeError);
  assert.throws(() => hausdorffDistance95(a, a, [4, 4], [1, 1], { percentile: 101 }), RangeError);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => hausdorffDistance95(a, a, [4, 4], [1, 1], { mode: "mean" as any }),
    RangeError,
  );
});
