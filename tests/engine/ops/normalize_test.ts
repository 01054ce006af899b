import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { normalizeInference, normalizeTrain } from "../../../engine/ops/normalize.ts";
import { Rng } from "../../../engine/rng.ts";
import { assertClose, assertNoTensorLeak, relativeError } from "../../_helpers.ts";

interface NormCase {
  shape: number[];
  axes: number[];
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
}

function normCases(): NormCase[] {
  const rng = new Rng(314);
  const specs: [number[], number[]][] = [
    [[3, 5, 4, 3], [0, 1, 2]],
    [[2, 7, 3, 5], [0, 1, 2]],
    [[3, 5, 4, 3], [1, 2]],
    [[2, 6, 6, 4], [1, 2]],
    [[2, 3, 4, 5, 2], [0, 1, 2, 3]],
    [[10, 3], [0]],
  ];
  return specs.map(([shape, axes]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const c = shape[shape.length - 1]!;
    // Offset and scaled inputs so the statistics are far from 0 / 1.
    const x = rng.normalArray(n, 0, 1).map((v, i) => 3 * v + (i % c) - 1);
    return {
      shape,
      axes,
      x,
      gamma: rng.uniformArray(c, 0.5, 1.5),
      beta: rng.uniformArray(c, -1, 1),
      dy: rng.normalArray(n),
    };
  });
}

/** y, dx, dgamma, dbeta, mean, variance from normalizeTrain. */
function runOp(c: NormCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(c.x, c.shape);
    const gamma = tf.tensor1d(c.gamma);
    const beta = tf.tensor1d(c.beta);
    const dy = tf.tensor(c.dy, c.shape);
    const r = normalizeTrain(x, gamma, beta, { axes: c.axes, epsilon: 1e-3 });
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(normalizeTrain(a, g, b, { axes: c.axes, epsilon: 1e-3 }).y, dy))
    )([x, gamma, beta]);
    return [r.y, ...grads, r.mean, r.variance].map((t) => t.dataSync() as Float32Array);
  });
}

/** The same quantities from a plain composite formula differentiated by tfjs autograd. */
function runComposite(c: NormCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(c.x, c.shape);
    const gamma = tf.tensor1d(c.gamma);
    const beta = tf.tensor1d(c.beta);
    const dy = tf.tensor(c.dy, c.shape);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, c.axes, true);
      return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-3))), g), b);
    };
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(a, g, b), dy))
    )([x, gamma, beta]);
    const { mean, variance } = tf.moments(x, c.axes);
    return [f(x, gamma, beta), ...grads, mean, variance].map((t) => t.dataSync() as Float32Array);
  });
}

const NAMES = ["y", "dx", "dgamma", "dbeta", "mean", "variance"];

Deno.test("normalizeTrain() value and gradients match autograd of the composite formula on cpu", async () => {
  await initEngine({ backend: "cpu", log: () => {} });
  for (const c of normCases()) {
    const got = runOp(c);
    const want = runComposite(c);
    for (let j = 0; j < NAMES.length; j++) {
      const err = relativeError(got[j]!, want[j]!);
      assert.ok(
        err <= 1e-4,
        `${NAMES[j]} shape=[${c.shape}] axes=[${c.axes}]: relative error ${err.toExponential(2)}`,
      );
    }
  }
});

Deno.test("normalizeTrain() on wasm matches the cpu composite reference and leaks nothing", async () => {
  await initEngine({ backend: "cpu", log: () => {} });
  const cases = normCases();
  const want = cases.map(runComposite);
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  cases.forEach((c, i) => {
    const got = runOp(c);
    for (let j = 0; j < NAMES.length; j++) {
      const err = relativeError(got[j]!, want[i]![j]!);
      assert.ok(
        err <= 1e-4,
        `wasm ${NAMES[j]} shape=[${c.shape}] axes=[${c.axes}]: relative error ${
          err.toExponential(2)
        }`,
      );
    }
  });
  const c = cases[0]!;
  await assertNoTensorLeak(() => runOp(c), 2, "normalizeTrain with gradients");
});

Deno.test("normalizeTrain() output is standardised per channel and reports the count", async () => {
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  const c = normCases()[3]!; // [2, 6, 6, 4], instance norm
  tf.tidy(() => {
    const x = tf.tensor(c.x, c.shape);
    const r = normalizeTrain(x, tf.ones([4]), tf.zeros([4]), { axes: [1, 2], epsilon: 1e-8 });
    assert.equal(r.count, 36);
    assert.deepEqual(r.mean.shape, [2, 4]);
    const { mean, variance } = tf.moments(r.y, [1, 2]);
    assertClose(mean.dataSync(), new Float32Array(8), 1e-5, "output mean");
    assertClose(variance.dataSync(), new Float32Array(8).fill(1), 1e-4, "output variance");
  });
});

Deno.test("normalizeInference() applies given statistics and has autograd gradients", async () => {
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  tf.tidy(() => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const gamma = tf.tensor1d([2, 0.5]);
    const beta = tf.tensor1d([1, -1]);
    const mean = tf.tensor1d([3, 4]);
    const variance = tf.tensor1d([4, 16]);
    const y = normalizeInference(x, gamma, beta, mean, variance, 1e-12);
    const want = [1, 2, 3, 4, 5, 6, 7, 8].map((v, i) =>
      i % 2 === 0 ? ((v - 3) / 2) * 2 + 1 : ((v - 4) / 4) * 0.5 - 1
    );
    assertClose(y.dataSync(), want, 1e-6, "inference output");
    const [dx] = tf.grads((a: tf.Tensor) =>
      tf.sum(normalizeInference(a, gamma, beta, mean, variance, 1e-12))
    )([x]);
    assertClose(dx!.dataSync(), [1, 0.125, 1, 0.125, 1, 0.125, 1, 0.125], 1e-6, "dx");
  });
});

Deno.test("normalize ops reject bad axes, epsilon and parameter shapes", async () => {
  await initEngine({ backend: "wasm", native: "off", log: () => {} });
  tf.tidy(() => {
    const x = tf.zeros([2, 3, 3, 4]);
    const g = tf.ones([4]);
    assert.throws(
      () => normalizeTrain(x, g, g, { axes: [1, 3] }),
      /Cannot normalise: axes must be distinct increasing integers from 0 to 2.*\(got \[1,3\]\)/,
    );
    assert.throws(() => normalizeTrain(x, g, g, { axes: [2, 1] }), /axes must be distinct/);
    assert.throws(() => normalizeTrain(x, g, g, { epsilon: 0 }), /epsilon must be positive/);
    assert.throws(
      () => normalizeTrain(x, tf.ones([3]), g),
      /Cannot normalise: gamma must have shape \[4\].*\(got \[3\]\)/,
    );
    assert.throws(
      () => normalizeInference(x, g, g, g, tf.ones([1, 4])),
      /variance must have shape \[4\]/,
    );
  });
});
