import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { Conv2d, ConvTranspose2d, Norm2d, upsample } from "../../networks/_layers.ts";
import type { ParamScope } from "../../networks/module_base.ts";
import { assertClose } from "../_helpers.ts";

/** A scope that just collects variables (the module base is tested through the networks). */
function testScope(seed = 1): { scope: ParamScope; vars: Map<string, tf.Variable> } {
  const vars = new Map<string, tf.Variable>();
  const rng = new Rng(seed);
  const make = (prefix: string): ParamScope => {
    const full = (n: string) => (prefix ? `${prefix}.${n}` : n);
    const add = (trainable: boolean) => (n: string, shape: number[], values: Float32Array) => {
      const v = tf.variable(tf.tensor(values, shape), trainable);
      vars.set(full(n), v);
      return v;
    };
    return { rng, child: (p) => make(full(p)), weight: add(true), state: add(false) };
  };
  return { scope: make(""), vars };
}

Deno.test("Conv2d follows PyTorch's size rule and init bound", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const { scope, vars } = testScope();
  const conv = new Conv2d(scope.child("c"), {
    inChannels: 3,
    outChannels: 5,
    kernelSize: 4,
    stride: 1,
    padding: 1,
  });
  // floor((h + 2p - k) / s) + 1 = h - 1 for k4 s1 p1 (PatchGAN's last two layers).
  const y = tf.tidy(() => conv.apply(tf.ones([2, 10, 7, 3])));
  assert.deepEqual(y.shape, [2, 9, 6, 5]);
  const bound = 1 / Math.sqrt(3 * 16);
  const k = await vars.get("c.kernel")!.data();
  assert.ok(k.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...k.map(Math.abs)) > 0.9 * bound, "uses the whole range");
  assert.deepEqual(vars.get("c.kernel")!.shape, [4, 4, 3, 5]);
  assert.deepEqual(vars.get("c.bias")!.shape, [5]);
  const strided = new Conv2d(scope.child("s"), {
    inChannels: 3,
    outChannels: 2,
    kernelSize: 4,
    stride: 2,
    padding: 1,
  });
  const z = tf.tidy(() => strided.apply(tf.ones([1, 9, 16, 3])));
  assert.deepEqual(z.shape, [1, 4, 8, 2]);
  tf.dispose([y, z, ...vars.values()]);
});

Deno.test("ConvTranspose2d matches a scatter-add reference and PyTorch's output size", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const { scope, vars } = testScope(2);
  const up = new ConvTranspose2d(scope, {
    inChannels: 2,
    outChannels: 3,
    kernelSize: 2,
    stride: 2,
    padding: "valid",
  });
  const rng = new Rng(3);
  const [h, w, ci, co] = [3, 2, 2, 3];
  const xv = rng.uniformArray(h * w * ci, -1, 1);
  const x = tf.tensor4d(xv, [1, h, w, ci]);
  const y = tf.tidy(() => up.apply(x));
  assert.deepEqual(y.shape, [1, 6, 4, 3]);
  // Reference: out[2i+a, 2j+b, o] = bias[o] + sum_c x[i, j, c] * K[a, b, o, c].
  const k = await vars.get("kernel")!.data();
  const b = await vars.get("bias")!.data();
  const expected = new Float32Array(6 * 4 * co);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let a = 0; a < 2; a++) {
        for (let bb = 0; bb < 2; bb++) {
          for (let o = 0; o < co; o++) {
            let s = b[o]!;
            for (let c = 0; c < ci; c++) {
              s += xv[(i * w + j) * ci + c]! * k[((a * 2 + bb) * co + o) * ci + c]!;
            }
            expected[((2 * i + a) * 4 + (2 * j + bb)) * co + o] = s;
          }
        }
      }
    }
  }
  assertClose(await y.data(), expected, 1e-5, "transposed convolution");
  // k4 s2 p1 doubles the size, like "same".
  const up4 = new ConvTranspose2d(scope.child("u4"), {
    inChannels: 2,
    outChannels: 1,
    kernelSize: 4,
    stride: 2,
    padding: 1,
  });
  assert.equal(up4.outputSize(5), 10);
  const z = tf.tidy(() => up4.apply(x));
  assert.deepEqual(z.shape, [1, 6, 4, 1]);
  tf.dispose([x, y, z, ...vars.values()]);
});

/** Scatter-add reference of a transposed convolution (PyTorch semantics), one sample. */
function transposedReference(
  x: Float32Array,
  [h, w, ci]: [number, number, number],
  k: Float32Array,
  bias: Float32Array,
  [kernel, stride, pad, outPad, co]: [number, number, number, number, number],
): { values: Float32Array; size: [number, number] } {
  const oh = (h - 1) * stride + kernel - 2 * pad + outPad;
  const ow = (w - 1) * stride + kernel - 2 * pad + outPad;
  const out = new Float32Array(oh * ow * co);
  for (let i = 0; i < oh * ow; i++) for (let o = 0; o < co; o++) out[i * co + o] = bias[o]!;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let a = 0; a < kernel; a++) {
        for (let b = 0; b < kernel; b++) {
          const y = i * stride - pad + a;
          const z = j * stride - pad + b;
          if (y < 0 || z < 0 || y >= oh || z >= ow) continue;
          for (let o = 0; o < co; o++) {
            for (let c = 0; c < ci; c++) {
              out[(y * ow + z) * co + o]! += x[(i * w + j) * ci + c]! *
                k[((a * kernel + b) * co + o) * ci + c]!;
            }
          }
        }
      }
    }
  }
  return { values: out, size: [oh, ow] };
}

Deno.test("ConvTranspose2d with padding and output padding matches PyTorch's definition", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const { scope, vars } = testScope(6);
  const up = new ConvTranspose2d(scope, {
    inChannels: 3,
    outChannels: 2,
    kernelSize: 3,
    stride: 2,
    padding: 1,
    outputPadding: 1,
  });
  const [h, w] = [3, 4];
  const xv = new Rng(7).uniformArray(h * w * 3, -1, 1);
  const x = tf.tensor4d(xv, [1, h, w, 3]);
  const y = tf.tidy(() => up.apply(x));
  const ref = transposedReference(
    xv,
    [h, w, 3],
    (await vars.get("kernel")!.data()) as Float32Array,
    (await vars.get("bias")!.data()) as Float32Array,
    [3, 2, 1, 1, 2],
  );
  assert.deepEqual(y.shape, [1, ...ref.size, 2]);
  assert.deepEqual(ref.size, [6, 8]);
  assertClose(await y.data(), ref.values, 1e-5, "k3 s2 p1 op1");
  assert.throws(
    () =>
      new ConvTranspose2d(scope, {
        inChannels: 1,
        outChannels: 1,
        kernelSize: 2,
        stride: 2,
        outputPadding: 1,
      }),
    /outputPadding must be an integer in \[0, stride\) with numeric padding \(got 1\)/,
  );
  tf.dispose([x, y, ...vars.values()]);
});

Deno.test("Norm2d normalises per channel (batch) or per sample and channel (instance)", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const { scope, vars } = testScope(4);
  const rng = new Rng(5);
  const x = tf.tensor4d(rng.normalArray(2 * 4 * 4 * 3, 3, 2), [2, 4, 4, 3]);
  const batch = new Norm2d(scope.child("bn"), 3, { kind: "batch" });
  const instance = new Norm2d(scope.child("in"), 3, { kind: "instance" });
  const none = new Norm2d(scope.child("none"), 3, { kind: "none" });
  const yb = tf.tidy(() => batch.apply(x, true));
  const yi = tf.tidy(() => instance.apply(x, false));
  const mb = tf.moments(yb, [0, 1, 2]);
  const mi = tf.moments(yi, [1, 2]);
  assertClose(await mb.mean.data(), [0, 0, 0], 1e-5, "batch mean");
  assertClose(await mb.variance.data(), [1, 1, 1], 1e-3, "batch variance");
  assertClose(await mi.mean.data(), new Float32Array(6), 1e-5, "instance mean");
  assertClose(await mi.variance.data(), new Float32Array(6).fill(1), 1e-3, "instance var");
  assert.equal(none.apply(x, true), x);
  assert.deepEqual([...vars.keys()], [
    "bn.gamma",
    "bn.beta",
    "bn.runningMean",
    "bn.runningVariance",
    "in.gamma",
    "in.beta",
  ]);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new Norm2d(scope, 3, { kind: "layer" as any }),
    /Cannot create normalisation: kind must be one of batch, instance, none \(got "layer"\)/,
  );
  tf.dispose([x, yb, yi, mb.mean, mb.variance, mi.mean, mi.variance, ...vars.values()]);
});

Deno.test("upsample nearest repeats pixels like F.interpolate's default", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const y = tf.tidy(() => upsample(x, [4, 4]));
  assert.deepEqual(Array.from(await y.data()), [
    1,
    1,
    2,
    2,
    1,
    1,
    2,
    2,
    3,
    3,
    4,
    4,
    3,
    3,
    4,
    4,
  ]);
  assert.equal(upsample(x, [2, 2]), x, "same size is the identity");
  tf.dispose([x, y]);
});
