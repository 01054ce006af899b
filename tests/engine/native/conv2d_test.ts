import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { farPadding } from "../../../engine/native/conv2d.ts";
import { loadOneDnn, nativeContext } from "../../../engine/native/provider.ts";
import { assertNoTensorLeak, relativeError } from "../../_helpers.ts";
import { NATIVE_MISSING, nativeTest, onCpu, randomData, Rng, useNative } from "./_native.ts";

type Pad = "same" | "valid" | number;

interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  outChannels: number;
  stride: [number, number];
  pad: Pad;
  dilation: number;
  data: { x: Float32Array; w: Float32Array; dy: Float32Array | null };
}

function convCases(count: number, seed: number): ConvCase[] {
  const rng = new Rng(seed);
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const pad: Pad = i % 3 === 0 ? "same" : i % 3 === 1 ? "valid" : rng.int(3);
    const kh = [1, 2, 3, 4, 5, 7][rng.int(6)]!;
    // Non-square filters only with "same"/"valid": with numeric padding tfjs 4.22 computes the
    // output width from the filter height (a tfjs bug; its wasm conv then writes out of bounds).
    const kw = i % 5 === 0 && typeof pad === "string" ? 1 + rng.int(4) : kh;
    const dilation = i % 6 === 5 ? 2 : 1;
    const stride: [number, number] = dilation > 1 ? [1, 1] : [1 + rng.int(3), 1 + rng.int(3)];
    const h = (kh - 1) * dilation + 1 + rng.int(9);
    const w = (kw - 1) * dilation + 1 + rng.int(9);
    const x: [number, number, number, number] = [1 + rng.int(3), h, w, 1 + rng.int(9)];
    const outChannels = 1 + rng.int(9);
    cases.push({
      x,
      k: [kh, kw],
      outChannels,
      stride,
      pad,
      dilation,
      data: {
        x: randomData(rng, x),
        w: randomData(rng, [kh, kw, x[3], outChannels]),
        dy: null,
      },
    });
  }
  return cases;
}

/** Forward output, input gradient, filter gradient and a conv2dTranspose of the case. */
function convResults(c: ConvCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.data.x, c.x);
    const w = tf.tensor4d(c.data.w, [c.k[0], c.k[1], c.x[3], c.outChannels]);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, "NHWC", c.dilation);
    const y = f(x, w);
    const out = [y.dataSync() as Float32Array];
    if (c.dilation === 1) {
      // A fixed non-uniform upstream gradient, the same on every backend.
      const dy = tf.add(tf.sin(tf.range(0, y.size).reshape(y.shape)), 0.5);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([
        x,
        w,
      ]);
      const t = tf.conv2dTranspose(dy as tf.Tensor4D, w, c.x, c.stride, c.pad);
      out.push(gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array);
      out.push(t.dataSync() as Float32Array);
    }
    return out;
  });
}

Deno.test("farPadding() satisfies oneDNN's output-size rule or says it cannot", () => {
  for (let size = 1; size < 12; size++) {
    for (let extent = 1; extent <= size + 2; extent++) {
      for (let stride = 1; stride <= 3; stride++) {
        for (let before = 0; before < 3; before++) {
          for (let out = 1; out < 8; out++) {
            const after = farPadding(size, extent, before, stride, out);
            if (after === null) continue;
            assert.equal(
              Math.floor((size - extent + before + after) / stride) + 1,
              out,
              `size ${size} extent ${extent} stride ${stride} before ${before} out ${out}`,
            );
          }
        }
      }
    }
  }
  // TensorFlow's "same" and "valid" sizes always have a far padding.
  for (let size = 1; size < 20; size++) {
    for (let k = 1; k <= Math.min(size, 7); k++) {
      for (let stride = 1; stride <= 3; stride++) {
        const same = Math.ceil(size / stride);
        const total = Math.max((same - 1) * stride + k - size, 0);
        assert.notEqual(farPadding(size, k, Math.floor(total / 2), stride, same), null);
        assert.notEqual(farPadding(size, k, 0, stride, Math.ceil((size - k + 1) / stride)), null);
      }
    }
  }
});

nativeTest(
  "oneDNN Conv2D, input and filter gradients, conv2dTranspose match the cpu backend on 36 random shapes",
  async () => {
    await useNative(true);
    const cases = convCases(36, 11);
    const plansBefore = nativeContext(loadOneDnn()).plans.created;
    const native = cases.map(convResults);
    assert.ok(
      nativeContext(loadOneDnn()).plans.created > plansBefore,
      "the native kernels were not used",
    );
    const cpu = await onCpu(() => cases.map(convResults));
    cases.forEach((c, i) => {
      native[i]!.forEach((got, j) => {
        const err = relativeError(got, cpu[i]![j]!);
        assert.ok(
          err <= 1e-4,
          `${["forward", "dx", "dw", "transpose"][j]} of ${
            JSON.stringify({ ...c, data: undefined })
          }: relative error ${err}`,
        );
      });
    });
  },
);

nativeTest(
  "oneDNN convolutions are right when the output allocation grows the wasm heap",
  async () => {
    await useNative(true);
    const module = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm;
    const heap = () => module.HEAPU8.buffer.byteLength;
    // An output four times the size of the whole heap cannot fit without growing it.
    const pixels = Math.ceil(heap() / 4 / 2);
    const side = Math.ceil(Math.sqrt(pixels));
    const rng = new Rng(5);
    const xData = randomData(rng, [1, side, side, 2]);
    const w = tf.tensor4d([1, -2, 0.5, 3, -1, 2, 0.25, 4], [1, 1, 2, 4]);
    const x = tf.tensor4d(xData, [1, side, side, 2]);
    const before = heap();
    const y = tf.conv2d(x, w, 1, "valid");
    assert.ok(heap() > before, `the heap did not grow (${before} -> ${heap()} bytes)`);
    const got = y.dataSync();
    const weights = [1, -2, 0.5, 3, -1, 2, 0.25, 4];
    let worst = 0;
    for (let p = 0; p < side * side; p += 997) {
      for (let o = 0; o < 4; o++) {
        const ref = xData[2 * p]! * weights[o]! + xData[2 * p + 1]! * weights[4 + o]!;
        worst = Math.max(worst, Math.abs(got[4 * p + o]! - ref));
      }
    }
    tf.dispose([x, w, y]);
    assert.ok(worst < 1e-5, `max abs error ${worst}`);
  },
);

nativeTest("oneDNN convolutions leak no tensors and reuse cached primitives", async () => {
  await useNative(true);
  const c = convCases(1, 3)[0]!;
  convResults(c);
  const plans = nativeContext(loadOneDnn()).plans;
  const created = plans.created;
  await assertNoTensorLeak(() => convResults(c), 3, "native conv forward/backward");
  assert.equal(plans.created, created, "a cached geometry built new primitives");
});

nativeTest("oneDNN kernels hand NCHW data back to the displaced wasm kernels", async () => {
  await useNative(true);
  const x = tf.ones([1, 2, 5, 5]) as tf.Tensor4D;
  const w = tf.ones([3, 3, 2, 4]) as tf.Tensor4D;
  assert.throws(() => tf.conv2d(x, w, 1, "same", "NCHW"), /channelsLast|NCHW|NHWC/);
  tf.dispose([x, w]);
});

if (NATIVE_MISSING === null) {
  Deno.test("native test set-up: oneDNN 2.x loaded", () => {
    assert.equal(loadOneDnn().version.major, 2);
  });
}
