/**
 * Plug your own consistency loss (`L_customize`) into GRN-SSL: here, segmentations must not
 * change when the image is flipped left-right. Run: `deno task example:custom-consistency`.
 */
import * as tf from "@tensorflow/tfjs";
import {
  type ConsistencyLoss,
  GRN,
  initEngine,
  PatchGANDiscriminator,
  ResUNetGenerator,
  UNet,
} from "../mod.ts";

await initEngine();
const flip: ConsistencyLoss = {
  name: "flip",
  requires: [],
  compute: ({ images, predict }) =>
    tf.tidy(() => {
      const p = tf.softmax(predict(images));
      const q = tf.reverse(tf.softmax(predict(tf.reverse(images, 2))), 2); // flip back
      return tf.mean(tf.squaredDifference(p, q)) as tf.Scalar;
    }),
};
const grn = new GRN({
  mode: "ssl",
  consistency: flip,
  segmentor: new UNet({ channels: [8, 16, 32] }),
  generator: new ResUNetGenerator({ ngf: 8 }),
  discriminator: new PatchGANDiscriminator({ ndf: 8 }),
});
const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 1) as tf.Tensor4D;
const labels = tf.randomUniform([2, 32, 32], 0, 7, "int32", 2) as tf.Tensor3D;
for (let i = 0; i < 3; i++) {
  const losses = grn.step({ images, labels }, { images });
  // deno-lint-ignore no-console
  console.log(
    `step ${i}: Dice ${losses.diceReal.toFixed(3)}, flip consistency ${
      losses.consistencyReal?.toFixed(5)
    }`,
  );
}
grn.dispose();
