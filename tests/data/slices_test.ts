import assert from "node:assert/strict";
import { type SliceInfo, SliceSet } from "../../data/slices.ts";

function makeSet(n: number, scanId: string, withLabels: boolean, h = 2, w = 3): SliceSet {
  const info: SliceInfo[] = Array.from({ length: n }, (_, index) => ({
    scanId,
    participant: `p-${scanId}`,
    direction: index % 2 ? "sagittal" : "coronal",
    index,
    rows: 4,
    cols: 5,
  }));
  const images = Float32Array.from({ length: n * h * w }, (_, i) => i);
  const labels = withLabels
    ? Uint8Array.from({ length: n * h * w }, (_, i) => Math.floor(i / (h * w)))
    : undefined;
  return new SliceSet({ images, labels, info, height: h, width: w });
}

Deno.test("SliceSet exposes size, shape, views and labels", () => {
  const set = makeSet(3, "a", true);
  assert.equal(set.size, 3);
  assert.equal(set.hasLabels, true);
  assert.deepEqual([set.height, set.width, set.pixels], [2, 3, 6]);
  assert.deepEqual(Array.from(set.image(1)), [6, 7, 8, 9, 10, 11]);
  assert.deepEqual(Array.from(set.label(2)!), [2, 2, 2, 2, 2, 2]);
  assert.equal(makeSet(2, "b", false).label(0), undefined);
  assert.throws(() => set.image(3), /index must be an integer in \[0, 3\) \(got 3\)/);
});

Deno.test("SliceSet.subset copies the chosen slices in order, with repeats", () => {
  const set = makeSet(4, "a", true);
  const sub = set.subset([3, 1, 3]);
  assert.equal(sub.size, 3);
  assert.deepEqual(sub.info.map((s) => s.index), [3, 1, 3]);
  assert.deepEqual(Array.from(sub.label(0)!), Array(6).fill(3));
  assert.deepEqual(sub.image(1), set.image(1));
  sub.images[0] = -100;
  assert.notEqual(set.images[18], -100, "subset must copy");
  assert.throws(() => set.subset([0, 4]), /got 4/);
});

Deno.test("SliceSet.concat joins sets and enforces matching sizes and labels", () => {
  const a = makeSet(2, "a", true);
  const b = makeSet(3, "b", true);
  const ab = SliceSet.concat([a, b]);
  assert.equal(ab.size, 5);
  assert.deepEqual(ab.info.map((s) => s.scanId), ["a", "a", "b", "b", "b"]);
  assert.deepEqual(ab.image(2), b.image(0));
  assert.deepEqual(ab.label(4), b.label(2));
  assert.deepEqual(ab.indicesOfScans(["b"]), [2, 3, 4]);
  const u = makeSet(1, "u", false);
  assert.throws(() => SliceSet.concat([a, u]), /1 of 2 sets have no labels/);
  const dropped = SliceSet.concat([a, u], { labels: "drop" });
  assert.equal(dropped.hasLabels, false);
  assert.equal(dropped.size, 3);
  assert.throws(() => SliceSet.concat([a, makeSet(1, "c", true, 3, 3)]), /sizes differ/);
  assert.throws(() => SliceSet.concat([]), /no set given/);
});

Deno.test("SliceSet.withoutLabels shares images and drops labels", () => {
  const set = makeSet(2, "a", true);
  const u = set.withoutLabels();
  assert.equal(u.hasLabels, false);
  assert.equal(u.images, set.images);
  assert.deepEqual(u.info, set.info);
});

Deno.test("SliceSet constructor checks array lengths", () => {
  assert.throws(
    () => new SliceSet({ images: new Float32Array(5), info: [], height: 2, width: 2 }),
    /images must hold 0x2x2 values \(got 5\)/,
  );
  assert.throws(
    () => new SliceSet({ images: new Float32Array(0), info: [], height: 0, width: 2 }),
    /height and width must be positive integers/,
  );
});
