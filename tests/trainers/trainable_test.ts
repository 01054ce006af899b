import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import type { BatchSource, SourceBatch } from "../../trainers/batch_source.ts";
import { fit } from "../../trainers/fit.ts";
import type {
  InferencePath,
  LabeledBatch,
  StepReport,
  Trainable,
} from "../../trainers/trainable.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SIZE = 4;

/** Two images whose every pixel is background (class 0). */
class BackgroundSource implements BatchSource {
  readonly size = 2;
  readonly hasLabels = true;
  #batch(n: number): SourceBatch {
    return {
      images: tf.zeros([n, SIZE, SIZE, 1]) as tf.Tensor4D,
      labels: tf.zeros([n, SIZE, SIZE], "int32") as tf.Tensor3D,
    };
  }
  next(batchSize: number): SourceBatch {
    return this.#batch(batchSize);
  }
  *batches(batchSize: number): Iterable<SourceBatch> {
    yield this.#batch(Math.min(batchSize, this.size));
  }
  state(): unknown {
    return null;
  }
  setState(): void {}
}

/**
 * A trainer that is not a GRN: its model is one scalar `w`, the background logit of every
 * pixel (class 1's is 0), and each step sets `w` to the next value of a script, so the
 * validation Dice loss of every epoch is known in advance.
 */
class ScriptedTrainer implements Trainable {
  readonly mode = "sel" as const;
  readonly segmentor = { numClasses: 2 };
  readonly inferencePaths: readonly InferencePath[] = ["segmentor"];
  readonly w = tf.tidy(() => tf.variable(tf.scalar(0), true, "scripted_w"));
  readonly seen: number[] = [];
  #steps = 0;
  constructor(readonly script: number[]) {}
  step(labeled: LabeledBatch): StepReport {
    this.seen.push(labeled.images.shape[0]);
    const value = this.script[this.#steps++]!;
    tf.tidy(() => this.w.assign(tf.scalar(value)));
    return { consistencyWeight: 0.5, scripted: this.#steps } as StepReport;
  }
  predict(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h, w] = images.shape;
      const background = tf.fill([b, h, w, 1], this.w.dataSync()[0]!);
      return tf.concat([background, tf.zeros([b, h, w, 1])], 3) as tf.Tensor4D;
    });
  }
  modelState(): Map<string, tf.Variable> {
    return new Map([["M/w", this.w]]);
  }
  save(): Promise<void> {
    return Promise.reject(new Error("not expected: no checkpointDir"));
  }
  restore(): Promise<unknown> {
    return Promise.reject(new Error("not expected: no resume"));
  }
}

Deno.test("fit drives any Trainable: selects the best epoch and restores its modelState", async () => {
  const before = tf.memory().numTensors;
  // Higher w = more confident background = lower Dice loss: epoch 2 (w = 6) is the best.
  const trainer = new ScriptedTrainer([1, 6, 2]);
  const result = await fit(
    trainer,
    { labeled: new BackgroundSource(), validation: new BackgroundSource() },
    { batchSize: 2, maxEpochs: 3, iterationsPerEpoch: 1, patience: 0, progress: false },
  );
  assert.deepEqual(trainer.seen, [2, 2, 2]);
  assert.equal(result.bestEpoch, 2);
  assert.equal(result.bestSgeEpoch, null, "no SGE path, no SGE selection");
  assert.equal(trainer.w.dataSync()[0], 6, "the best epoch's model state is restored");
  assert.deepEqual(result.history.map((r) => r.selected), [undefined, ["segmentor"], undefined]);
  assert.equal(result.history[0]!.consistencyWeight, 0.5);
  assert.equal(result.history[2]!.train.scripted, 3);
  trainer.w.dispose();
  assert.equal(tf.memory().numTensors - before, 0, "fit leaks no tensor");
});

Deno.test("fit refuses SGE selection on a Trainable without the sge path", async () => {
  const trainer = new ScriptedTrainer([1]);
  try {
    await assert.rejects(
      () =>
        fit(trainer, { labeled: new BackgroundSource() }, {
          sgeSelection: true,
          progress: false,
        }),
      /Cannot select on SGE: the trainer has no generator \(got sgeSelection: true\)/,
    );
  } finally {
    trainer.w.dispose();
  }
});
