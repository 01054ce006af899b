import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { SegmentationAdversarial } from "../../losses/segmentation_adversarial.ts";
import { UNet } from "../../networks/unet.ts";
import { toyBands } from "../_toy_data.ts";
import { parts } from "./_parts.ts";

await initEngine({ backend: "wasm", log: () => {} });

const softplus = (x: number) => Math.log1p(Math.exp(x));
const mean = (a: ArrayLike<number>, f: (v: number) => number) =>
  Array.from(a).reduce((s, v) => s + f(v), 0) / a.length;

Deno.test("DAN: discriminator on [softmax, image], labeled = real (1), unlabeled = fake (0)", () => {
  const segmentor = new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: 3, seed: 1 });
  const dan = new SegmentationAdversarial({
    discriminator: { ndf: 4, nLayers: 2 },
    adam: { learningRate: 1e-2 }, // fast enough to see D learn in 25 steps
    seed: 2,
  });
  parts(dan).attach({ segmentor, generator: null });
  assert.equal(dan.discriminator!.channels, 4, "C + 1 input channels");
  const data = toyBands(8, 16, 3, 1);
  const labeled = tf.tensor4d(data.images.subarray(0, 4 * 256), [4, 16, 16, 1]);
  const unlabeled = tf.tensor4d(data.images.subarray(4 * 256), [4, 16, 16, 1]);
  const labels = tf.zeros([4, 16, 16], "int32") as tf.Tensor3D;
  const scores = (x: tf.Tensor4D) =>
    tf.tidy(() =>
      dan.discriminator!.apply(
        dan.discriminatorInput(segmentor.apply(x, { training: false }), x),
      ).dataSync()
    );
  // The segmentor's term on unlabeled images: BCE(D([p_u, x_u]), 1).
  const su = scores(unlabeled), sl = scores(labeled);
  const compute = dan.compute({
    images: unlabeled,
    predict: (x) => segmentor.apply(x, { training: false }),
    path: "segmentor",
    update: "segmentor",
    rng: new Rng(0),
    step: 0,
  }).dataSync()[0]!;
  assert.ok(Math.abs(compute - mean(su, (s) => softplus(-s))) < 1e-6);
  // The discriminator's loss before its update, by hand.
  const expected = (sl.length * mean(sl, (s) => softplus(-s)) + su.length * mean(su, softplus)) /
    (sl.length + su.length);
  const segBefore = segmentor.trainableVariables.map((v) => v.dataSync().slice());
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    const out = parts(dan).auxiliaryStep({
      labeled: { images: labeled, labels },
      unlabeled: { images: unlabeled },
      segmentor,
      rng: new Rng(0),
      step,
    });
    losses.push(out.lossDan!);
  }
  assert.ok(Math.abs(losses[0]! - expected) < 1e-6, `${losses[0]} vs ${expected}`);
  assert.ok(
    losses.at(-1)! < losses[0]! - 0.01,
    `D learns to separate: ${losses[0]} -> ${losses.at(-1)}`,
  );
  const sl2 = scores(labeled), su2 = scores(unlabeled);
  assert.ok(mean(sl2, (v) => v) > mean(su2, (v) => v), "labeled scores above unlabeled");
  segmentor.trainableVariables.forEach((v, i) =>
    assert.deepEqual(v.dataSync(), segBefore[i], "the D step leaves S alone")
  );
  assert.ok(parts(dan).variableNames.some((n) => n.startsWith("D/conv0")));
  assert.ok(parts(dan).variableNames.some((n) => n.startsWith("D.adam/")));
  assert.equal(parts(dan).variables.length, parts(dan).variableNames.length);
  assert.throws(
    () => parts(dan).attach({ segmentor, generator: null }),
    /already belongs to a trainer/,
  );
  tf.dispose([labeled, unlabeled, labels]);
  parts(dan).dispose();
  parts(dan).dispose();
  segmentor.dispose();
});
