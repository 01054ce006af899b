import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { augmentBatch } from "../../data/augment.ts";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { AugmentedSource } from "../../trainers/augmented_source.ts";
import { toyBands, ToySource } from "../_toy_data.ts";

await initEngine({ backend: "wasm", log: () => {} });

const data = toyBands(6, 16, 3, 1);
const augment = (b: Parameters<typeof augmentBatch<Int32Array>>[0], rng: Rng) =>
  augmentBatch(b, rng, {
    flipProbability: 1,
    affineProbability: 0,
    intensityProbability: 0,
    noiseProbability: 0,
  });

Deno.test("AugmentedSource: next() is augmented (here: flipped), batches() is not, state resumes", () => {
  const plain = new ToySource(data, 7),
    wrapped = new AugmentedSource(new ToySource(data, 7), augment, 1);
  const a = plain.next(2), b = wrapped.next(2);
  const flipped = tf.tidy(() => tf.reverse(a.images, 2).dataSync());
  assert.deepEqual(b.images.dataSync(), flipped);
  assert.deepEqual(b.labels!.dataSync(), tf.tidy(() => tf.reverse(a.labels!, 2).dataSync()));
  const [first] = [...wrapped.batches(6)];
  assert.deepEqual(first!.images.dataSync(), data.images);
  const saved = wrapped.state();
  const c = wrapped.next(3);
  const resumed = new AugmentedSource(new ToySource(data, 99), augment, 5);
  resumed.setState(JSON.parse(JSON.stringify(saved)));
  const d = resumed.next(3);
  assert.deepEqual(d.images.dataSync(), c.images.dataSync());
  assert.throws(() => resumed.setState({}), /expected \{ source, augmentRng \}/);
  const before = tf.memory().numTensors;
  const e = wrapped.next(2);
  assert.equal(tf.memory().numTensors, before + 2, "only the returned batch stays alive");
  tf.dispose([
    a.images,
    a.labels!,
    b.images,
    b.labels!,
    first!.images,
    first!.labels!,
    c.images,
    c.labels!,
    d.images,
    d.labels!,
    e.images,
    e.labels!,
  ]);
});
