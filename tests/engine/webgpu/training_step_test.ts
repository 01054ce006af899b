import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { webgpuMemory } from "../../../engine/webgpu/memory.ts";
import { InterpolationConsistency } from "../../../losses/interpolation_consistency.ts";
import { PatchGANDiscriminator } from "../../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../../networks/resunet_generator.ts";
import { UNet } from "../../../networks/unet.ts";
import { GRN, type StepLosses } from "../../../trainers/grn.ts";
import { createMethod } from "../../../trainers/method_registry.ts";
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

/**
 * The baselines whose steps run kernels or code paths GRN-SSL does not: an EMA teacher (MT),
 * MC-dropout passes and an entropy mask (UAMT), a pyramid segmentor with resizes (URPC),
 * signed-distance targets computed on the CPU from the labels and a discriminator plug-in
 * (SASSNet, DAN), a GAN stage (supervised-gan-aug), GRN-SEL's adversarial term. Two steps per
 * stage. (All 17 methods were compared once the same way: worst relative difference 3.1e-5,
 * see docs/webgpu.md.)
 */
const METHODS = ["mt", "uamt", "urpc", "sassnet", "dan", "supervised-gan-aug", "grn-sel"];
/**
 * Relative tolerances above 1e-4, and why. supervised-gan-aug: the segmentor stage sees G in
 * inference mode, through its batch norms' running means; the biases of the convolutions in
 * front of those norms have an exactly zero gradient in exact arithmetic (the norm subtracts
 * the batch mean), so their float32 gradients are rounding noise (~1e-9) that differs between
 * backends, and Adam scales any gradient above its epsilon to a step of about ±lr (2e-4).
 * Measured after the GAN stage's 2 steps: those biases differ by up to 7e-4 between wasm and
 * webgpu, every other weight of G by less than 1e-6, the running means by 3e-5, and the
 * segmentor's Dice loss on G(x) by 3.9e-4 (relative).
 */
const TOLERANCE: Record<string, number> = { "supervised-gan-aug": 1e-3 };
const M_SIZE = 32, M_STEPS = 2;
const mLabeled = toyBands(BATCH * M_STEPS, M_SIZE, CLASSES, 5);
const mUnlabeled = toyBands(BATCH * M_STEPS, M_SIZE, CLASSES, 6);

async function runMethod(name: string, backend: "wasm" | "webgpu") {
  await initEngine({ backend, native: "off", log: () => {} });
  const method = createMethod(name, {
    numClasses: CLASSES,
    seed: 1,
    // Five levels: the pyramid UNet (URPC) needs heads at 1/2, 1/4 and 1/8.
    unet: { channels: [2, 4, 4, 4, 4], dropout: [0.1, 0.1, 0.1, 0.1, 0.1] },
    generator: { ngf: 4, downsamplings: 2 },
    discriminator: { ndf: 4, nLayers: 1 },
    auxiliaryDiscriminator: { ndf: 4, nLayers: 1, norm: "none" },
  });
  const losses: StepLosses[] = [];
  const tensors: number[] = [];
  const n = BATCH * M_SIZE * M_SIZE;
  try {
    for (const stage of method.stages) {
      const t = stage.trainer;
      for (let i = 0; i < M_STEPS; i++) {
        const at = i * n, shape = [BATCH, M_SIZE, M_SIZE] as const;
        const images = tf.tensor4d(mLabeled.images.subarray(at, at + n), [...shape, 1]);
        const labels = tf.tensor3d(mLabeled.labels.subarray(at, at + n), [...shape], "int32");
        const other = tf.tensor4d(mUnlabeled.images.subarray(at, at + n), [...shape, 1]);
        try {
          const u = t.mode === "ssl" ? { images: other } : undefined;
          losses.push(await t.stepAsync({ images, labels }, u));
        } finally {
          tf.dispose([images, labels, other]);
        }
        tensors.push(tf.memory().numTensors);
      }
    }
  } finally {
    method.dispose();
  }
  return { losses, tensors };
}

webgpuTest(
  "baselines (MT, UAMT, URPC, SASSNet, DAN, GAN augmentation, GRN-SEL) train on webgpu with the wasm engine's losses, no leak",
  async () => {
    for (const name of METHODS) {
      const wasm = await runMethod(name, "wasm");
      const gpu = await runMethod(name, "webgpu");
      assert.equal(gpu.losses.length, wasm.losses.length, name);
      gpu.losses.forEach((step, i) => {
        const want = wasm.losses[i]!;
        assert.deepEqual(Object.keys(step), Object.keys(want), `${name} step ${i + 1}: terms`);
        for (const [k, v] of Object.entries(step)) {
          const w = want[k]!;
          assert.ok(
            Math.abs(v! - w) <= (TOLERANCE[name] ?? 1e-4) * Math.max(Math.abs(w), 1e-3),
            `${name} step ${i + 1} ${k}: webgpu ${v} vs wasm ${w}`,
          );
        }
      });
      // Within a stage, every step ends with the same number of live tensors.
      for (let s = 0; s < gpu.tensors.length; s += M_STEPS) {
        const stage = gpu.tensors.slice(s, s + M_STEPS);
        assert.ok(stage.every((c) => c === stage[0]), `${name}: tensors ${gpu.tensors}`);
      }
    }
  },
);
