import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Adam, setAdamInPlace } from "../../engine/adam.ts";
import { initEngine } from "../../engine/init_engine.ts";
import type { WasmModuleInternals } from "../../engine/_wasm_module.ts";
import { ADAM_IN_PLACE_KERNEL, adamUpdateInPlace } from "../../engine/kernels/adam_in_place.ts";
import { adamSimd, adamSimdModuleBytes } from "../../engine/kernels/adam_simd.ts";
import { ADAM_KERNEL, adamKernelConfig } from "../../engine/native/adam.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SHAPES = [[3, 3, 5, 7], [13], [], [2, 1, 9]];
/** Gradient scales per variable: tiny, ordinary, large, and mixed signs around zero. */
const SCALES = [1e-6, 1, 1e3, 3e-2];

/**
 * Runs `steps` Adam updates of fresh random variables with the in-place path on or off and
 * returns the bits of every parameter and moment after each step, and the kernels that ran.
 * With `schedule`, the learning rate changes between steps; variable 1 has no gradient at step 2.
 */
async function run(inPlace: boolean, steps: number, schedule: boolean) {
  const previous = setAdamInPlace(inPlace);
  try {
    const vars = SHAPES.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, "float32", 10 + i)));
    const adam = new Adam(vars, SHAPES.map((_, i) => `w${i}`), { learningRate: 3e-3 });
    const bits: Uint32Array[][] = [];
    const kernels = new Set<string>();
    for (let t = 0; t < steps; t++) {
      if (schedule) adam.learningRate = 3e-3 * Math.pow(1 - t / steps, 0.9);
      const grads = SHAPES.map((s, i) =>
        t === 2 && i === 1 ? null : tf.tidy(() =>
          // Exact zeros in places, so sqrt(v) = 0 and the denominator is ε alone.
          tf.relu(tf.randomNormal(s, 0, SCALES[i]!, "float32", 1000 + 100 * t + i)).mul(
            tf.sign(tf.randomNormal(s, 0, 1, "float32", 1050 + 100 * t + i)),
          )
        )
      );
      const profile = await tf.profile(() => adam.apply(grads));
      for (const k of profile.kernels) kernels.add(k.name);
      bits.push(
        [...vars, ...adam.stateVariables].map((v) => new Uint32Array(v.dataSync().slice().buffer)),
      );
      tf.dispose(grads.filter((g) => g !== null));
    }
    adam.dispose();
    tf.dispose(vars);
    return { bits, kernels };
  } finally {
    setAdamInPlace(previous);
  }
}

/** Runs `body` with the native `GrnAdam` kernel registered (`true`) or not, then restores it. */
async function withGrnAdam<T>(registered: boolean, body: () => Promise<T>): Promise<T> {
  const had = tf.getKernel(ADAM_KERNEL, "wasm");
  if (had !== undefined) tf.unregisterKernel(ADAM_KERNEL, "wasm");
  if (registered) tf.registerKernel(adamKernelConfig);
  try {
    return await body();
  } finally {
    if (registered) tf.unregisterKernel(ADAM_KERNEL, "wasm");
    if (had !== undefined) tf.registerKernel(had);
  }
}

for (const native of [false, true]) {
  for (const schedule of [false, true]) {
    const label = `${native ? "GrnAdam registered" : "composite ops"}, ${
      schedule ? "with" : "without"
    } a learning-rate schedule`;
    Deno.test(`Adam in one call: bit-identical to the per-variable path (${label})`, async () => {
      await withGrnAdam(native, async () => {
        const fast = await run(true, 5, schedule);
        const slow = await run(false, 5, schedule);
        assert.ok(fast.kernels.has(ADAM_IN_PLACE_KERNEL), [...fast.kernels].join(", "));
        assert.ok(!fast.kernels.has(ADAM_KERNEL) && !fast.kernels.has("Sqrt"));
        assert.ok(!slow.kernels.has(ADAM_IN_PLACE_KERNEL));
        assert.ok(slow.kernels.has(native ? ADAM_KERNEL : "Sqrt"));
        fast.bits.forEach((step, t) =>
          step.forEach((b, k) => assert.deepEqual(b, slow.bits[t]![k], `step ${t}, tensor ${k}`))
        );
      });
    });
  }
}

Deno.test("Adam in one call: the two roundings differ, so the comparisons above can fail", async () => {
  const f32 = await withGrnAdam(false, () => run(true, 3, false));
  const f64 = await withGrnAdam(true, () => run(true, 3, false));
  const differs = f32.bits.some((step, t) =>
    step.some((b, k) => b.some((x, i) => x !== f64.bits[t]![k]![i]))
  );
  assert.ok(differs, "float32 and float64 rounding gave the same bits");
});

Deno.test("Adam in one call: moments that share their buffer take the per-variable path", () => {
  const p = tf.variable(tf.tensor1d([1, -2, 3]));
  const q = tf.variable(tf.tensor1d([1, -2, 3]));
  const adamP = new Adam([p], ["p"], { learningRate: 0.1 });
  const adamQ = new Adam([q], ["q"], { learningRate: 0.1 });
  // A tensor that shares the first moment's buffer must keep its values.
  const shared = tf.tensor1d([0.5, 0.5, 0.5]);
  adamP.stateVariables[0]!.assign(shared);
  adamQ.stateVariables[0]!.assign(tf.tidy(() => shared.clone().add(0)));
  const g = tf.tensor1d([0.25, -1, 2]);
  adamP.apply([g]);
  setAdamInPlace(false);
  try {
    adamQ.apply([g]);
  } finally {
    setAdamInPlace(true);
  }
  assert.deepEqual(shared.dataSync(), new Float32Array([0.5, 0.5, 0.5]));
  assert.deepEqual(p.dataSync(), q.dataSync());
  assert.deepEqual(adamP.stateVariables[0]!.dataSync(), adamQ.stateVariables[0]!.dataSync());
  // The kernel itself refuses a shared moment.
  assert.throws(
    () => {
      const m = tf.variable(tf.zeros([3]));
      const alias = m.reshape([3]);
      try {
        adamUpdateInPlace([p], [m], [adamP.stateVariables[1]!], [g], {
          beta1: 0.5,
          beta2: 0.999,
          epsilon: 1e-8,
          stepSize: 0.1,
          sqrtBc2: 0.1,
          rounding: "float32",
        });
      } finally {
        tf.dispose([m, alias]);
      }
    },
    /Cannot apply the in-place Adam update: the buffer of m0 is shared with another tensor \(got reference count \d+\)/,
  );
  adamP.dispose();
  adamQ.dispose();
  tf.dispose([p, q, shared, g]);
});

Deno.test("Adam in one call: no tensor leaks per step, the parameters get new buffers", () => {
  const vars = tf.tidy(() => [tf.variable(tf.ones([3, 2])), tf.variable(tf.ones([4]))]);
  const g = vars.map((v) => tf.onesLike(v));
  const adam = new Adam(vars, ["a", "b"]);
  // A tensor sharing a parameter's buffer (as a kept reshape would) keeps the old values.
  const view = vars[0]!.reshape([6]);
  adam.apply(g);
  const before = tf.memory().numTensors;
  adam.apply(g);
  adam.apply(g);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(view.dataSync(), new Float32Array(6).fill(1));
  assert.ok(vars[0]!.dataSync().every((x) => x < 1));
  adam.dispose();
  tf.dispose([...g, ...vars, view]);
});

Deno.test("Adam in one call: the SIMD loops assemble, validate and bind to the backend's heap", () => {
  const bytes = adamSimdModuleBytes();
  assert.ok(WebAssembly.validate(bytes), "the assembled module does not validate");
  const wasm = (tf.backend() as unknown as { wasm: WasmModuleInternals }).wasm;
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  assert.ok(memory !== undefined);
  // The comparisons above ran through SIMD (single-threaded build), not only the JS loops.
  const simd = adamSimd(memory);
  assert.ok(simd !== null);
  assert.equal(adamSimd(memory), simd, "one instance per memory");
  // Four float32 lanes at step 1 (β1 = 0.5, β2 = 0.999): m' = g/2, v' = g²/1000, and the
  // update is the learning rate times the sign of g (up to ε), written to `out` only.
  const heap = (tf.backend() as unknown as { wasm: { _malloc(n: number): number } }).wasm;
  const base = heap._malloc(5 * 16);
  const view = new Float32Array(memory.buffer, base, 20);
  view.fill(0); // m, v and out start at zero
  view.set([1, 2, 3, 4], 0); // p
  view.set([0.5, -1, 2, -4], 16); // g
  simd.f32(
    base,
    base + 16,
    base + 32,
    base + 48,
    base + 64,
    4,
    0.5,
    0.5,
    0.999,
    0.001,
    Math.sqrt(0.001),
    1e-8,
    0.1 / 0.5,
  );
  const got = new Float32Array(memory.buffer, base, 20);
  assert.deepEqual([...got.subarray(0, 4)], [1, 2, 3, 4], "p is read only");
  assert.deepEqual([...got.subarray(8, 12)], [0.25, -0.5, 1, -2].map(Math.fround));
  [0.9, 2.1, 2.9, 4.1].forEach((want, i) => assert.ok(Math.abs(got[4 + i]! - want) < 1e-6));
  (heap as unknown as { _free(p: number): void })._free(base);
});
