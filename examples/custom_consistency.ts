/**
 * Plug your own consistency loss (`L_customize`) into GRN-SSL: segmentations must not change
 * when the image is flipped left-right. Trains briefly on the embedded phantom.
 * Run: `deno task example:custom-consistency`.
 */
import * as tf from "@tensorflow/tfjs";
import * as grn from "../mod.ts";

await grn.initEngine();
const flip: grn.ConsistencyLoss = {
  name: "flip",
  requires: [],
  compute: ({ images, predict }) =>
    tf.tidy(() => {
      const p = tf.softmax(predict(images));
      const q = tf.reverse(tf.softmax(predict(tf.reverse(images, 2))), 2); // flip back
      return tf.mean(tf.squaredDifference(p, q)) as tf.Scalar;
    }),
};
const trainer = new grn.GRN({
  mode: "ssl",
  consistency: flip,
  segmentor: new grn.UNet(),
  generator: new grn.ResUNetGenerator(),
  discriminator: new grn.PatchGANDiscriminator(),
});
const { scans } = grn.generatePhantomCohort({ participants: 2, scansPerParticipant: 1, seed: 1 });
const records = scans.map((s) => grn.phantomToScanRecord(s));
const slices = grn.extractSlices(records, { inputSize: [128, 64], every: 4 });
const labeled = new grn.BatchStream(slices, { seed: 1, name: "labeled" });
const unlabeled = new grn.BatchStream(slices.withoutLabels(), { seed: 1, name: "unlabeled" });
await grn.fit(trainer, { labeled, unlabeled }, {
  batchSize: 2,
  maxEpochs: 1,
  iterationsPerEpoch: 4,
});
trainer.dispose();
