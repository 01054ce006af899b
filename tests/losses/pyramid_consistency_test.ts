import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import type { ConsistencyContext, SupervisedContext } from "../../losses/consistency_loss.ts";
import { PyramidConsistency } from "../../losses/pyramid_consistency.ts";
import { PyramidUNet } from "../../networks/pyramid_unet.ts";
import { UNet } from "../../networks/unet.ts";
import { parts } from "./_parts.ts";

await initEngine({ backend: "wasm", log: () => {} });

const softmax = (z: number[]) => {
  const e = z.map(Math.exp), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** URPC by hand: logits[s][pixel][class]. */
function handUrpc(logits: number[][][]): number {
  const S = logits.length, P = logits[0]!.length, C = logits[0]![0]!.length;
  const probs = logits.map((scale) => scale.map(softmax));
  const mean = Array.from(
    { length: P },
    (_, i) => Array.from({ length: C }, (_, c) => probs.reduce((a, p) => a + p[i]![c]!, 0) / S),
  );
  let total = 0;
  for (let s = 0; s < S; s++) {
    let weighted = 0, weightSum = 0, divSum = 0;
    for (let i = 0; i < P; i++) {
      let d = 0;
      for (let c = 0; c < C; c++) {
        d += mean[i]![c]! * (Math.log(mean[i]![c]!) - Math.log(probs[s]![i]![c]!));
      }
      const w = Math.exp(-d);
      for (let c = 0; c < C; c++) weighted += w * (mean[i]![c]! - probs[s]![i]![c]!) ** 2;
      weightSum += w;
      divSum += d;
    }
    total += (weighted / (P * C)) / (weightSum / P + 1e-8) + divSum / P;
  }
  return total / S;
}

// Three scales, two pixels, two classes.
const LOGITS = [
  [[2, -1], [0.5, 0.2]],
  [[0.3, 0.1], [-1, 1]],
  [[1, 1], [0, 2]],
];

Deno.test("PyramidConsistency.rectifiedLoss(): exp(-KL)-weighted MSE to the pyramid mean + mean KL", () => {
  const urpc = new PyramidConsistency();
  const tensors = LOGITS.map((s) => tf.tensor4d(s.flat(), [1, 1, 2, 2]));
  const got = urpc.rectifiedLoss(tensors).dataSync()[0]!;
  const expected = handUrpc(LOGITS);
  assert.ok(Math.abs(got - expected) < 1e-6, `got ${got}, expected ${expected}`);
  // Identical scales: no divergence, weight 1, loss 0.
  const same = urpc.rectifiedLoss([tensors[0]!, tensors[0]!]).dataSync()[0]!;
  assert.ok(Math.abs(same) < 1e-7);
  assert.throws(
    () => urpc.rectifiedLoss([tensors[0]!]),
    /need at least 2 pyramid outputs \(got 1\)/,
  );
  tf.dispose(tensors);
});

Deno.test("PyramidConsistency: the non-detached target gets a gradient; detachTarget removes it", () => {
  const scale = tf.variable(tf.scalar(1));
  const gradient = (detach: boolean) => {
    const urpc = new PyramidConsistency({ detachTarget: detach });
    const { grads, value } = tf.variableGrads(
      () =>
        urpc.rectifiedLoss(
          LOGITS.map((s, k) =>
            tf.mul(tf.tensor4d(s.flat(), [1, 1, 2, 2]), k === 0 ? scale : 1) as tf.Tensor4D
          ),
        ),
      [scale],
    );
    const g = grads[scale.name]!.dataSync()[0]!;
    tf.dispose([value, grads[scale.name]!]);
    return g;
  };
  const full = gradient(false), detached = gradient(true);
  const h = 1e-3;
  const at = (a: number) =>
    handUrpc(LOGITS.map((s, k) => s.map((px) => px.map((v) => (k === 0 ? a * v : v)))));
  const numeric = (at(1 + h) - at(1 - h)) / (2 * h);
  assert.ok(Math.abs(full - numeric) < 1e-3, `full ${full} vs numeric ${numeric}`);
  assert.ok(Math.abs(full - detached) > 1e-4, "detaching p̄ changes the gradient");
  scale.dispose();
});

Deno.test("PyramidConsistency: deep supervision averages the base loss over the pyramid", () => {
  const urpc = new PyramidConsistency();
  const images = tf.zeros([1, 1, 2, 1]) as tf.Tensor4D;
  const labels = tf.zeros([1, 1, 2], "int32") as tf.Tensor3D;
  const outputs = LOGITS.map((s) => tf.tensor4d(s.flat(), [1, 1, 2, 2]));
  const ctx: SupervisedContext = {
    images,
    labels,
    predict: () => outputs[0]!.clone(),
    predictPyramid: () => outputs.map((o) => o.clone()),
    baseLoss: (z) => tf.mean(z) as tf.Scalar,
    path: "segmentor",
    update: "segmentor",
    rng: new Rng(0),
    step: 0,
  };
  const means = LOGITS.map((s) => s.flat().reduce((a, b) => a + b, 0) / 4);
  const got = urpc.supervised(ctx).dataSync()[0]!;
  assert.ok(Math.abs(got - means.reduce((a, b) => a + b, 0) / 3) < 1e-6);
  const mainOnly = new PyramidConsistency({ deepSupervision: false }).supervised(ctx);
  assert.ok(Math.abs(mainOnly.dataSync()[0]! - means[0]!) < 1e-6);
  const noPyramid: ConsistencyContext = { ...ctx, predictPyramid: undefined };
  assert.throws(() => urpc.compute(noPyramid), /gave no pyramid outputs/);
  tf.dispose([images, labels, mainOnly, ...outputs]);
});

Deno.test("PyramidConsistency.attach() refuses a segmentor without pyramid outputs", () => {
  const urpc = new PyramidConsistency();
  const unet = new UNet({ channels: [2, 4], dropout: [0, 0], numClasses: 3 });
  assert.throws(
    () => parts(urpc).attach({ segmentor: unet, generator: null }),
    /needs a multi-scale segmentor with pyramid outputs, e\.g\. PyramidUNet \(got unet/,
  );
  const pyramid = new PyramidUNet({ channels: [2, 2, 2, 2, 2], numClasses: 3 });
  parts(urpc).attach({ segmentor: pyramid, generator: null });
  unet.dispose();
  pyramid.dispose();
});
