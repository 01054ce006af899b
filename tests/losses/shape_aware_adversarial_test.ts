import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { diceLoss } from "../../losses/dice_loss.ts";
import { ShapeAwareAdversarial } from "../../losses/shape_aware_adversarial.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { SdmUNet } from "../../networks/sdm_unet.ts";
import { UNet } from "../../networks/unet.ts";
import { assertClose } from "../_helpers.ts";
import { parts } from "./_parts.ts";

await initEngine({ backend: "wasm", log: () => {} });

Deno.test("SASSNet SDF targets: a 3x3 square in 5x5, per foreground class", () => {
  const sass = new ShapeAwareAdversarial();
  // Class 1: the centre 3x3 square; class 2: absent.
  const lab = new Int32Array(25);
  for (let r = 1; r <= 3; r++) for (let c = 1; c <= 3; c++) lab[r * 5 + c] = 1;
  const labels = tf.tensor3d(lab, [1, 5, 5], "int32");
  const target = sass.sdfTargets(labels, 3);
  assert.deepEqual(target.shape, [1, 5, 5, 2]);
  const v = target.dataSync();
  // Outside: distance 1 to the square (edges) or √2 (corners), normalised by √2.
  // Inside: the inner boundary is 0; the centre is 2 from the background, normalised by 2: -1.
  const e = Math.SQRT1_2;
  const expected = [
    [1, e, e, e, 1],
    [e, 0, 0, 0, e],
    [e, 0, -1, 0, e],
    [e, 0, 0, 0, e],
    [1, e, e, e, 1],
  ].flat();
  assertClose(Array.from(v).filter((_, i) => i % 2 === 0), expected, 1e-6, "class 1");
  assert.ok(Array.from(v).filter((_, i) => i % 2 === 1).every((x) => x === 0), "absent class: 0");
  tf.dispose([labels, target]);
});

Deno.test("SASSNet supervised term: base + 0.3·MSE(sdm, SDF(labels)); attach rules", () => {
  const net = new SdmUNet({ channels: [4, 8], dropout: [0, 0], numClasses: 3, seed: 1 });
  const sass = new ShapeAwareAdversarial({ discriminator: { ndf: 4, nLayers: 2 } });
  const plain = new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: 3 });
  assert.throws(
    () => parts(sass).attach({ segmentor: plain, generator: null }),
    /needs a segmentor with a signed-distance head, e\.g\. SdmUNet \(got unet/,
  );
  const g = new ResUNetGenerator({ ngf: 4, downsamplings: 2 });
  assert.throws(() => parts(sass).attach({ segmentor: net, generator: g }), /takes no generator/);
  parts(sass).attach({ segmentor: net, generator: null });
  assert.equal(sass.discriminator!.channels, 3, "C - 1 maps + 1 image channel");
  const images = tf.randomUniform([2, 16, 16, 1], -1, 1, "float32", 4) as tf.Tensor4D;
  const lab = new Int32Array(2 * 256);
  for (let i = 0; i < lab.length; i++) lab[i] = Math.floor((i % 256) / 16 / 6); // bands 0, 1, 2
  const labels = tf.tensor3d(lab, [2, 16, 16], "int32");
  const ctx = {
    images,
    labels,
    predict: (x: tf.Tensor4D) => net.apply(x, { training: true }),
    baseLoss: (z: tf.Tensor4D, y: tf.Tensor3D) => diceLoss(z, y),
    path: "segmentor" as const,
    update: "segmentor" as const,
    rng: new Rng(0),
    step: 0,
  };
  const got = sass.supervised(ctx).dataSync()[0]!;
  const expected = tf.tidy(() => {
    const { logits, sdm } = net.applyWithSdm(images, { training: true });
    const target = sass.sdfTargets(labels, 3);
    return diceLoss(logits, labels).dataSync()[0]! +
      0.3 * tf.mean(tf.squaredDifference(sdm, target)).dataSync()[0]!;
  });
  assert.ok(Math.abs(got - expected) < 1e-5, `got ${got}, expected ${expected}`);
  const adv = sass.compute({ ...ctx, images }).dataSync()[0]!;
  assert.ok(Number.isFinite(adv) && adv > 0);
  const aux = parts(sass).auxiliaryStep({
    labeled: { images, labels },
    unlabeled: { images },
    segmentor: net,
    rng: new Rng(0),
    step: 0,
  });
  assert.ok(Number.isFinite(aux.lossSassnet!));
  assert.throws(() => new ShapeAwareAdversarial({ sdmWeight: -1 }), /sdmWeight must be/);
  tf.dispose([images, labels]);
  parts(sass).dispose();
  for (const m of [net, plain, g]) m.dispose();
});
