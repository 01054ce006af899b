import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { featureDropout, featureNoise } from "../../networks/_feature_perturbations.ts";
import { assertClose } from "../_helpers.ts";

Deno.test("featureDropout zeroes the locations whose channel mean reaches factor x max", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  // Two samples, 2x2 locations, 2 channels. Channel means: sample 0 [1, 2, 3, 4],
  // sample 1 [4, 1, 1, 0.5] (maxima 4 and 4 -> thresholds 3.2 at factor 0.8).
  const means = [[1, 2, 3, 4], [4, 1, 1, 0.5]];
  const values: number[] = [];
  for (const sample of means) for (const m of sample) values.push(m - 0.5, m + 0.5);
  const x = tf.tensor4d(values, [2, 2, 2, 2]);
  const y = tf.tidy(() => featureDropout(x, 0.8));
  const keep = [[1, 1, 1, 0], [0, 1, 1, 1]];
  const expected: number[] = [];
  means.forEach((sample, s) =>
    sample.forEach((m, i) => expected.push((m - 0.5) * keep[s]![i]!, (m + 0.5) * keep[s]![i]!))
  );
  assert.deepEqual(Array.from(await y.data()), expected);
  // The gradient is the keep mask (the threshold itself passes no gradient).
  const g = tf.grad((t) => tf.sum(featureDropout(t as tf.Tensor4D, 0.8)))(x);
  assert.deepEqual(Array.from(await g.data()), keep.flat().flatMap((k) => [k, k]));
  tf.dispose([x, y, g]);
});

Deno.test("featureNoise multiplies by 1 + n, n ~ U(-a, a) shared by the batch and seeded", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const x = tf.tensor4d(new Rng(4).uniformArray(3 * 4 * 4 * 2, 0.5, 1.5), [3, 4, 4, 2]);
  const a = tf.tidy(() => featureNoise(x, 0.3, new Rng(5)));
  const b = tf.tidy(() => featureNoise(x, 0.3, new Rng(5)));
  const c = tf.tidy(() => featureNoise(x, 0.3, new Rng(6)));
  assert.deepEqual(await a.data(), await b.data());
  assert.notDeepEqual(await a.data(), await c.data());
  const ratio = await tf.tidy(() => tf.sub(tf.div(a, x), 1)).data();
  const per = 4 * 4 * 2;
  let spread = 0;
  for (let i = 0; i < ratio.length; i++) {
    assert.ok(Math.abs(ratio[i]!) <= 0.3 + 1e-6, `noise ${ratio[i]} outside [-0.3, 0.3]`);
    spread = Math.max(spread, Math.abs(ratio[i]!));
    // Same noise for every sample of the batch.
    assertClose([ratio[i]!], [ratio[i % per]!], 1e-5, `sample ${Math.floor(i / per)}`);
  }
  assert.ok(spread > 0.2, "noise spans most of its range");
  const same = tf.tidy(() => featureNoise(x, 0, new Rng(5)));
  assert.deepEqual(await same.data(), await x.data());
  tf.dispose([x, a, b, c, same]);
});
