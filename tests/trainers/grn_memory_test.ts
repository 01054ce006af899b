import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { MemoryLimitError } from "../../engine/memory_limit_error.ts";
import { UNet } from "../../networks/unet.ts";
import { GRN } from "../../trainers/grn.ts";

Deno.test("GRN.step() that cannot fit the wasm heap fails with a MemoryLimitError naming the sizes", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  // The first activation alone (2 x 4096 x 4096 x 40 float32 = 5.4 GB) exceeds the 4 GB heap.
  const grn = new GRN({
    segmentor: new UNet({ channels: [40, 8], dropout: [0, 0], numClasses: 3 }),
  });
  const images = tf.zeros([2, 4096, 4096, 1]) as tf.Tensor4D;
  const labels = tf.zeros([2, 4096, 4096], "int32") as tf.Tensor3D;
  const before = tf.memory().numTensors;
  assert.throws(
    () => grn.step({ images, labels }),
    (error: unknown) => {
      assert.ok(error instanceof MemoryLimitError, String(error));
      assert.match(
        error.message,
        /^Cannot run a supervised segmentor training step at batch size 2 and image size 4096x4096: .*Use a smaller batch size or image size/,
      );
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, before, "the failed step left tensors behind");
  // The backend still trains at a size that fits.
  const small = {
    images: tf.zeros([2, 16, 16, 1]) as tf.Tensor4D,
    labels: tf.zeros([2, 16, 16], "int32") as tf.Tensor3D,
  };
  assert.ok(Number.isFinite(grn.step(small).lossS!));
  tf.dispose([images, labels, small.images, small.labels]);
  grn.dispose();
});
