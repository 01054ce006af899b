import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { augmentBatch } from "../../data/augment.ts";
import { type Batch, type BatchAugment, BatchStream, disposeBatch } from "../../data/batches.ts";
import { type SliceInfo, SliceSet } from "../../data/slices.ts";
import type { BatchSource } from "../../trainers/batch_source.ts";
import { assertNoTensorLeak } from "../_helpers.ts";

await initEngine({ backend: "cpu", log: () => {} });

const H = 4, W = 3;

/** Slice i has image values i + pixel / 100 and label (i + pixel) % 7. */
function makeSet(n: number, labeled = true): SliceSet {
  const p = H * W;
  const info: SliceInfo[] = Array.from({ length: n }, (_, index) => ({
    scanId: `s${index % 3}`,
    participant: "p",
    direction: "coronal",
    index,
    rows: H,
    cols: W,
  }));
  const images = Float32Array.from({ length: n * p }, (_, k) => Math.floor(k / p) + (k % p) / 100);
  const labels = labeled
    ? Uint8Array.from({ length: n * p }, (_, k) => (Math.floor(k / p) + (k % p)) % 7)
    : undefined;
  return new SliceSet({ images, labels, info, height: H, width: W });
}

function take(stream: BatchStream, batchSize: number): number[] {
  const b = stream.next(batchSize);
  disposeBatch(b);
  return b.indices;
}

Deno.test("BatchStream.next gives NHWC float32 images and int32 labels of the chosen slices", () => {
  const set = makeSet(10);
  const stream = new BatchStream(set, { seed: 1 });
  const b = stream.next(4);
  assert.deepEqual(b.images.shape, [4, H, W, 1]);
  assert.equal(b.images.dtype, "float32");
  assert.deepEqual(b.labels!.shape, [4, H, W]);
  assert.equal(b.labels!.dtype, "int32");
  const x = b.images.dataSync(), y = b.labels!.dataSync();
  b.indices.forEach((src, k) => {
    assert.deepEqual(x.subarray(k * H * W, (k + 1) * H * W), set.image(src));
    assert.deepEqual(
      Array.from(y.subarray(k * H * W, (k + 1) * H * W)),
      Array.from(set.label(src)!),
    );
  });
  disposeBatch(b);
  const source: BatchSource = stream;
  assert.equal(source.size, 10);
});

Deno.test("BatchStream visits every slice once per pass and reshuffles each pass", () => {
  const n = 10;
  const stream = new BatchStream(makeSet(n), { seed: 2 });
  const drawn: number[] = [];
  for (let i = 0; i < 10; i++) drawn.push(...take(stream, 3)); // 30 draws = 3 passes
  const passes = [drawn.slice(0, 10), drawn.slice(10, 20), drawn.slice(20, 30)];
  for (const p of passes) assert.deepEqual([...p].sort((a, b) => a - b), [...Array(n).keys()]);
  assert.notDeepEqual(passes[0], passes[1]);
  assert.equal(stream.pass, 2);
  assert.equal(stream.batchesPerEpoch(3), 4);
  assert.equal(stream.batchesPerEpoch(5), 2);
});

Deno.test("BatchStream order is deterministic from seed and name", () => {
  const set = makeSet(12);
  const seq = (seed: number, name?: string) => {
    const s = new BatchStream(set, name ? { seed, name } : { seed });
    return [take(s, 5), take(s, 5), take(s, 5)].flat();
  };
  assert.deepEqual(seq(3), seq(3));
  assert.notDeepEqual(seq(3), seq(4));
  assert.notDeepEqual(seq(3, "labeled"), seq(3, "unlabeled"));
});

Deno.test("BatchStream.setState resumes exactly, including augmentation", async () => {
  const set = makeSet(7);
  const augment: BatchAugment = (b, rng) =>
    augmentBatch(b, rng, { affineProbability: 1, intensityProbability: 1 });
  const a = new BatchStream(set, { seed: 5, augment });
  for (let i = 0; i < 3; i++) take(a, 3); // mid-pass (9 of 14)
  const saved = JSON.parse(JSON.stringify(a.state()));
  const rest = async (s: BatchStream) => {
    const out: { indices: number[]; x: number[]; y: number[] }[] = [];
    for (let i = 0; i < 4; i++) {
      const b: Batch = s.next(3);
      out.push({
        indices: b.indices,
        x: Array.from(await b.images.data()),
        y: Array.from(await b.labels!.data()),
      });
      disposeBatch(b);
    }
    return out;
  };
  const expected = await rest(a);
  const b = new BatchStream(set, { seed: 999, augment });
  b.setState(saved);
  assert.deepEqual(await rest(b), expected);
});

Deno.test("BatchStream augmentation applies in next() only and keeps labels valid", () => {
  const set = makeSet(6);
  const stream = new BatchStream(set, {
    seed: 1,
    augment: (b, rng) => augmentBatch(b, rng, { affineProbability: 1, flipProbability: 1 }),
  });
  const b = stream.next(6);
  const raw = set.subset(b.indices);
  assert.notDeepEqual(b.images.dataSync(), raw.images);
  for (const v of b.labels!.dataSync()) assert.ok(Number.isInteger(v) && v >= 0 && v <= 6);
  disposeBatch(b);
  for (const e of stream.batches(6)) {
    assert.deepEqual(e.images.dataSync(), set.images);
    disposeBatch(e);
  }
});

Deno.test("BatchStream.batches walks the set in order without moving the shuffled stream", () => {
  const set = makeSet(7, false);
  const a = new BatchStream(set, { seed: 8 });
  const b = new BatchStream(set, { seed: 8 });
  const sizes: number[] = [];
  const seen: number[] = [];
  for (const batch of a.batches(3)) {
    assert.equal(batch.labels, undefined);
    sizes.push(batch.images.shape[0]);
    seen.push(...batch.indices);
    disposeBatch(batch);
  }
  assert.deepEqual(sizes, [3, 3, 1]);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(take(a, 4), take(b, 4));
});

Deno.test("BatchStream does not leak tensors", async () => {
  const stream = new BatchStream(makeSet(5), {
    seed: 1,
    augment: (b, rng) => augmentBatch(b, rng),
  });
  await assertNoTensorLeak(() => disposeBatch(stream.next(4)), 3, "next");
  await assertNoTensorLeak(
    () => {
      for (const b of stream.batches(2)) disposeBatch(b);
    },
    2,
    "batches",
  );
});

Deno.test("BatchStream rejects empty sets, bad batch sizes and foreign states", () => {
  assert.throws(() => new BatchStream(makeSet(0), { seed: 1 }), /slice set is empty \(got 0\)/);
  const s = new BatchStream(makeSet(4), { seed: 1 });
  assert.throws(() => s.next(0), /batchSize must be a positive integer \(got 0\)/);
  assert.throws(() => s.batches(1.5).next(), /got 1.5/);
  const other = new BatchStream(makeSet(5), { seed: 1 });
  assert.throws(() => s.setState(other.state()), /Cannot restore BatchStream state/);
  assert.throws(() => s.setState(null), /expected \{ size: 4/);
});
