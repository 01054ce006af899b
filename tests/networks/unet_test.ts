import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { UNet } from "../../networks/unet.ts";
import { contractInput, segmentorContract } from "../_contracts.ts";
import { assertClose } from "../_helpers.ts";

const tiny = { channels: [4, 8, 8, 16, 16], numClasses: 3 };

segmentorContract("UNet", (seed) => new UNet({ ...tiny, seed }), {
  height: 32,
  width: 16,
  badSize: [40, 24],
  badSizeMessage: /Cannot run UNet on 40x24: .*multiples of 16 \(nearest sizes: 32x16, 48x32\)/,
  zeroGradientInTraining: (name) => /\.conv[12]\.bias$/.test(name),
});

/** Trainable parameters of a module. */
function parameterCount(net: UNet): number {
  return net.trainableVariables.reduce((sum, v) => sum + v.size, 0);
}

/** SSL4MIS UNet parameters from its layer list (ConvBlock: 2 convs + 2 batch norms). */
function expectedUNetParameters(
  channels: number[],
  inChannels: number,
  classes: number,
  convBias: boolean,
  head: number,
): number {
  const b = convBias ? 1 : 0;
  const block = (i: number, o: number) => 9 * i * o + b * o + 2 * o + 9 * o * o + b * o + 2 * o;
  let total = block(inChannels, channels[0]!);
  for (let i = 1; i < channels.length; i++) total += block(channels[i - 1]!, channels[i]!);
  for (let i = channels.length - 1; i > 0; i--) {
    const deep = channels[i]!, skip = channels[i - 1]!;
    total += 4 * deep * skip + skip + block(2 * skip, skip); // ConvTranspose k2 + ConvBlock
  }
  return total + head * head * channels[0]! * classes + classes;
}

Deno.test("UNet has the paper configuration's parameter count (7 classes)", () => {
  const paper = [16, 32, 64, 128, 256];
  const net = new UNet();
  const lean = new UNet({ convBias: false, headKernelSize: 1, name: "lean" });
  try {
    assert.deepEqual(net.config.channels, paper);
    assert.equal(net.numClasses, 7);
    assert.equal(parameterCount(net), expectedUNetParameters(paper, 1, 7, true, 3));
    assert.equal(parameterCount(net), 1_944_759);
    // The configuration of the PyTorch speed comparison (engine notes): no conv bias, 1x1 head.
    assert.equal(parameterCount(lean), expectedUNetParameters(paper, 1, 7, false, 1));
    assert.equal(parameterCount(lean), 1_942_391);
    // Running averages are variables too, but not trainable.
    const state = net.variables.filter((v) => !v.trainable);
    assert.equal(state.length, 2 * 2 * 9); // 9 conv blocks x 2 norms x (mean, variance)
  } finally {
    net.dispose();
    lean.dispose();
  }
});

function variableByName(net: UNet, name: string): tf.Variable {
  const i = net.variableNames.indexOf(name);
  assert.ok(i >= 0, `no variable ${name}`);
  return net.variables[i]!;
}

Deno.test("UNet batch norm updates running statistics in training mode only", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const net = new UNet({ ...tiny, seed: 3 });
  const x = contractInput(2, 16, 16, 1, 5);
  try {
    const mean = variableByName(net, "enc0.norm1.runningMean");
    const variance = variableByName(net, "enc0.norm1.runningVariance");
    const state = () => Promise.all(net.variables.filter((v) => !v.trainable).map((v) => v.data()));
    const initial = await state();
    tf.dispose(net.apply(x, { training: false }));
    assert.deepEqual(await state(), initial, "inference leaves running statistics alone");

    // Expected first update from the first conv's output: r = 0.9 r + 0.1 batch, unbiased var.
    const { batchMean, batchVar } = tf.tidy(() => {
      const y = tf.add(
        tf.conv2d(x, variableByName(net, "enc0.conv1.kernel") as tf.Tensor4D, 1, 1),
        variableByName(net, "enc0.conv1.bias"),
      );
      const m = tf.moments(y, [0, 1, 2]);
      const n = 2 * 16 * 16;
      return { batchMean: m.mean, batchVar: tf.mul(m.variance, n / (n - 1)) };
    });
    const expectedMean = Array.from(await batchMean.data(), (v) => 0.1 * v);
    const expectedVar = Array.from(await batchVar.data(), (v) => 0.9 + 0.1 * v);
    tf.dispose([batchMean, batchVar]);
    tf.dispose(net.apply(x, { training: true }));
    assertClose(await mean.data(), expectedMean, 1e-5, "running mean");
    assertClose(await variance.data(), expectedVar, 1e-5, "running variance");
    const after = await state();
    assert.ok(after.every((v, i) => relativeChange(v, initial[i]!) > 0), "every norm updated");
  } finally {
    x.dispose();
    net.dispose();
  }
});

function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

Deno.test("UNet dropout is active in training only and seeded by the Rng", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const net = new UNet({ ...tiny, seed: 4 });
  const noDropout = new UNet({ ...tiny, seed: 4, dropout: [0, 0, 0, 0, 0], name: "plain" });
  const x = contractInput(2, 16, 16, 1, 6);
  const run = async (n: UNet, training: boolean, rng?: Rng) => {
    const y = n.apply(x, { training, ...(rng ? { rng } : {}) });
    const v = await y.data();
    y.dispose();
    return v;
  };
  try {
    assert.deepEqual(await run(net, false), await run(net, false), "inference is deterministic");
    const t1 = await run(net, true);
    const t2 = await run(net, true);
    assert.ok(relativeChange(t1, t2) > 1e-3, "two training passes differ (fresh dropout masks)");
    assert.deepEqual(await run(net, true, new Rng(11)), await run(net, true, new Rng(11)));
    // Without dropout two training passes agree: the difference above is dropout alone.
    assert.deepEqual(await run(noDropout, true), await run(noDropout, true));
  } finally {
    x.dispose();
    net.dispose();
    noDropout.dispose();
  }
});

Deno.test("UNet rejects bad options with the option in the message", () => {
  assert.throws(() => new UNet({ channels: [8] }), /channels must list at least 2 levels/);
  assert.throws(
    () => new UNet({ channels: [4, 8], dropout: [0.1] }),
    /dropout must have one rate per level \(2\) \(got \[0.1\]\)/,
  );
  assert.throws(
    () => new UNet({ numClasses: 0 }),
    /numClasses must be a positive integer \(got 0\)/,
  );
  assert.throws(() => new UNet({ headKernelSize: 2 }), /headKernelSize must be odd/);
  assert.throws(() => new UNet({ dropout: [0, 0, 0, 0, 1] }), /dropout\[4\] must be in \[0, 1\)/);
  assert.throws(
    () => new UNet({ norm: "group" as unknown as "batch" }),
    /norm must be one of batch, instance, none/,
  );
});

Deno.test("UNet with instance norm has no running statistics and works in both modes", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const net = new UNet({ ...tiny, norm: "instance", seed: 2 });
  const x = contractInput(2, 16, 16, 1, 3);
  try {
    assert.ok(net.variables.every((v) => v.trainable));
    const a = net.apply(x, { training: false });
    const b = net.apply(x, { training: true, rng: new Rng(1) });
    assert.deepEqual(a.shape, [2, 16, 16, 3]);
    assert.ok((await b.data()).every(Number.isFinite));
    tf.dispose([a, b]);
  } finally {
    x.dispose();
    net.dispose();
  }
});

Deno.test("UNet gives the same weights, outputs and gradients on cpu and wasm", async () => {
  const results: Array<{ weights: Float32Array; out: Float32Array; grad: Float32Array }> = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await initEngine({ backend, log: () => {} });
    const net = new UNet({ channels: [2, 4, 4], dropout: [0.1, 0.2, 0.3], numClasses: 2, seed: 8 });
    const x = contractInput(2, 8, 8, 1, 9);
    try {
      const out = tf.tidy(() => net.apply(x, { training: true, rng: new Rng(1) }));
      const kernel = variableByName(net, "enc1.conv1.kernel");
      const { grads, value } = tf.variableGrads(
        () => tf.sum(tf.square(net.apply(x, { training: true, rng: new Rng(1) }))) as tf.Scalar,
        [kernel],
      );
      results.push({
        weights: (await net.variables[0]!.data()) as Float32Array,
        out: (await out.data()) as Float32Array,
        grad: (await grads[kernel.name]!.data()) as Float32Array,
      });
      tf.dispose([out, value, grads]);
    } finally {
      x.dispose();
      net.dispose();
    }
  }
  await initEngine({ backend: "wasm", log: () => {} });
  const [cpu, wasm] = results as [typeof results[0], typeof results[0]];
  assert.deepEqual(wasm.weights, cpu.weights, "same initial weights");
  assertClose(wasm.out, cpu.out, 1e-4, "training-mode output (same dropout masks)");
  assertClose(wasm.grad, cpu.grad, 1e-3, "kernel gradient");
});
