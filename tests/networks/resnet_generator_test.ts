import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { ResNetGenerator } from "../../networks/resnet_generator.ts";
import { contractInput, generatorContract } from "../_contracts.ts";

generatorContract("ResNetGenerator", (seed) => new ResNetGenerator({ ngf: 4, blocks: 2, seed }), {
  height: 16,
  width: 12,
  badSize: [18, 12],
  badSizeMessage:
    /Cannot run ResNetGenerator on 18x12: .*multiples of 4 \(nearest sizes: 16x12, 20x12\)/,
  // Every convolution but the last feeds batch norm.
  zeroGradientInTraining: (name) => /^(stem|down\d|up\d|block\d\.[ab])\.conv\.bias$/.test(name),
});

/** pix2pix resnet generator parameters (BN with conv biases). */
function expectedParameters(ngf: number, down: number, blocks: number, c: number): number {
  const convNorm = (i: number, o: number, k: number) => k * k * i * o + o + 2 * o;
  let total = convNorm(c, ngf, 7);
  for (let i = 0; i < down; i++) total += convNorm(ngf * 2 ** i, ngf * 2 ** (i + 1), 3);
  const deep = ngf * 2 ** down;
  total += blocks * 2 * convNorm(deep, deep, 3);
  for (let i = 0; i < down; i++) total += convNorm(deep / 2 ** i, deep / 2 ** (i + 1), 3);
  return total + 49 * ngf * c + c;
}

Deno.test("ResNetGenerator has the speed-comparison parameter count (ngf 32, 6 blocks)", () => {
  const g = new ResNetGenerator();
  const lean = new ResNetGenerator({ convBias: false, name: "lean" });
  try {
    const count = (n: ResNetGenerator) => n.trainableVariables.reduce((s, v) => s + v.size, 0);
    assert.equal(count(g), expectedParameters(32, 2, 6, 1));
    assert.equal(count(g), 1_962_497);
    // pix2pix proper (no bias in front of batch norm): 1856 fewer.
    assert.equal(count(lean), 1_962_497 - 1856); // the 7x7 output conv keeps its bias
  } finally {
    g.dispose();
    lean.dispose();
  }
});

Deno.test("ResNetGenerator agrees on cpu and wasm (reflection pad, output padding)", async () => {
  const outs: Float32Array[] = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await initEngine({ backend, log: () => {} });
    const g = new ResNetGenerator({ ngf: 2, blocks: 1, seed: 3 });
    const x = contractInput(1, 8, 12, 1, 4);
    const y = g.apply(x, { training: true });
    assert.deepEqual(y.shape, [1, 8, 12, 1]);
    outs.push((await y.data()) as Float32Array);
    tf.dispose([x, y]);
    g.dispose();
  }
  await initEngine({ backend: "wasm", log: () => {} });
  let diff = 0;
  for (let i = 0; i < outs[0]!.length; i++) {
    diff = Math.max(diff, Math.abs(outs[0]![i]! - outs[1]![i]!));
  }
  assert.ok(diff < 1e-4, `cpu and wasm differ by ${diff}`);
});
