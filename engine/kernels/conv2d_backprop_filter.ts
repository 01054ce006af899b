/**
 * `Conv2DBackpropFilter` for the wasm backend, computed by the backend's own fast Conv2D.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { runWasmKernel } from "./run_wasm_kernel.ts";

/** Attributes of `Conv2DBackpropFilter` (plus the optional `dilations` this kernel accepts). */
interface FilterGradAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
  dilations?: [number, number] | number;
}

function conv2DBackpropFilterWasm(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x!;
  const dy = args.inputs.dy!;
  const attrs = args.attrs as unknown as FilterGradAttrs;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(
      `Cannot compute Conv2DBackpropFilter on wasm: only NHWC data is supported (got ${attrs.dataFormat})`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const [batch, outH, outW, outC] = dy.shape as [number, number, number, number];
  if (
    batch !== info.batchSize || outH !== info.outHeight || outW !== info.outWidth ||
    outC !== info.outChannels
  ) {
    throw new Error(
      `Cannot compute Conv2DBackpropFilter on wasm: dy must have shape ` +
        `[${info.outShape}] for x [${x.shape}] and filter [${attrs.filterShape}] (got [${dy.shape}])`,
    );
  }
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w, inChannels } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Rows/cols the forward convolution reads, starting at -top / -left.
  const extentH = (outH - 1) * sh + (kh - 1) * dh + 1;
  const extentW = (outW - 1) * sw + (kw - 1) * dw + 1;
  const bottom = extentH - top - h;
  const right = extentW - left - w;

  const temps: tf.TensorInfo[] = [];
  try {
    let xc = x;
    if (bottom < 0 || right < 0) {
      xc = runWasmKernel(backend, "Slice", { x }, {
        begin: [0, 0, 0, 0],
        size: [batch, h + Math.min(bottom, 0), w + Math.min(right, 0), inChannels],
      });
      temps.push(xc);
    }
    // Channels become the batch, the batch becomes the reduction channel.
    const xt = runWasmKernel(backend, "Transpose", { x: xc }, { perm: [3, 1, 2, 0] });
    temps.push(xt);
    const dyt = runWasmKernel(backend, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
    temps.push(dyt);
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, Math.max(bottom, 0)],
      [left, Math.max(right, 0)],
      [0, 0],
    ];
    const conv = runWasmKernel(backend, "Conv2D", { x: xt, filter: dyt }, {
      strides: [dh, dw],
      dilations: [sh, sw],
      pad,
      dataFormat: "NHWC",
    });
    temps.push(conv);
    return runWasmKernel(backend, "Transpose", { x: conv }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * Kernel record: `Conv2DBackpropFilter` (weight gradient of a 2-D convolution) on the wasm
 * backend, which tfjs 4.22 does not provide.
 *
 * Inputs `x` `[batch, height, width, inChannels]` and `dy` `[batch, outHeight, outWidth,
 * outChannels]`; output `dW` `[filterHeight, filterWidth, inChannels, outChannels]`.
 *
 * With `x` cropped or zero-padded to exactly the extent the forward convolution reads, the
 * gradient is itself a convolution: `x` transposed to `[inChannels, H', W', batch]` (channels as
 * batch) convolved with `dy` transposed to `[outHeight, outWidth, batch, outChannels]` as the
 * filter, with the forward dilations as strides and the forward strides as dilations, gives
 * `[inChannels, filterHeight, filterWidth, outChannels]`, which is transposed into place. All
 * work runs in the backend's own Transpose and (XNNPACK) Conv2D kernels.
 *
 * Supports strides, dilations (an optional extra attribute `dilations`; tfjs's own gradient
 * path always uses 1), and `same`, `valid`, numeric and explicit padding. NHWC only; other
 * layouts throw.
 */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
};
