import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { webgpuMemory } from "../../../engine/webgpu/memory.ts";
import { InterpolationConsistency } from "../../../losses/interpolation_consistency.ts";
import { PatchGANDiscriminator } from "../../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../../networks/resunet_generator.ts";
import { UNet } from "../../../networks/unet.ts";
import { GRN, type StepLosses } from "../../../trainers/grn.ts";
import { toyBands } from "../../_toy_data.ts";
import { webgpuTest } from "./_webgpu.ts";

const SIZE = 16, CLASSES = 3, BATCH = 2, STEPS = 3;

/** A tiny GRN-SSL trainer (ICT as L_customize), the same weights on every backend. */
function tinyGRN(): GRN {
  return new GRN({
    segmentor: new UNet({ channels: [4, 8], dropout: [0.1, 0.1], numClasses: CLASSES, seed: 1 }),
    generator: new ResUNetGenerator({ ngf: 4, downsamplings: 2, seed: 2 }),
    discriminator: new PatchGANDiscriminator({ ndf: 4, nLayers: 1, seed: 3 }),
    mode: "ssl",
    consistency: new InterpolationConsistency(),
    seed: 7,
  });
}

const labeled = toyBands(2 * STEPS * BATCH, SIZE, CLASSES, 3);
const unlabeled = toyBands(2 * STEPS * BATCH, SIZE, CLASSES, 4);

function batches(i: number) {
  const n = BATCH * SIZE * SIZE, at = i * n;
  return {
    labeled: {
      images: tf.tensor4d(labeled.images.subarray(at, at + n), [BATCH, SIZE, SIZE, 1]),
      labels: tf.tensor3d(labeled.labels.subarray(at, at + n), [BATCH, SIZE, SIZE], "int32"),
    },
    unlabeled: {
      images: tf.tensor4d(unlabeled.images.subarray(at, at + n), [BATCH, SIZE, SIZE, 1]),
    },
  };
}

/** Runs STEPS GRN-SSL iterations on `backend`; the losses of each and the tensor counts after. */
async function run(backend: "wasm" | "webgpu") {
  await initEngine({ backend, native: "off", log: () => {} });
  const grn = tinyGRN();
  const losses: StepLosses[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const b = batches(i);
    losses.push(await grn.stepAsync(b.labeled, b.unlabeled));
    tf.dispose([b.labeled.images, b.labeled.labels, b.unlabeled.images]);
    tensors.push(tf.memory().numTensors);
  }
  const memory = webgpuMemory();
  grn.dispose();
  return { losses, tensors, memory };
}

webgpuTest(
  "a tiny GRN-SSL run trains on webgpu with the wasm engine's losses, no leak",
  async () => {
    const wasm = await run("wasm");
    const gpu = await run("webgpu");
    for (let i = 0; i < STEPS; i++) {
      const keys = Object.keys(wasm.losses[i]!);
      assert.deepEqual(Object.keys(gpu.losses[i]!), keys, `step ${i + 1}: the same terms`);
      for (const k of keys) {
        const a = gpu.losses[i]![k]!, b = wasm.losses[i]![k]!;
        assert.ok(Number.isFinite(a), `step ${i + 1} ${k}: ${a}`);
        // float32 sums in another order, compounded over the steps' updates.
        const tol = 2e-4 * Math.max(1, Math.abs(b));
        assert.ok(Math.abs(a - b) <= tol, `step ${i + 1} ${k}: webgpu ${a} vs wasm ${b}`);
      }
    }
    // Every step ends with the same number of live tensors.
    assert.ok(gpu.tensors.every((n) => n === gpu.tensors[0]), `tensors: ${gpu.tensors}`);
    assert.ok(gpu.memory !== null && gpu.memory.usedBytes > 0);
  },
);
