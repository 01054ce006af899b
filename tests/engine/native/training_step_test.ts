import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { loadOneDnn, nativeContext } from "../../../engine/native/provider.ts";
import { PatchGANDiscriminator } from "../../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../../networks/resunet_generator.ts";
import { UNet } from "../../../networks/unet.ts";
import { GRN, type StepLosses } from "../../../trainers/grn.ts";
import { nativeTest, Rng } from "./_native.ts";

const STEPS = 3;

/**
 * Three joint G + S + D steps (GRN-SEL: convolutions, transposed convolutions, batch and
 * instance norm, ReLU/LeakyReLU/tanh, max pooling, dropout, Adam) on fixed data; the losses
 * of every step and the tensors left behind per step.
 */
function jointSteps(): { losses: StepLosses[]; leakedPerStep: number } {
  const rng = new Rng(7);
  const images = tf.tensor4d(rng.uniformArray(2 * 32 * 32, -1, 1), [2, 32, 32, 1]);
  const labels = tf.tensor3d(
    Int32Array.from(rng.uniformArray(2 * 32 * 32, 0, 3), (v) => Math.floor(v)),
    [2, 32, 32],
    "int32",
  );
  const grn = new GRN({
    segmentor: new UNet({
      seed: 1,
      numClasses: 3,
      channels: [8, 16, 32],
      dropout: [0.1, 0.2, 0.3],
    }),
    generator: new ResUNetGenerator({ seed: 2, ngf: 8, downsamplings: 2 }),
    discriminator: new PatchGANDiscriminator({ seed: 3, ndf: 8, nLayers: 2 }),
    mode: "sel",
    seed: 1,
  });
  const losses = [grn.step({ images, labels })];
  const before = tf.memory().numTensors;
  for (let i = 1; i < STEPS; i++) losses.push(grn.step({ images, labels }));
  const leakedPerStep = (tf.memory().numTensors - before) / (STEPS - 1);
  grn.dispose();
  tf.dispose([images, labels]);
  return { losses, leakedPerStep };
}

nativeTest(
  "a joint G+S+D training step gives the wasm-only losses over 3 steps and leaks nothing",
  async () => {
    await initEngine({ backend: "wasm", native: "off", log: () => {} });
    const wasm = jointSteps();
    const engine = await initEngine({ backend: "wasm", native: "onednn", log: () => {} });
    assert.ok(engine.native !== null && engine.native.kernels.includes("Conv2D"));
    const plans = nativeContext(loadOneDnn()).plans;
    const built = plans.created;
    const native = jointSteps();
    assert.ok(plans.created > built, "the native kernels did not run");
    assert.equal(native.leakedPerStep, 0, "native training steps leaked tensors");
    assert.equal(wasm.leakedPerStep, 0, "wasm training steps leaked tensors");
    for (let step = 0; step < STEPS; step++) {
      const want = wasm.losses[step]!;
      const got = native.losses[step]!;
      const terms = Object.keys(want).filter((k) => typeof want[k] === "number");
      assert.ok(terms.includes("lossG") && terms.includes("lossS") && terms.includes("lossD"));
      for (const term of terms) {
        const a = got[term]!, b = want[term]!;
        const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-3);
        assert.ok(rel <= 1e-3, `step ${step} ${term}: native ${a}, wasm ${b} (relative ${rel})`);
      }
    }
  },
);
