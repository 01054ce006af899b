import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { PatchGANDiscriminator } from "../../networks/patchgan_discriminator.ts";
import { contractInput, discriminatorContract } from "../_contracts.ts";

const tiny = { ndf: 4 };

discriminatorContract(
  "PatchGANDiscriminator",
  (seed) => new PatchGANDiscriminator({ ...tiny, seed }),
  {
    height: 32,
    width: 48,
    outputSize: [2, 4],
    badSize: [16, 30],
    badSizeMessage:
      /Cannot run PatchGANDiscriminator on 16x30: height and width must be at least 24 \(nearest sizes: 24x30\)/,
    // Convolutions feeding batch norm (all but the first and the last).
    zeroGradientInTraining: (name) => /^conv[1-3]\.bias$/.test(name),
  },
);

discriminatorContract(
  "PatchGANDiscriminator (3 channels, 2 layers, instance norm)",
  (seed) => new PatchGANDiscriminator({ ndf: 4, channels: 3, nLayers: 2, norm: "instance", seed }),
  {
    height: 16,
    width: 20,
    outputSize: [2, 3],
    badSize: [11, 40],
    badSizeMessage: /at least 12 \(nearest sizes: 12x40\)/,
    // Instance norm removes the per-sample mean: biases in front of it get no gradient.
    zeroGradientInTraining: (name) => /^conv[1-2]\.bias$/.test(name),
  },
);

function parameterCount(net: PatchGANDiscriminator): number {
  return net.trainableVariables.reduce((sum, v) => sum + v.size, 0);
}

/** pix2pix NLayer parameters: 4x4 convs with bias, norm (2 per channel) after the middle ones. */
function expectedParameters(channels: number, ndf: number, nLayers: number): number {
  const width = (n: number) => ndf * Math.min(2 ** n, 8);
  let total = 16 * channels * ndf + ndf;
  for (let n = 1; n <= nLayers; n++) {
    total += 16 * width(n - 1) * width(n) + width(n) + 2 * width(n);
  }
  return total + 16 * width(nLayers) + 1;
}

Deno.test("PatchGANDiscriminator parameter count (ndf 32, 3 layers)", () => {
  const d1 = new PatchGANDiscriminator();
  const d2 = new PatchGANDiscriminator({ channels: 2, name: "d2" });
  const d5 = new PatchGANDiscriminator({ ndf: 8, nLayers: 5, name: "d5" });
  try {
    assert.equal(parameterCount(d1), expectedParameters(1, 32, 3));
    assert.equal(parameterCount(d1), 694_113);
    // Two input channels (pix2pix's conditional input): the PyTorch speed-comparison count.
    assert.equal(parameterCount(d2), 694_625);
    // Width is capped at 8 * ndf.
    assert.equal(parameterCount(d5), expectedParameters(1, 8, 5));
  } finally {
    d1.dispose();
    d2.dispose();
    d5.dispose();
  }
});

Deno.test("PatchGANDiscriminator gives a 14x14 score map for 128x128 input", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const d = new PatchGANDiscriminator({ ndf: 4, seed: 1 });
  const x = contractInput(2, 128, 128, 1);
  try {
    assert.deepEqual(d.outputSize(128, 128), [14, 14]);
    assert.deepEqual(d.outputSize(256, 256), [30, 30]);
    const y = d.apply(x);
    assert.deepEqual(y.shape, [2, 14, 14, 1]);
    y.dispose();
    // outputSize agrees with the real forward pass on odd and minimal sizes too.
    for (const [h, w] of [[24, 24], [37, 61], [40, 31]] as const) {
      const xi = contractInput(1, h, w, 1);
      const yi = d.apply(xi);
      assert.deepEqual(yi.shape.slice(1, 3), d.outputSize(h, w), `${h}x${w}`);
      tf.dispose([xi, yi]);
    }
  } finally {
    x.dispose();
    d.dispose();
  }
});

Deno.test("PatchGANDiscriminator scores are raw (not squashed to [0, 1])", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const d = new PatchGANDiscriminator({ ndf: 4, seed: 2 });
  const x = contractInput(2, 32, 32, 1);
  try {
    const v = await tf.tidy(() => d.apply(x, { training: true })).data();
    assert.ok(v.some((e) => e < 0), "some negative scores");
  } finally {
    x.dispose();
    d.dispose();
  }
});

Deno.test("PatchGANDiscriminator rejects bad options", () => {
  assert.throws(
    () => new PatchGANDiscriminator({ nLayers: 0 }),
    /nLayers must be a positive integer/,
  );
  assert.throws(() => new PatchGANDiscriminator({ channels: 1.5 }), /channels must be a positive/);
  assert.throws(() => new PatchGANDiscriminator({ leakySlope: -1 }), /leakySlope must be >= 0/);
});
