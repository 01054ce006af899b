import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import type { ConsistencyContext } from "../../losses/consistency_loss.ts";
import { RegularizedDropout } from "../../losses/regularized_dropout.ts";
import { UNet } from "../../networks/unet.ts";

await initEngine({ backend: "wasm", log: () => {} });

const kl = (p: number[], q: number[]) => p.reduce((s, v, i) => s + v * Math.log(v / q[i]!), 0);

Deno.test("RegularizedDropout.divergence(): symmetric KL over classes, mean over pixels", () => {
  const rdrop = new RegularizedDropout();
  // Pixel 1: p = [0.5, 0.5] vs q = [0.8, 0.2]; pixel 2: [0.1, 0.6, 0.3] vs [0.3, 0.3, 0.4].
  const one = rdrop.divergence(
    tf.tensor4d([Math.log(0.5), Math.log(0.5)], [1, 1, 1, 2]),
    tf.tensor4d([Math.log(0.8), Math.log(0.2)], [1, 1, 1, 2]),
  ).dataSync()[0]!;
  const expected = 0.5 * (kl([0.5, 0.5], [0.8, 0.2]) + kl([0.8, 0.2], [0.5, 0.5]));
  assert.ok(Math.abs(one - expected) < 1e-6, `got ${one}, expected ${expected}`);
  const a = [[0.1, 0.6, 0.3], [0.2, 0.2, 0.6]], b = [[0.3, 0.3, 0.4], [0.2, 0.2, 0.6]];
  const two = rdrop.divergence(
    tf.tensor4d(a.flat().map(Math.log), [1, 2, 1, 3]),
    tf.tensor4d(b.flat().map(Math.log), [1, 2, 1, 3]),
  ).dataSync()[0]!;
  const perPixel = a.map((p, i) => 0.5 * (kl(p, b[i]!) + kl(b[i]!, p)));
  assert.ok(Math.abs(two - (perPixel[0]! + perPixel[1]!) / 2) < 1e-6);
  assert.equal(perPixel[1], 0);
});

Deno.test("RegularizedDropout: two dropout passes disagree, and the supervised term averages both", () => {
  const rdrop = new RegularizedDropout();
  const net = new UNet({ channels: [4, 8], dropout: [0.5, 0.5], numClasses: 3, seed: 2 });
  const images = tf.randomUniform([2, 8, 8, 1], -1, 1, "float32", 3) as tf.Tensor4D;
  const labels = tf.zeros([2, 8, 8], "int32") as tf.Tensor3D;
  const rng = new Rng(4);
  let passes = 0;
  const predict = (training: boolean) => (x: tf.Tensor4D) => {
    passes++;
    return net.apply(x, { training, rng });
  };
  const ctx: ConsistencyContext = {
    images,
    predict: predict(true),
    path: "segmentor",
    update: "segmentor",
    rng,
    step: 0,
  };
  assert.ok(rdrop.compute(ctx).dataSync()[0]! > 1e-6, "independent dropout masks");
  assert.equal(passes, 2);
  assert.equal(rdrop.compute({ ...ctx, predict: predict(false) }).dataSync()[0], 0);
  const values: number[] = [];
  const sup = rdrop.supervised({
    ...ctx,
    labels,
    baseLoss: (z) => {
      const v = tf.mean(z) as tf.Scalar;
      values.push(v.dataSync()[0]!);
      return v;
    },
  }).dataSync()[0]!;
  assert.equal(values.length, 2);
  assert.ok(values[0] !== values[1] && Math.abs(sup - (values[0]! + values[1]!) / 2) < 1e-6);
  tf.dispose([images, labels]);
  net.dispose();
});
