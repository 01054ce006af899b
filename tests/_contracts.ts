/**
 * Behavioural contracts every network must meet. Each `*Contract` function registers Deno tests
 * for one network factory: output shape, dtype and finite values; a real gradient for every
 * trainable variable; no tensor leak over repeated forward passes; idempotent dispose that frees
 * the variables; clones with identical outputs and independent variables; seeded initial
 * weights; and a `RangeError` naming the nearest sizes for inputs the architecture cannot take.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../engine/init_engine.ts";
import { Rng } from "../engine/rng.ts";
import type { Discriminator } from "../networks/discriminator.ts";
import type { Generator } from "../networks/generator.ts";
import type { ForwardOptions, Module } from "../networks/module.ts";
import { isMultiScaleSegmentor, type Segmentor } from "../networks/segmentor.ts";
import { assertNoTensorLeak } from "./_helpers.ts";

/** Options shared by the contracts. */
export interface ContractOptions {
  /** Input height (must be valid for the network). */
  height: number;
  /** Input width (must be valid for the network). */
  width: number;
  /** Batch size. @default {2} */
  batch?: number;
  /** A size the network must reject with a `RangeError`. */
  badSize: [number, number];
  /** What that error's message must match (it must also contain "nearest sizes: "). */
  badSizeMessage: RegExp;
  /**
   * Logical names of trainable variables whose gradient is zero by construction in training
   * mode (a convolution bias feeding batch norm: the batch mean removes it). The contract checks
   * that those gradients are indeed ~0 in training mode, and non-zero in inference mode; every
   * other gradient must be within 1e-4 of the largest in training mode.
   * @default {none}
   */
  zeroGradientInTraining?: (logicalName: string) => boolean;
  /** Backend to run on. @default {"wasm"} */
  backend?: "wasm" | "cpu";
}

/** Options of {@linkcode discriminatorContract}: the expected score-map size as well. */
export interface DiscriminatorContractOptions extends ContractOptions {
  /** Expected `[h', w']` of the score map for `height` x `width` input. */
  outputSize: [number, number];
  /** Whether the discriminator has `clone(name)` (then the clone test runs). @default {true} */
  hasClone?: boolean;
}

type Checked = Module & { checkInputSize(height: number, width: number): void };

interface Described<T extends Checked> {
  /** Input channels. */
  inChannels(net: T): number;
  /** All outputs of a forward pass (several for multi-scale networks). */
  forward(net: T, x: tf.Tensor4D, options: ForwardOptions): tf.Tensor4D[];
  /** Expected output shapes. */
  shapes(net: T, x: tf.Tensor4D): number[][];
  /** Extra per-output value checks (e.g. range). */
  checkValues?(values: Float32Array, label: string): void;
  /** Clone method, when the network has one. */
  clone?(net: T, name: string): T;
}

/** Deterministic input in `[-1, 1]`. */
export function contractInput(
  batch: number,
  height: number,
  width: number,
  channels: number,
  seed = 1,
): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(
    rng.uniformArray(batch * height * width * channels, -1, 1),
    [batch, height, width, channels],
  );
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

async function outputsOf<T extends Checked>(
  d: Described<T>,
  net: T,
  x: tf.Tensor4D,
  options: ForwardOptions,
): Promise<Float32Array[]> {
  const outs = d.forward(net, x, options);
  const values = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

/** A scalar `Σ_k Σ out_k · w_k` with fixed random weights, so no symmetric cancellation. */
function weightedSum(outs: tf.Tensor4D[], seed: number): tf.Scalar {
  const rng = new Rng(seed);
  const terms = outs.map((o) => tf.sum(tf.mul(o, tf.tensor(rng.normalArray(o.size), o.shape))));
  return tf.addN(terms) as tf.Scalar;
}

function registerContract<T extends Checked>(
  label: string,
  factory: (seed: number) => T,
  options: ContractOptions,
  d: Described<T>,
): void {
  const { height, width, batch = 2, backend = "wasm" } = options;
  const zeroInTraining = options.zeroGradientInTraining ?? (() => false);
  const start = () => initEngine({ backend, log: () => {} });
  const input = (net: T) => contractInput(batch, height, width, d.inChannels(net));

  Deno.test(`${label}: output shape, dtype and finite values in both modes`, async () => {
    await start();
    const net = factory(1);
    const x = input(net);
    try {
      for (const training of [false, true]) {
        const outs = d.forward(net, x, { training });
        const expected = d.shapes(net, x);
        assert.equal(outs.length, expected.length, "number of outputs");
        for (let k = 0; k < outs.length; k++) {
          const tag = `${training ? "training" : "inference"} output ${k}`;
          assert.deepEqual(outs[k]!.shape, expected[k], `${tag} shape`);
          assert.equal(outs[k]!.dtype, "float32", `${tag} dtype`);
          const values = (await outs[k]!.data()) as Float32Array;
          assert.ok(allFinite(values), `${tag} has non-finite values`);
          assert.ok(maxAbs(values) > 0, `${tag} is all zeros`);
          d.checkValues?.(values, tag);
        }
        tf.dispose(outs);
      }
    } finally {
      x.dispose();
      net.dispose();
    }
  });

  Deno.test(`${label}: every trainable variable gets a real gradient`, async () => {
    await start();
    const net = factory(2);
    const x = input(net);
    try {
      assert.equal(net.variables.length, net.variableNames.length);
      assert.equal(new Set(net.variableNames).size, net.variableNames.length, "names unique");
      assert.ok(net.trainableVariables.length > 0);
      assert.ok(net.trainableVariables.every((v) => net.variables.includes(v)));
      const logical = new Map(net.variables.map((v, i) => [v, net.variableNames[i]!]));
      for (const training of [true, false]) {
        const mode = training ? "training" : "inference";
        const { value, grads } = tf.variableGrads(
          () => weightedSum(d.forward(net, x, { training, rng: new Rng(9) }), 3),
          net.trainableVariables as tf.Variable[],
        );
        assert.ok(Number.isFinite((await value.data())[0]!), `${mode} loss finite`);
        const magnitudes = new Map<string, number>();
        for (const v of net.trainableVariables) {
          const name = logical.get(v)!;
          const g = grads[v.name];
          assert.ok(g, `${mode}: no gradient for ${name}`);
          assert.deepEqual(g.shape, v.shape, `${mode}: gradient shape of ${name}`);
          const values = await g.data();
          assert.ok(allFinite(values), `${mode}: non-finite gradient for ${name}`);
          magnitudes.set(name, maxAbs(values));
        }
        const top = Math.max(...magnitudes.values());
        assert.ok(top > 0, `${mode}: all gradients are zero`);
        for (const [name, m] of magnitudes) {
          // Training mode (batch statistics) keeps gradients well scaled: every real gradient
          // is within 1e-4 of the largest, the structural zeros are float noise (< 1e-5).
          // Fresh running averages shrink deep activations in inference mode, so there only
          // a non-zero gradient is required.
          if (!training) {
            assert.ok(m > 0, `${mode}: gradient of ${name} is zero`);
          } else if (zeroInTraining(name)) {
            assert.ok(m <= 1e-5 * top, `${mode}: gradient of ${name} should vanish (got ${m})`);
          } else {
            assert.ok(m > 1e-4 * top, `${mode}: gradient of ${name} is ~0 (${m} vs ${top})`);
          }
        }
        value.dispose();
        tf.dispose(grads);
      }
    } finally {
      x.dispose();
      net.dispose();
    }
  });

  Deno.test(`${label}: repeated forward passes leak no tensors`, async () => {
    await start();
    const net = factory(3);
    const x = input(net);
    try {
      for (const training of [false, true]) {
        await assertNoTensorLeak(
          () => tf.dispose(d.forward(net, x, { training })),
          2,
          `${label} ${training ? "training" : "inference"} forward`,
        );
      }
      await assertNoTensorLeak(
        () => {
          const { value, grads } = tf.variableGrads(
            () => weightedSum(d.forward(net, x, { training: true }), 4),
            net.trainableVariables as tf.Variable[],
          );
          value.dispose();
          tf.dispose(grads);
        },
        2,
        `${label} gradient step`,
      );
    } finally {
      x.dispose();
      net.dispose();
    }
  });

  Deno.test(`${label}: dispose frees every variable and is idempotent`, async () => {
    await start();
    const before = tf.memory().numTensors;
    const net = factory(4);
    const count = net.variables.length;
    assert.equal(tf.memory().numTensors - before, count, "one tensor per variable");
    assert.equal(net.isDisposed, false);
    net.dispose();
    assert.equal(net.isDisposed, true);
    assert.equal(tf.memory().numTensors, before, "variables freed");
    assert.ok(net.variables.every((v) => v.isDisposed));
    net.dispose();
    net[Symbol.dispose]();
    assert.equal(tf.memory().numTensors, before, "second dispose frees nothing more");
    const x = contractInput(batch, height, width, d.inChannels(net));
    assert.throws(() => d.forward(net, x, {}), /has been disposed/);
    x.dispose();
    {
      using scoped = factory(5);
      assert.equal(scoped.isDisposed, false);
    }
    assert.equal(tf.memory().numTensors, before, "`using` disposes");
  });

  if (d.clone) {
    const clone = d.clone;
    Deno.test(`${label}: clone copies every variable and is independent`, async () => {
      await start();
      const net = factory(6);
      const x = input(net);
      // A training pass first, so running statistics differ from their initial values.
      tf.dispose(d.forward(net, x, { training: true }));
      const copy = clone(net, "contract_clone");
      try {
        assert.equal(copy.name, "contract_clone");
        assert.deepEqual(copy.variableNames, net.variableNames);
        assert.equal(copy.trainableVariables.length, net.trainableVariables.length);
        for (let i = 0; i < net.variables.length; i++) {
          assert.notEqual(copy.variables[i], net.variables[i]);
          assert.notEqual(copy.variables[i]!.name, net.variables[i]!.name);
          assert.notEqual(copy.variables[i]!.dataId, net.variables[i]!.dataId, "own buffers");
          assert.equal(copy.variables[i]!.trainable, net.variables[i]!.trainable);
        }
        const original = await outputsOf(d, net, x, {});
        const cloned = await outputsOf(d, copy, x, {});
        assert.deepEqual(cloned, original, "clone gives identical inference outputs");
        // Changing the original leaves the clone untouched.
        for (const v of net.trainableVariables) tf.tidy(() => v.assign(tf.mul(v, 0.5)));
        const changed = await outputsOf(d, net, x, {});
        assert.notDeepEqual(changed, original, "original changed");
        assert.deepEqual(await outputsOf(d, copy, x, {}), original, "clone unchanged");
        // The clone survives the original's disposal.
        net.dispose();
        assert.deepEqual(await outputsOf(d, copy, x, {}), original, "clone after dispose");
      } finally {
        x.dispose();
        net.dispose();
        copy.dispose();
      }
    });
  }

  Deno.test(`${label}: the same seed gives the same initial weights`, async () => {
    await start();
    const a = factory(7);
    const b = factory(7);
    const c = factory(8);
    try {
      assert.deepEqual(a.variableNames, b.variableNames);
      for (let i = 0; i < a.variables.length; i++) {
        assert.deepEqual(
          await a.variables[i]!.data(),
          await b.variables[i]!.data(),
          `variable ${a.variableNames[i]} differs for the same seed`,
        );
      }
      const first = a.trainableVariables[0]!;
      const other = c.trainableVariables[0]!;
      assert.notDeepEqual(await first.data(), await other.data(), "another seed differs");
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  Deno.test(`${label}: a bad input size is a RangeError naming the nearest sizes`, async () => {
    await start();
    const net = factory(9);
    const [bh, bw] = options.badSize;
    const matches = (e: unknown) =>
      e instanceof RangeError && /nearest sizes: \d+x\d+/.test(e.message) &&
      options.badSizeMessage.test(e.message);
    try {
      assert.throws(() => net.checkInputSize(bh, bw), matches);
      const bad = contractInput(1, bh, bw, d.inChannels(net));
      assert.throws(() => d.forward(net, bad, {}), matches);
      bad.dispose();
      net.checkInputSize(height, width);
      const wrongChannels = contractInput(1, height, width, d.inChannels(net) + 1);
      assert.throws(() => d.forward(net, wrongChannels, {}), TypeError);
      wrongChannels.dispose();
      assert.throws(() => net.checkInputSize(0, width), RangeError);
      assert.throws(() => net.checkInputSize(height + 0.5, width), RangeError);
    } finally {
      net.dispose();
    }
  });
}

/**
 * Registers the contract tests for a segmentor. Multi-scale segmentors are also checked through
 * `applyPyramid` (all outputs at input resolution; gradients reach every head).
 */
export function segmentorContract(
  name: string,
  factory: (seed: number) => Segmentor,
  options: ContractOptions,
): void {
  registerContract<Segmentor>(name, factory, options, {
    inChannels: (net) => net.inChannels,
    forward: (net, x, opts) =>
      isMultiScaleSegmentor(net) ? net.applyPyramid(x, opts) : [net.apply(x, opts)],
    shapes: (net, x) => {
      const shape = [x.shape[0], x.shape[1], x.shape[2], net.numClasses];
      const n = isMultiScaleSegmentor(net) ? net.numScales : 1;
      return Array.from({ length: n }, () => shape);
    },
    clone: (net, cloneName) => net.clone(cloneName),
  });
}

/** Registers the contract tests for a generator (output of the input's shape, in `[-1, 1]`). */
export function generatorContract(
  name: string,
  factory: (seed: number) => Generator,
  options: ContractOptions,
): void {
  registerContract<Generator>(name, factory, options, {
    inChannels: (net) => net.channels,
    forward: (net, x, opts) => [net.apply(x, opts)],
    shapes: (_net, x) => [[...x.shape]],
    checkValues: (values, tag) => {
      for (let i = 0; i < values.length; i++) {
        assert.ok(values[i]! >= -1 && values[i]! <= 1, `${tag}: ${values[i]} outside [-1, 1]`);
      }
    },
    clone: (net, cloneName) => net.clone(cloneName),
  });
}

/**
 * Registers the contract tests for a discriminator (raw scores `[batch, h', w', 1]`). The clone
 * test runs unless `hasClone: false`.
 */
export function discriminatorContract(
  name: string,
  factory: (seed: number) => Discriminator,
  options: DiscriminatorContractOptions,
): void {
  type Cloneable = Discriminator & { clone?: (n: string) => Discriminator };
  registerContract<Cloneable>(name, factory, options, {
    inChannels: (net) => net.channels,
    forward: (net, x, opts) => [net.apply(x, opts)],
    shapes: (_net, x) => [[x.shape[0], options.outputSize[0], options.outputSize[1], 1]],
    ...(options.hasClone === false ? {} : {
      clone: (net: Cloneable, cloneName: string) => {
        assert.ok(typeof net.clone === "function", `${name} has no clone()`);
        return net.clone(cloneName);
      },
    }),
  });
}
