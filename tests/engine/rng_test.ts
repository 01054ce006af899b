import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";

Deno.test("Rng gives the same stream for the same seed and different for another", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xa = Array.from({ length: 5 }, () => a.nextUint32());
  const xb = Array.from({ length: 5 }, () => b.nextUint32());
  const xc = Array.from({ length: 5 }, () => c.nextUint32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

Deno.test("Rng.state() and fromState() resume the exact stream, including the normal spare", () => {
  const a = new Rng(123);
  a.normal();
  const saved = a.state();
  const rest = [a.normal(), a.float(), a.beta(0.5, 0.5)];
  const b = Rng.fromState(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual([b.normal(), b.float(), b.beta(0.5, 0.5)], rest);
});

Deno.test("Rng.float(), normal() and beta() have the right moments", () => {
  const rng = new Rng(1);
  const n = 20000;
  let s = 0, s2 = 0, u = 0, bsum = 0, bsq = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    s += z;
    s2 += z * z;
    u += rng.float();
    const x = rng.beta(0.75, 0.75);
    assert.ok(x >= 0 && x <= 1);
    bsum += x;
    bsq += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03, `normal mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.05, `normal variance ${s2 / n}`);
  assert.ok(Math.abs(u / n - 0.5) < 0.01, `uniform mean ${u / n}`);
  // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)) = 0.1 for a = 0.75.
  const bm = bsum / n;
  assert.ok(Math.abs(bm - 0.5) < 0.01, `beta mean ${bm}`);
  assert.ok(Math.abs(bsq / n - bm * bm - 0.1) < 0.01, `beta variance ${bsq / n - bm * bm}`);
});

Deno.test("Rng.fork() is deterministic, independent of the parent, and label-specific", () => {
  const a = new Rng(5);
  const f1 = a.fork("dropout").nextUint32();
  const f2 = a.fork("dropout").nextUint32();
  const g = a.fork("data").nextUint32();
  assert.equal(f1, f2);
  assert.notEqual(f1, g);
  assert.equal(a.nextUint32(), new Rng(5).nextUint32());
});

Deno.test("Rng.permutation() is a permutation and rejects bad arguments", () => {
  const p = new Rng(3).permutation(50);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.throws(() => new Rng(NaN), /Cannot create Rng: seed must be a finite number \(got NaN\)/);
  assert.throws(() => new Rng(1).int(0), /got 0/);
  assert.throws(() => new Rng(1).gamma(-1), /shape must be > 0/);
});
