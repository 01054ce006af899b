import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Adam, setAdamInPlace } from "../../../engine/adam.ts";
import { loadOneDnn, nativeContext } from "../../../engine/native/provider.ts";
import { normalizeTrain } from "../../../engine/ops/normalize.ts";
import { assertNoTensorLeak, relativeError } from "../../_helpers.ts";
import { nativeTest, onCpu, randomData, Rng, useNative } from "./_native.ts";

const TOL = 1e-4;

function randomShape(rng: Rng): [number, number, number, number] {
  return [1 + rng.int(3), 1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(12)];
}

/** Compares every output of every case and names the worst one on failure. */
function compare(label: string, got: Float32Array[][], want: Float32Array[][], what: string[]) {
  got.forEach((outs, i) => {
    outs.forEach((g, j) => {
      const err = relativeError(g, want[i]![j]!);
      assert.ok(err <= TOL, `${label} case ${i} ${what[j]}: relative error ${err}`);
    });
  });
}

/** Counts plans built while `fn` runs: proves the native kernels (not the fallbacks) ran. */
function plansBuiltBy<T>(fn: () => T): [T, number] {
  const plans = nativeContext(loadOneDnn()).plans;
  const before = plans.created;
  const out = fn();
  return [out, plans.created - before];
}

interface NormCase {
  shape: [number, number, number, number];
  axes: number[];
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
}

function normResults(c: NormCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.shape);
    const channels = c.shape[3];
    const gamma = tf.tensor1d(c.gamma);
    const beta = tf.tensor1d(c.beta);
    const dy = tf.tensor4d(c.dy, c.shape);
    const r = normalizeTrain(x, gamma, beta, { axes: c.axes, epsilon: 1e-5 });
    const [gx, gg, gb] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(normalizeTrain(a, g, b, { axes: c.axes }).y, dy))
    )([x, gamma, beta]);
    assert.equal(gg!.shape[0], channels);
    return [r.y, r.mean, r.variance, gx!, gg!, gb!].map((t) => t.dataSync() as Float32Array);
  });
}

nativeTest(
  "oneDNN batch and instance normalisation (values, statistics, gradients) match cpu on 24 random shapes",
  async () => {
    await useNative(true);
    const rng = new Rng(31);
    const cases: NormCase[] = Array.from({ length: 24 }, (_, i) => {
      const shape = randomShape(rng);
      if (i % 2 === 0) shape[1] = Math.max(shape[1], 2); // batch statistics need > 1 value
      return {
        shape,
        axes: i % 2 === 0 ? [0, 1, 2] : [1, 2],
        x: randomData(rng, shape, -3, 5),
        gamma: randomData(rng, [shape[3]], 0.5, 2),
        beta: randomData(rng, [shape[3]]),
        dy: randomData(rng, shape),
      };
    });
    const [native, built] = plansBuiltBy(() => cases.map(normResults));
    assert.ok(built > 0, "the native normalisation kernels did not run");
    const cpu = await onCpu(() => cases.map(normResults));
    compare("normalise", native, cpu, ["y", "mean", "variance", "dx", "dgamma", "dbeta"]);
    await assertNoTensorLeak(() => normResults(cases[1]!), 2, "native normalisation");
  },
);

interface EltCase {
  shape: number[];
  op: "leakyRelu" | "relu" | "tanh";
  alpha: number;
  x: Float32Array;
  dy: Float32Array;
}

function eltResults(c: EltCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(c.x, c.shape);
    const dy = tf.tensor(c.dy, c.shape);
    const f = (a: tf.Tensor) =>
      c.op === "leakyRelu" ? tf.leakyRelu(a, c.alpha) : c.op === "relu" ? tf.relu(a) : tf.tanh(a);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(f(a), dy)))([x]);
    return [f(x), dx!].map((t) => t.dataSync() as Float32Array);
  });
}

nativeTest(
  "oneDNN LeakyRelu, Relu, Tanh and their gradients match cpu on 30 random shapes, zeros included",
  async () => {
    await useNative(true);
    const rng = new Rng(41);
    const ops = ["leakyRelu", "relu", "tanh"] as const;
    const cases: EltCase[] = Array.from({ length: 30 }, (_, i) => {
      const rank = 1 + (i % 4);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(13));
      const x = randomData(rng, shape, -3, 3);
      x[0] = 0; // the kink: the gradient there is alpha * dy (leaky) and 0 (relu), as in tfjs
      return {
        shape,
        op: ops[i % 3]!,
        alpha: [0.01, 0.2, 1.5][rng.int(3)]!,
        x,
        dy: randomData(rng, shape),
      };
    });
    const [native, built] = plansBuiltBy(() => cases.map(eltResults));
    assert.ok(built > 0, "the native eltwise kernels did not run");
    const cpu = await onCpu(() => cases.map(eltResults));
    compare("eltwise", native, cpu, ["y", "dx"]);
    await assertNoTensorLeak(() => eltResults(cases[2]!), 2, "native eltwise");
  },
);

nativeTest(
  "activation gradients fall back to tfjs's own on int32 data and on other backends",
  async () => {
    await useNative(true);
    const got = tf.tidy(() => {
      const x = tf.tensor1d([-2, 0, 3], "int32");
      return Array.from(tf.relu(x).dataSync());
    });
    assert.deepEqual(got, [0, 0, 3]);
    const cpu = await onCpu(() =>
      tf.tidy(() => {
        const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.leakyRelu(a, 0.5)))([
          tf.tensor1d([-1, 0, 2]),
        ]);
        return Array.from(dx!.dataSync());
      })
    );
    assert.deepEqual(cpu, [0.5, 0.5, 1]);
  },
);

interface PoolCase {
  shape: [number, number, number, number];
  filter: [number, number];
  strides: [number, number];
  pad: "same" | "valid";
  x: Float32Array;
}

function poolGrad(c: PoolCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.shape);
    const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.filter, c.strides, c.pad);
    const y = f(x);
    const dy = tf.add(tf.sin(tf.range(0, y.size).reshape(y.shape)), 2);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(f(a), dy)))([x]);
    return [dx!.dataSync() as Float32Array];
  });
}

nativeTest("oneDNN MaxPoolGrad matches cpu on 24 random pools, ties included", async () => {
  await useNative(true);
  const rng = new Rng(51);
  const cases: PoolCase[] = Array.from({ length: 24 }, (_, i) => {
    const fh = 1 + rng.int(3), fw = 1 + (i % 3);
    const shape: [number, number, number, number] = [
      1 + rng.int(2),
      fh + rng.int(7),
      fw + rng.int(7),
      1 + rng.int(9),
    ];
    // Every fourth case has many ties (values in {0, 1}): the first maximum must win.
    const x = i % 4 === 3
      ? randomData(rng, shape, 0, 1).map((v) => (v < 0.7 ? 0 : 1))
      : randomData(rng, shape);
    return {
      shape,
      filter: [fh, fw],
      strides: [1 + rng.int(2), 1 + rng.int(2)],
      pad: i % 2 === 0 ? "valid" : "same",
      x,
    };
  });
  const [native, built] = plansBuiltBy(() => cases.map(poolGrad));
  assert.ok(built > 0, "the native MaxPoolGrad did not run");
  const cpu = await onCpu(() => cases.map(poolGrad));
  compare("maxPoolGrad", native, cpu, ["dx"]);
  await assertNoTensorLeak(() => poolGrad(cases[0]!), 2, "native MaxPoolGrad");
});

/** Three Adam steps on seeded variables; the state afterwards, and tensors leaked by apply(). */
function adamRun(shapes: number[][], seed: number): { state: Float32Array[]; leaked: number } {
  const rng = new Rng(seed);
  const vars = shapes.map((s) => tf.variable(tf.tensor(randomData(rng, s), s)));
  const grads = [0, 1, 2].map(() => shapes.map((s) => tf.tensor(randomData(rng, s, -2, 2), s)));
  const adam = new Adam(vars, shapes.map((_, i) => `v${i}`), { learningRate: 0.01, beta1: 0.9 });
  const before = tf.memory().numTensors;
  for (const g of grads) adam.apply(g);
  const leaked = tf.memory().numTensors - before;
  const state = [...vars, ...adam.stateVariables].map((v) => v.dataSync() as Float32Array);
  adam.dispose();
  tf.dispose([...vars, ...grads.flat()]);
  return { state, leaked };
}

nativeTest(
  "the fused Adam updates (per variable and in one call) match the composite update on cpu over 3 steps",
  async () => {
    await useNative(true);
    const shapes = [[3, 3, 4, 5], [17], [1000, 3]];
    const cpu = await onCpu(() => adamRun(shapes, 61));
    for (const [inPlace, kernel] of [[false, "GrnAdam"], [true, "GrnAdamInPlace"]] as const) {
      const previous = setAdamInPlace(inPlace);
      try {
        const profile = await tf.profile(() => {
          adamRun(shapes, 60);
        });
        assert.ok(
          profile.kernelNames.includes(kernel),
          `the fused Adam kernel ${kernel} did not run`,
        );
        const native = adamRun(shapes, 61);
        native.state.forEach((got, i) => {
          const err = relativeError(got, cpu.state[i]!);
          assert.ok(err <= TOL, `${kernel}: Adam tensor ${i}: relative error ${err}`);
        });
        assert.equal(native.leaked, 0, `the fused Adam update ${kernel} leaked tensors`);
      } finally {
        setAdamInPlace(previous);
      }
    }
  },
);

interface ReduceCase {
  shape: number[];
  axes: number[];
  keepDims: boolean;
  x: Float32Array;
}

function reduceResults(c: ReduceCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(c.x, c.shape);
    return [tf.sum(x, c.axes, c.keepDims), tf.mean(x, c.axes, c.keepDims)].map((t) =>
      t.dataSync() as Float32Array
    );
  });
}

nativeTest("oneDNN Sum and Mean over contiguous axes match cpu on 30 random shapes", async () => {
  await useNative(true);
  const rng = new Rng(71);
  const cases: ReduceCase[] = Array.from({ length: 30 }, (_, i) => {
    const rank = 2 + (i % 3);
    const shape = Array.from({ length: rank }, () => 1 + rng.int(i % 5 === 0 ? 40 : 9));
    const first = rng.int(rank - 1);
    const last = first + rng.int(rank - 1 - first);
    const axes = Array.from({ length: last - first + 1 }, (_, k) => first + k);
    return { shape, axes, keepDims: i % 2 === 0, x: randomData(rng, shape, -2, 3) };
  });
  const [native, built] = plansBuiltBy(() => cases.map(reduceResults));
  assert.ok(built > 0, "the native reductions did not run");
  const cpu = await onCpu(() => cases.map(reduceResults));
  compare("reduce", native, cpu, ["sum", "mean"]);
  await assertNoTensorLeak(() => reduceResults(cases[0]!), 2, "native reductions");
});

interface JoinCase {
  shapes: number[][];
  axis: number;
  data: Float32Array[];
  weights: Float32Array;
}

/** Concat, its gradient (a SplitV) and an explicit uneven split. */
function joinResults(c: JoinCase): Float32Array[] {
  return tf.tidy(() => {
    const xs = c.data.map((d, i) => tf.tensor(d, c.shapes[i]!));
    const y = tf.concat(xs, c.axis);
    const w = tf.tensor(c.weights, y.shape);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(a, c.axis), w)))(xs);
    const sizes = c.shapes.map((s) => s[c.axis]!).reverse();
    const parts = tf.split(y, sizes, c.axis);
    return [y, ...grads, ...parts].map((t) => t.dataSync() as Float32Array);
  });
}

nativeTest("oneDNN Concat and SplitV match cpu on 20 random cases", async () => {
  await useNative(true);
  const rng = new Rng(81);
  const cases: JoinCase[] = Array.from({ length: 20 }, (_, i) => {
    const rank = 1 + (i % 4);
    const base = Array.from({ length: rank }, () => 1 + rng.int(6));
    const axis = rng.int(rank);
    const shapes = Array.from({ length: 2 + rng.int(3) }, () => {
      const s = base.slice();
      s[axis] = 1 + rng.int(i % 3 === 0 ? 40 : 7);
      return s;
    });
    const data = shapes.map((s) => randomData(rng, s));
    const total = data.reduce((n, d) => n + d.length, 0);
    return { shapes, axis, data, weights: randomData(rng, [total]) };
  });
  const [native, built] = plansBuiltBy(() => cases.map(joinResults));
  assert.ok(built > 0, "the native Concat/SplitV did not run");
  const cpu = await onCpu(() => cases.map(joinResults));
  native.forEach((outs, i) => {
    outs.forEach((got, j) => assert.deepEqual(got, cpu[i]![j], `case ${i} output ${j}`));
  });
  await assertNoTensorLeak(() => joinResults(cases[1]!), 2, "native Concat/SplitV");
});

interface BinaryCase {
  a: number[];
  b: number[];
  dataA: Float32Array;
  dataB: Float32Array;
}

function binaryResults(c: BinaryCase): Float32Array[] {
  return tf.tidy(() => {
    const a = tf.tensor(c.dataA, c.a);
    const b = tf.tensor(c.dataB, c.b);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.mul(p, q), tf.sub(p, q)), tf.add(q, p)))
    )([a, b]);
    return [tf.add(a, b), tf.add(b, a), tf.sub(a, b), tf.mul(a, b), tf.mul(b, a), ga!, gb!].map((
      t,
    ) => t.dataSync() as Float32Array);
  });
}

nativeTest(
  "oneDNN Add, Sub and Multiply with row broadcasting match cpu on 24 random shapes",
  async () => {
    await useNative(true);
    const rng = new Rng(91);
    const cases: BinaryCase[] = Array.from({ length: 24 }, (_, i) => {
      const a = randomShape(rng);
      // Bias-like [C], per-sample [N, 1, 1, C], per-row [N, H, 1, C] (never the innermost axis).
      const b = i % 3 === 0 ? [a[3]] : i % 3 === 1 ? [a[0], 1, 1, a[3]] : [a[0], a[1], 1, a[3]];
      return { a, b, dataA: randomData(rng, a), dataB: randomData(rng, b) };
    });
    const [native, built] = plansBuiltBy(() => cases.map(binaryResults));
    assert.ok(built > 0, "the native binary kernels did not run");
    const cpu = await onCpu(() => cases.map(binaryResults));
    compare("binary", native, cpu, ["a+b", "b+a", "a-b", "a*b", "b*a", "da", "db"]);
    await assertNoTensorLeak(() => binaryResults(cases[0]!), 2, "native binary ops");
  },
);
