/**
 * Micro benchmark of the wasm training kernels on a UNet-like layer: batch 4, 128x128,
 * 16 -> 32 channels, 3x3 filters (and the 2x2 stride-2 up-convolution of a UNet decoder).
 *
 * Run: `deno bench --allow-read --allow-env --allow-sys bench/kernels_bench.ts`.
 * Each convolution's name carries the layer's work in GFLOP (2 x multiply-adds of the forward
 * conv); GFLOPS = that figure / the average time in seconds. The last groups compare the
 * max-pool gradient and the per-channel sum with the stock kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { initEngine } from "../engine/init_engine.ts";

// The stock kernels are replaced by initEngine; keep them for comparison.
const stockInput = tf.getKernel("Conv2DBackpropInput", "wasm")!;
const stockPoolGrad = tf.getKernel("MaxPoolGrad", "wasm")!;
const stockSum = tf.getKernel("Sum", "wasm")!;
await initEngine({ backend: "wasm", native: "off", log: () => {} });
const backend = tf.backend() as unknown as {
  disposeData(id: object): boolean;
};
stockInput.setupFunc?.(tf.backend());
stockPoolGrad.setupFunc?.(tf.backend());
stockSum.setupFunc?.(tf.backend());
const oursInput = tf.getKernel("Conv2DBackpropInput", "wasm")!;
const oursFilter = tf.getKernel("Conv2DBackpropFilter", "wasm")!;
const conv = tf.getKernel("Conv2D", "wasm")!;

const N = 4, H = 128, W = 128, CIN = 16, COUT = 32;

function gflop(outH: number, outW: number, k: number, cin: number, cout: number): string {
  return (2 * N * outH * outW * k * k * cin * cout / 1e9).toFixed(3);
}

function run(kernel: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: object): void {
  const out = kernel.kernelFunc({ inputs, backend: tf.backend(), attrs } as never);
  backend.disposeData((out as tf.TensorInfo).dataId);
}

const x = tf.randomUniform([N, H, W, CIN], -1, 1, "float32", 1);
const w3 = tf.randomUniform([3, 3, CIN, COUT], -1, 1, "float32", 2);
const dy1 = tf.randomUniform([N, H, W, COUT], -1, 1, "float32", 3);
const dy2 = tf.randomUniform([N, H / 2, W / 2, COUT], -1, 1, "float32", 4);
const w2 = tf.randomUniform([2, 2, CIN, COUT], -1, 1, "float32", 5);

const s1 = { strides: [1, 1], pad: "same", dataFormat: "NHWC", dilations: [1, 1] };
const s2 = { strides: [2, 2], pad: "same", dataFormat: "NHWC", dilations: [1, 1] };
const g1 = gflop(H, W, 3, CIN, COUT);
const g2 = gflop(H / 2, W / 2, 3, CIN, COUT);
const gUp = gflop(H / 2, W / 2, 2, CIN, COUT);

Deno.bench(`Conv2D forward, 3x3 stride 1 (${g1} GFLOP)`, { group: "s1", n: 10, warmup: 2 }, () => {
  run(conv, { x, filter: w3 }, s1);
});
Deno.bench(
  `Conv2DBackpropInput stock, 3x3 stride 1 (${g1} GFLOP)`,
  { group: "s1", n: 3, warmup: 1 },
  () => run(stockInput, { dy: dy1, filter: w3 }, { ...s1, inputShape: [N, H, W, CIN] }),
);
Deno.bench(
  `Conv2DBackpropInput ours, 3x3 stride 1 (${g1} GFLOP)`,
  { group: "s1", n: 10, warmup: 2, baseline: true },
  () => run(oursInput, { dy: dy1, filter: w3 }, { ...s1, inputShape: [N, H, W, CIN] }),
);
Deno.bench(
  `Conv2DBackpropFilter ours, 3x3 stride 1 (${g1} GFLOP)`,
  { group: "s1", n: 10, warmup: 2 },
  () => run(oursFilter, { x, dy: dy1 }, { ...s1, filterShape: [3, 3, CIN, COUT] }),
);
Deno.bench(
  `Conv2DBackpropInput stock, 3x3 stride 2 (${g2} GFLOP)`,
  { group: "s2", n: 3, warmup: 1 },
  () => run(stockInput, { dy: dy2, filter: w3 }, { ...s2, inputShape: [N, H, W, CIN] }),
);
Deno.bench(
  `Conv2DBackpropInput ours, 3x3 stride 2 (${g2} GFLOP)`,
  { group: "s2", n: 10, warmup: 2, baseline: true },
  () => run(oursInput, { dy: dy2, filter: w3 }, { ...s2, inputShape: [N, H, W, CIN] }),
);
Deno.bench(
  `Conv2DBackpropFilter ours, 3x3 stride 2 (${g2} GFLOP)`,
  { group: "s2", n: 10, warmup: 2 },
  () => run(oursFilter, { x, dy: dy2 }, { ...s2, filterShape: [3, 3, CIN, COUT] }),
);
Deno.bench(
  `conv2dTranspose stock, 2x2 stride 2 up-conv (${gUp} GFLOP)`,
  { group: "up", n: 3, warmup: 1 },
  () => run(stockInput, { dy: dy2, filter: w2 }, { ...s2, inputShape: [N, H, W, CIN] }),
);
Deno.bench(
  `conv2dTranspose ours, 2x2 stride 2 up-conv (${gUp} GFLOP)`,
  { group: "up", n: 10, warmup: 2, baseline: true },
  () => run(oursInput, { dy: dy2, filter: w2 }, { ...s2, inputShape: [N, H, W, CIN] }),
);

const pooled = tf.maxPool(x as tf.Tensor4D, 2, 2, "valid");
const poolAttrs = { filterSize: 2, strides: 2, pad: "valid" };
Deno.bench(
  "MaxPoolGrad stock, 2x2 stride 2 of [4,128,128,16]",
  { group: "pool", n: 10, warmup: 2 },
  () => run(stockPoolGrad, { dy: pooled, input: x, output: pooled }, poolAttrs),
);
Deno.bench(
  "MaxPoolGrad ours, 2x2 stride 2 of [4,128,128,16]",
  { group: "pool", n: 20, warmup: 2, baseline: true },
  () =>
    run(tf.getKernel("MaxPoolGrad", "wasm")!, { dy: pooled, input: x, output: pooled }, poolAttrs),
);
const sumAttrs = { axis: [0, 1, 2], keepDims: true };
Deno.bench(
  "Sum stock over [0,1,2] of [4,128,128,16]",
  { group: "sum", n: 20, warmup: 2 },
  () => run(stockSum, { x }, sumAttrs),
);
Deno.bench(
  "Sum ours over [0,1,2] of [4,128,128,16]",
  { group: "sum", n: 20, warmup: 2, baseline: true },
  () => run(tf.getKernel("Sum", "wasm")!, { x }, sumAttrs),
);
