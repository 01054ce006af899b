import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { registerWasmTrainingKernels } from "../../engine/_wasm_kernels.ts";
import { conv2DBackpropFilterConfig } from "../../engine/kernels/conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "../../engine/kernels/conv2d_backprop_input.ts";
import { normalizeTrain } from "../../engine/ops/normalize.ts";
import { Rng } from "../../engine/rng.ts";
import { assertNoTensorLeak, relativeError } from "../_helpers.ts";

type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;

interface ConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  xData: Float32Array;
  wData: Float32Array;
}

const TOL = 1e-4;

function convCases(count: number, seed: number): ConvCase[] {
  const rng = new Rng(seed);
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const kh = 1 + (i % 7);
    const kw = 1 + rng.int(7);
    const s = i % 9 === 8 ? 3 : 1 + (i % 2);
    const strides: [number, number] = [s, i % 5 === 4 ? 1 : s];
    const h = kh + rng.int(8);
    const w = kw + rng.int(8);
    const n = 1 + rng.int(2);
    const cin = 1 + rng.int(4);
    const cout = 1 + rng.int(4);
    const kind = i % 3;
    const pad: Pad = kind === 0 ? "same" : kind === 1 ? "valid" : [
      [0, 0],
      [rng.int(kh), rng.int(kh)],
      [rng.int(kw), rng.int(kw)],
      [0, 0],
    ];
    const x: ConvCase["x"] = [n, h, w, cin];
    const wShape: ConvCase["w"] = [kh, kw, cin, cout];
    cases.push({
      x,
      w: wShape,
      strides,
      pad,
      xData: rng.uniformArray(n * h * w * cin, -1, 1),
      wData: rng.uniformArray(kh * kw * cin * cout, -1, 1),
    });
  }
  return cases;
}

/** Forward conv, both gradients through tf.grads, and a conv2dTranspose forward on `dy`. */
function runConvCase(c: ConvCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.xData, c.x);
    const w = tf.tensor4d(c.wData, c.w);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    // A fixed, non-uniform upstream gradient: dy[i] = sin(i).
    const dy = tf.sin(tf.range(0, y.size).reshape(y.shape)) as tf.Tensor4D;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dy))
    )([x, w]);
    const t = tf.conv2dTranspose(dy, w, c.x, c.strides, c.pad);
    return [y, dx!, dw!, t].map((r) => r.dataSync() as Float32Array);
  });
}

async function onCpu<T>(fn: () => T): Promise<T> {
  await initEngine({ backend: "cpu", log: () => {} });
  try {
    return fn();
  } finally {
    await initEngine({ backend: "wasm", native: "off", log: () => {} });
  }
}

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("registerWasmTrainingKernels() installs the kernels on wasm and is idempotent", () => {
  const sum = tf.getKernel("Sum", "wasm")?.kernelFunc;
  const first = registerWasmTrainingKernels();
  const second = registerWasmTrainingKernels();
  assert.deepEqual(first, [
    "Conv2DBackpropFilter",
    "Conv2DBackpropInput",
    "Identity",
    "MaxPoolGrad",
    "Sum",
    "Mean",
    "LeakyRelu",
    "Concat",
    "SplitV",
    "LeakyRelu (gradient)",
  ]);
  // A second registration must not wrap the project's Sum around itself.
  assert.equal(tf.getKernel("Sum", "wasm")?.kernelFunc, sum);
  assert.deepEqual(second, first);
  assert.equal(
    tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc,
    conv2DBackpropFilterConfig.kernelFunc,
  );
  assert.equal(
    tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc,
    conv2DBackpropInputConfig.kernelFunc,
  );
});

Deno.test("wasm conv gradients and conv2dTranspose match the cpu backend on 28 random shapes", async () => {
  const cases = convCases(28, 20240611);
  const wasm = cases.map(runConvCase);
  const cpu = await onCpu(() => cases.map(runConvCase));
  const names = ["conv2d", "dx", "dW", "conv2dTranspose"];
  let worst = 0;
  cases.forEach((c, i) => {
    for (let j = 0; j < 4; j++) {
      const err = relativeError(wasm[i]![j]!, cpu[i]![j]!);
      worst = Math.max(worst, err);
      assert.ok(
        err <= TOL,
        `${names[j]} case ${i} x=[${c.x}] w=[${c.w}] strides=[${c.strides}] ` +
          `pad=${JSON.stringify(c.pad)}: relative error ${err.toExponential(2)}`,
      );
    }
  });
  assert.ok(worst > 0, "wasm and cpu agree bit for bit; the comparison is suspicious");
});

Deno.test("wasm Conv2DBackpropFilter supports dilations (vs cpu with the dilated filter spelled out)", async () => {
  const rng = new Rng(99);
  const cases: { c: ConvCase; d: number; dyData: Float32Array; outShape: number[] }[] = [];
  for (let i = 0; i < 8; i++) {
    const k = 2 + rng.int(3);
    const d = 2;
    const eff = (k - 1) * d + 1;
    const s = 1 + (i % 2);
    const n = 1 + rng.int(2), h = eff + rng.int(6), w = eff + rng.int(6);
    const cin = 1 + rng.int(3), cout = 1 + rng.int(3);
    const pad: Pad = i % 3 === 0
      ? "same"
      : i % 3 === 1
      ? "valid"
      : [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]];
    const info = tf.backend_util.computeConv2DInfo(
      [n, h, w, cin],
      [k, k, cin, cout],
      s,
      d,
      pad,
    );
    const outShape = info.outShape;
    cases.push({
      c: {
        x: [n, h, w, cin],
        w: [k, k, cin, cout],
        strides: [s, s],
        pad,
        xData: rng.uniformArray(n * h * w * cin, -1, 1),
        wData: new Float32Array(0),
      },
      d,
      dyData: rng.uniformArray(outShape.reduce((a, b) => a * b, 1), -1, 1),
      outShape,
    });
  }
  const wasm = cases.map(({ c, d, dyData, outShape }) =>
    tf.tidy(() => {
      const x = tf.tensor4d(c.xData, c.x);
      const dy = tf.tensor(dyData, outShape);
      const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        filterShape: c.w,
        dilations: [d, d],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return dw.dataSync() as Float32Array;
    })
  );
  const cpu = await onCpu(() =>
    cases.map(({ c, d, dyData, outShape }) =>
      tf.tidy(() => {
        const [k, , cin, cout] = c.w;
        const eff = (k - 1) * d + 1;
        const x = tf.tensor4d(c.xData, c.x);
        const dy = tf.tensor4d(dyData, outShape as [number, number, number, number]);
        const full = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat: "NHWC",
          filterShape: [eff, eff, cin, cout],
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
        // Keep only the taps the dilated filter has.
        return tf.stridedSlice(full, [0, 0, 0, 0], [eff, eff, cin, cout], [d, d, 1, 1])
          .dataSync() as Float32Array;
      })
    )
  );
  cases.forEach(({ c }, i) => {
    const err = relativeError(wasm[i]!, cpu[i]!);
    assert.ok(
      err <= TOL,
      `dilated dW case ${i} x=[${c.x}] w=[${c.w}] strides=[${c.strides}] pad=${
        JSON.stringify(c.pad)
      }: relative error ${err.toExponential(2)}`,
    );
  });
});

Deno.test("wasm conv kernels reject NCHW data and mismatched dy with a clear message", () => {
  tf.tidy(() => {
    const x = tf.zeros([1, 5, 5, 2]);
    const dy = tf.zeros([1, 5, 5, 3]);
    assert.throws(
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides: 1,
          pad: "same",
          dataFormat: "NCHW",
          filterShape: [3, 3, 2, 3],
        }),
      /Cannot compute Conv2DBackpropFilter on wasm: only NHWC data is supported \(got NCHW\)/,
    );
    assert.throws(
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides: 1,
          pad: "valid",
          dataFormat: "NHWC",
          filterShape: [3, 3, 2, 3],
        }),
      /dy must have shape \[1,3,3,3\].*\(got \[1,5,5,3\]\)/,
    );
    assert.throws(
      () => tf.conv2dTranspose(dy as tf.Tensor4D, tf.zeros([3, 3, 2, 3]), [1, 7, 7, 2], 1, "same"),
      /Cannot compute Conv2DBackpropInput on wasm: dy must have shape \[1,7,7,3\]/,
    );
  });
});

Deno.test("wasm conv kernels free every intermediate buffer", () => {
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const step = () =>
    tf.tidy(() => {
      const x = tf.ones([2, 9, 9, 3]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 3, 4]) as tf.Tensor4D;
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "valid"))
      )([x, w]);
      const t = tf.conv2dTranspose(
        tf.ones([2, 5, 5, 4]) as tf.Tensor4D,
        w,
        [2, 9, 9, 3],
        2,
        "same",
      );
      return tf.add(tf.add(tf.sum(dx!), tf.sum(dw!)), tf.sum(t)).dataSync()[0]!;
    });
  step();
  const tensors = tf.memory().numTensors;
  const ids = backend.numDataIds();
  const value = step();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(backend.numDataIds(), ids);
  assert.ok(value > 0);
});

Deno.test("a conv + normalize + conv2dTranspose training step on wasm leaks no tensors or buffers", async () => {
  const rng = new Rng(5);
  const w1 = tf.variable(tf.tensor4d(rng.normalArray(3 * 3 * 2 * 8, 0, 0.3), [3, 3, 2, 8]));
  const w2 = tf.variable(tf.tensor4d(rng.normalArray(2 * 2 * 4 * 8, 0, 0.3), [2, 2, 4, 8]));
  const gamma = tf.variable(tf.ones([8]));
  const beta = tf.variable(tf.zeros([8]));
  const x = tf.tensor4d(rng.uniformArray(2 * 12 * 12 * 2), [2, 12, 12, 2]);
  const target = tf.tensor4d(rng.uniformArray(2 * 12 * 12 * 4), [2, 12, 12, 4]);
  const optimizer = tf.train.adam(1e-2);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const losses: number[] = [];
  const step = () => {
    const loss = optimizer.minimize(() => {
      const h = tf.conv2d(x, w1, 2, "same");
      const { y } = normalizeTrain(h, gamma, beta, { axes: [0, 1, 2] });
      const up = tf.conv2dTranspose(tf.leakyRelu(y, 0.2), w2, [2, 12, 12, 4], 2, "same");
      return tf.mean(tf.square(tf.sub(up, target))) as tf.Scalar;
    }, true)!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  };
  step();
  const ids = backend.numDataIds();
  await assertNoTensorLeak(step, 3, "training step");
  assert.equal(backend.numDataIds(), ids, "wasm buffers leaked");
  assert.ok(losses.at(-1)! < losses[0]!, `loss did not fall: ${losses.join(", ")}`);
  optimizer.dispose();
  tf.dispose([w1, w2, gamma, beta, x, target]);
});
