import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { contractInput, generatorContract } from "../_contracts.ts";

const tiny = { ngf: 4 };

generatorContract("ResUNetGenerator", (seed) => new ResUNetGenerator({ ...tiny, seed }), {
  height: 32,
  width: 16,
  badSize: [36, 20],
  badSizeMessage:
    /Cannot run ResUNetGenerator on 36x20: .*multiples of 16 \(nearest sizes: 32x16, 48x32\)/,
  // Stride-2 convolutions and transposed convolutions feeding batch norm.
  zeroGradientInTraining: (name) => /^(enc\d+\.down|dec\d+\.up)\.bias$/.test(name),
});

function parameterCount(net: ResUNetGenerator): number {
  return net.trainableVariables.reduce((sum, v) => sum + v.size, 0);
}

/** Parameters from the layer list (see the class documentation). */
function expectedParameters(
  ngf: number,
  downsamplings: number,
  blocks: number,
  channels: number,
): number {
  const width = (i: number) => Math.min(ngf * 2 ** i, 8 * ngf);
  const res = (c: number) => 2 * (9 * c * c + 2 * c); // two bias-free 3x3 convs + 2 norms
  let total = 16 * channels * ngf + ngf; // stem
  for (let i = 0; i < downsamplings - 1; i++) {
    total += res(width(i)) + 16 * width(i) * width(i + 1) + width(i + 1) + 2 * width(i + 1);
  }
  total += blocks * res(width(downsamplings - 1));
  let inChannels = width(downsamplings - 1);
  for (let i = 0; i < downsamplings - 1; i++) {
    const skip = width(downsamplings - 2 - i);
    total += 16 * inChannels * skip + skip + 2 * skip;
    inChannels = 2 * skip;
  }
  return total + 16 * inChannels * channels + channels;
}

Deno.test("ResUNetGenerator parameter count (ngf 32, 4 down-samplings)", () => {
  const g = new ResUNetGenerator();
  const deep = new ResUNetGenerator({ ngf: 8, downsamplings: 5, bottleneckBlocks: 1, name: "g5" });
  try {
    assert.equal(g.config.ngf, 32);
    assert.equal(g.sizeMultiple, 16);
    assert.equal(parameterCount(g), expectedParameters(32, 4, 3, 1));
    assert.equal(parameterCount(g), 5_473_665);
    assert.equal(deep.sizeMultiple, 32);
    assert.equal(parameterCount(deep), expectedParameters(8, 5, 1, 1));
  } finally {
    g.dispose();
    deep.dispose();
  }
});

Deno.test("ResUNetGenerator keeps outputs in [-1, 1] even for large inputs", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const g = new ResUNetGenerator({ ...tiny, seed: 3 });
  const x = tf.tidy(() => tf.mul(contractInput(2, 16, 16, 1, 2), 50)) as tf.Tensor4D;
  try {
    for (const training of [false, true]) {
      const y = g.apply(x, { training });
      const v = await y.data();
      assert.ok(v.every((e) => e >= -1 && e <= 1));
      assert.ok(v.some((e) => Math.abs(e) > 0.5), "the range is used, not a constant");
      y.dispose();
    }
  } finally {
    x.dispose();
    g.dispose();
  }
});

Deno.test("ResUNetGenerator rejects bad options", () => {
  assert.throws(() => new ResUNetGenerator({ ngf: 0 }), /ngf must be an integer >= 1 \(got 0\)/);
  assert.throws(
    () => new ResUNetGenerator({ downsamplings: 0 }),
    /downsamplings must be an integer >= 1/,
  );
  assert.throws(() => new ResUNetGenerator({ ngf: 16, maxChannels: 8 }), /maxChannels/);
});
