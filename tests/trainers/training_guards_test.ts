import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initEngine } from "../../engine/init_engine.ts";
import { diceLoss } from "../../losses/dice_loss.ts";
import { UNet } from "../../networks/unet.ts";
import { fit } from "../../trainers/fit.ts";
import { GRN } from "../../trainers/grn.ts";
import { NonFiniteLossError } from "../../trainers/training_guards.ts";
import { toyBands, ToySource } from "../_toy_data.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SIZE = 16, CLASSES = 3;

function segmentorOnly(loss?: (l: tf.Tensor4D, m: tf.Tensor3D) => tf.Scalar): GRN {
  return new GRN({
    segmentor: new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: CLASSES, seed: 1 }),
    generator: null,
    mode: "sel",
    seed: 5,
    ...(loss ? { supervisedLoss: loss } : {}),
  });
}

Deno.test("GRN.step() rejects labels outside 0..C-1, non-integer labels and non-finite images", () => {
  const grn = segmentorOnly();
  const images = tf.zeros([2, SIZE, SIZE, 1]) as tf.Tensor4D;
  const cases: [number, number, string][] = [
    [7, 0, "labels must be integers in 0..2 (got values in [0, 7])"],
    [-1, 0, "labels must be integers in 0..2 (got values in [-1, 0])"],
    [1.5, 0, "labels must be integers in 0..2 (got non-integer values in [0, 1.5])"],
    [NaN, 0, "labels must be integers in 0..2 (got NaN or ±Infinity)"],
    [0, NaN, "images must be finite (got NaN or ±Infinity values)"],
    [0, Infinity, "images must be finite (got NaN or ±Infinity values)"],
  ];
  try {
    for (const [label, pixel, message] of cases) {
      const m = tf.buffer([2, SIZE, SIZE], "float32");
      const x = tf.buffer([2, SIZE, SIZE, 1], "float32");
      m.set(label, 1, 3, 4);
      x.set(pixel, 0, 5, 6, 0);
      const labels = m.toTensor() as tf.Tensor3D;
      const bad = x.toTensor() as tf.Tensor4D;
      try {
        assert.throws(() => grn.step({ images: bad, labels }), {
          name: "RangeError",
          message: `Cannot train on the labeled batch: ${message}`,
        });
      } finally {
        tf.dispose([labels, bad]);
      }
    }
    // A clean batch still trains, and no tensor leaks from the checks.
    const labels = tf.zeros([2, SIZE, SIZE], "int32") as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const losses = grn.step({ images, labels });
    assert.ok(Number.isFinite(losses.diceReal!));
    assert.equal(tf.memory().numTensors, before);
    labels.dispose();
  } finally {
    images.dispose();
    grn.dispose();
  }
});

Deno.test("GRN.step() throws NonFiniteLossError naming the step and the loss term", () => {
  let poison = false;
  const grn = segmentorOnly((logits, labels) =>
    tf.tidy(() => tf.mul(diceLoss(logits, labels), poison ? NaN : 1) as tf.Scalar)
  );
  const images = tf.randomUniform([2, SIZE, SIZE, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  const labels = tf.zeros([2, SIZE, SIZE], "int32") as tf.Tensor3D;
  try {
    grn.step({ images, labels });
    poison = true;
    assert.throws(() => grn.step({ images, labels }), (error: Error) => {
      assert.ok(error instanceof NonFiniteLossError);
      assert.equal(error.info.step, 2);
      assert.equal(error.info.term, "diceReal");
      assert.equal(
        error.message,
        "Cannot train: loss term diceReal is not finite at step 2 (got NaN); training stopped",
      );
      return true;
    });
  } finally {
    tf.dispose([images, labels]);
    grn.dispose();
  }
});

Deno.test("fit() stops on a non-finite loss naming epoch, step and term, and keeps the last good checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  let poison = false;
  const grn = segmentorOnly((logits, labels) =>
    tf.tidy(() => tf.mul(diceLoss(logits, labels), poison ? NaN : 1) as tf.Scalar)
  );
  try {
    const data = {
      labeled: new ToySource(toyBands(6, SIZE, CLASSES, 1), 11),
      validation: new ToySource(toyBands(4, SIZE, CLASSES, 3), 13),
    };
    const lastPath = join(dir, "last.ckpt");
    let good: Uint8Array | null = null;
    await assert.rejects(
      () =>
        fit(grn, data, {
          batchSize: 2,
          maxEpochs: 3,
          iterationsPerEpoch: 2,
          checkpointDir: dir,
          progress: (e) => {
            if (e.kind === "epoch") poison = true; // the next step (epoch 2, step 1) diverges
            if (e.kind === "step" && e.epoch === 2) {
              throw new Error("unreachable: step 1 of epoch 2 ran");
            }
          },
        }),
      (error: Error) => {
        assert.ok(error instanceof NonFiniteLossError);
        assert.deepEqual(
          { epoch: error.info.epoch, iteration: error.info.iteration, step: error.info.step },
          { epoch: 2, iteration: 1, step: 3 },
        );
        assert.equal(
          error.message,
          "Cannot train: loss term diceReal is not finite at epoch 2, step 1 of the epoch " +
            `(global step 3) (got NaN); training stopped, the last good checkpoint ${lastPath} is kept`,
        );
        return true;
      },
    );
    good = await Deno.readFile(lastPath);
    // The checkpoint is the one of epoch 1: it holds finite weights and restores.
    const again = segmentorOnly();
    try {
      await again.restore(lastPath);
      for (const v of again.namedState().values()) {
        assert.ok((v.dataSync() as Float32Array).every(Number.isFinite));
      }
    } finally {
      again.dispose();
    }
    const history = JSON.parse(await Deno.readTextFile(join(dir, "history.json")));
    assert.equal(history.length, 1);
    // Saving the diverged trainer is refused and leaves the good checkpoint untouched.
    await assert.rejects(() => grn.save(lastPath), /Cannot write checkpoint .*non-finite/);
    assert.deepEqual(await Deno.readFile(lastPath), good);
  } finally {
    grn.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
