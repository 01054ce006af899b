/**
 * oneDNN convolutions for the wasm backend: `Conv2D`, `Conv2DBackpropInput` (also the forward
 * pass of `conv2dTranspose`) and `Conv2DBackpropFilter`, computed in place on the wasm heap.
 *
 * Layout policy: activations stay NHWC (TensorFlow's layout, no copies); the weight layout is
 * left to oneDNN (`any`), with a reorder from/to TensorFlow's HWIO on every call. Fixing the
 * weights to HWIO makes oneDNN fall back to im2col + GEMM (2-4x slower); choosing the weight
 * layout lets it use its direct AVX2/AVX-512 kernels.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { dims, type OneDnn, Plan } from "./onednn.ts";
import { ALG, ARG, PROP, QUERY, SIZE, TAG } from "./onednn_ffi.ts";
import { heapAddresses } from "./wasm_heap.ts";

/** Everything that determines a 2-D convolution primitive (NHWC data, HWIO weights). */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/**
 * The far-side padding oneDNN needs so that `(in - extent + before + after) / stride + 1 == out`
 * with integer division, or `null` when no padding does.
 */
export function farPadding(
  size: number,
  extent: number,
  before: number,
  stride: number,
  out: number,
): number | null {
  const exact = (out - 1) * stride + extent - size - before;
  const fits = (after: number) => Math.floor((size - extent + before + after) / stride) + 1 === out;
  if (exact >= 0 && fits(exact)) return exact;
  if (fits(0)) return 0;
  return fits(exact) && exact + stride > 0 ? exact : null;
}

/**
 * The oneDNN geometry of a tfjs convolution, or `null` when it cannot be expressed (channels
 * first, empty tensors, padding oneDNN rejects).
 */
export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry | null {
  if (info.dataFormat !== "channelsLast") return null;
  const extentH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const extentW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const padBottom = farPadding(
    info.inHeight,
    extentH,
    info.padInfo.top,
    info.strideHeight,
    info.outHeight,
  );
  const padRight = farPadding(
    info.inWidth,
    extentW,
    info.padInfo.left,
    info.strideWidth,
    info.outWidth,
  );
  const sizes = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  ];
  if (padBottom === null || padRight === null || sizes.some((s) => !(s > 0))) return null;
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom,
    padRight,
  };
}

function keyOf(kind: string, g: ConvGeometry): string {
  return `${kind}:${g.batch},${g.inHeight},${g.inWidth},${g.inChannels},${g.outHeight},` +
    `${g.outWidth},${g.outChannels},${g.filterHeight},${g.filterWidth},${g.strideHeight},` +
    `${g.strideWidth},${g.dilationHeight},${g.dilationWidth},${g.padTop},${g.padLeft},` +
    `${g.padBottom},${g.padRight}`;
}

interface ConvDescs {
  src: Uint8Array;
  dst: Uint8Array;
  weightsHwio: Uint8Array;
  weightsAny: Uint8Array;
  strides: BigInt64Array;
  dilates: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

function descs(dnn: OneDnn, g: ConvGeometry): ConvDescs {
  const weightShape = [g.outChannels, g.inChannels, g.filterHeight, g.filterWidth];
  return {
    src: dnn.memoryDesc([g.batch, g.inChannels, g.inHeight, g.inWidth], TAG.nhwc),
    dst: dnn.memoryDesc([g.batch, g.outChannels, g.outHeight, g.outWidth], TAG.nhwc),
    weightsHwio: dnn.memoryDesc(weightShape, TAG.hwio),
    weightsAny: dnn.memoryDesc(weightShape, TAG.any),
    strides: dims([g.strideHeight, g.strideWidth]),
    dilates: dims([g.dilationHeight - 1, g.dilationWidth - 1]),
    padL: dims([g.padTop, g.padLeft]),
    padR: dims([g.padBottom, g.padRight]),
  };
}

function forwardDesc(dnn: OneDnn, d: ConvDescs, g: ConvGeometry): Uint8Array {
  const op = new Uint8Array(SIZE.convolutionDesc);
  dnn.check(
    dnn.lib.dnnl_dilated_convolution_forward_desc_init(
      op,
      PROP.forwardTraining,
      ALG.convolutionDirect,
      d.src,
      d.weightsAny,
      null,
      d.dst,
      d.strides,
      d.dilates,
      d.padL,
      d.padR,
    ),
    "describe a oneDNN convolution",
    keyOf("conv", g),
  );
  return op;
}

/**
 * Builds the plan of one convolution direction. External memories, in order:
 * forward `x, filter, y`; backward data `dy, filter, dx`; backward weights `x, dy, dw`.
 */
export function convPlan(
  dnn: OneDnn,
  kind: "forward" | "backwardData" | "backwardWeights",
  g: ConvGeometry,
): Plan {
  const d = descs(dnn, g);
  const what = `convolution ${kind} ${keyOf("", g)}`;
  const forwardPd = dnn.primitiveDesc(forwardDesc(dnn, d, g), null, what);
  let pd = forwardPd;
  try {
    if (kind === "backwardData") {
      const op = new Uint8Array(SIZE.convolutionDesc);
      dnn.check(
        dnn.lib.dnnl_dilated_convolution_backward_data_desc_init(
          op,
          ALG.convolutionDirect,
          d.src,
          d.weightsAny,
          d.dst,
          d.strides,
          d.dilates,
          d.padL,
          d.padR,
        ),
        "describe a oneDNN convolution",
        what,
      );
      pd = dnn.primitiveDesc(op, forwardPd, what);
    } else if (kind === "backwardWeights") {
      const op = new Uint8Array(SIZE.convolutionDesc);
      dnn.check(
        dnn.lib.dnnl_dilated_convolution_backward_weights_desc_init(
          op,
          ALG.convolutionDirect,
          d.src,
          d.weightsAny,
          null,
          d.dst,
          d.strides,
          d.dilates,
          d.padL,
          d.padR,
        ),
        "describe a oneDNN convolution",
        what,
      );
      pd = dnn.primitiveDesc(op, forwardPd, what);
    }
    const chosen = dnn.queryMd(
      pd,
      kind === "backwardWeights" ? QUERY.diffWeightsMd : QUERY.weightsMd,
      "convolution weights",
    );
    const same = dnn.mdEqual(chosen, d.weightsHwio);
    const plan = new Plan(dnn);
    if (kind === "forward" || kind === "backwardData") {
      const first = plan.external(kind === "forward" ? d.src : d.dst);
      const user = plan.external(d.weightsHwio);
      const last = plan.external(kind === "forward" ? d.dst : d.src);
      let weights = user;
      if (!same) {
        weights = plan.internal(chosen);
        plan.reorder(d.weightsHwio, chosen, [[ARG.src, user], [ARG.dst, weights]]);
      }
      plan.step(
        pd,
        what,
        kind === "forward"
          ? [[ARG.src, first], [ARG.weights, weights], [ARG.dst, last]]
          : [[ARG.diffDst, first], [ARG.weights, weights], [ARG.diffSrc, last]],
      );
    } else {
      const x = plan.external(d.src);
      const dy = plan.external(d.dst);
      const user = plan.external(d.weightsHwio);
      const dw = same ? user : plan.internal(chosen);
      plan.step(pd, what, [[ARG.src, x], [ARG.diffDst, dy], [
        ARG.diffWeights,
        dw,
      ]]);
      if (!same) plan.reorder(chosen, d.weightsHwio, [[ARG.src, dw], [ARG.dst, user]]);
    }
    return plan;
  } finally {
    if (pd !== forwardPd) dnn.lib.dnnl_primitive_desc_destroy(pd);
    dnn.lib.dnnl_primitive_desc_destroy(forwardPd);
  }
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

function allFloat(...infos: tf.TensorInfo[]): boolean {
  return infos.every((t) => t.dtype === "float32");
}

/** Geometry from kernel attributes; dilations default to 1 (tfjs's gradient ops pass none). */
function info(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC"),
  );
}

/**
 * Kernel records for `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` on the wasm
 * backend, backed by oneDNN. Float32 NHWC only; other cases go to the displaced kernels.
 * @param ctx The native context.
 */
export function convKernelConfigs(ctx: NativeContext): tf.KernelConfig[] {
  const { dnn, plans } = ctx;

  function conv2d(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const g = allFloat(x, filter) ? convGeometry(info(x.shape, filter.shape, attrs)) : null;
    if (g === null) return ctx.fallback("Conv2D", args);
    const plan = plans.get(keyOf("conv", g), () => convPlan(dnn, "forward", g), "parallel");
    const out = backend.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], "float32");
    plan.run(heapAddresses(backend, [x, filter, out]));
    return out;
  }

  function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const g = allFloat(dy, filter) && attrs.inputShape
      ? convGeometry(info(attrs.inputShape, filter.shape, attrs))
      : null;
    if (
      g === null ||
      !tf.util.arraysEqual(dy.shape, [g.batch, g.outHeight, g.outWidth, g.outChannels])
    ) {
      return ctx.fallback("Conv2DBackpropInput", args);
    }
    const plan = plans.get(
      keyOf("bwd-data", g),
      () => convPlan(dnn, "backwardData", g),
      "parallel",
    );
    const out = backend.makeOutput([g.batch, g.inHeight, g.inWidth, g.inChannels], "float32");
    plan.run(heapAddresses(backend, [dy, filter, out]));
    return out;
  }

  function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const g = allFloat(x, dy) && attrs.filterShape
      ? convGeometry(info(x.shape, attrs.filterShape, attrs))
      : null;
    if (
      g === null ||
      !tf.util.arraysEqual(dy.shape, [g.batch, g.outHeight, g.outWidth, g.outChannels])
    ) {
      return ctx.fallback("Conv2DBackpropFilter", args);
    }
    const plan = plans.get(
      keyOf("bwd-weights", g),
      () => convPlan(dnn, "backwardWeights", g),
      "parallel",
    );
    const out = backend.makeOutput(
      [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
      "float32",
    );
    plan.run(heapAddresses(backend, [x, dy, out]));
    return out;
  }

  return [
    { kernelName: "Conv2D", backendName: "wasm", kernelFunc: conv2d as unknown as tf.KernelFunc },
    {
      kernelName: "Conv2DBackpropInput",
      backendName: "wasm",
      kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
    },
    {
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
    },
  ];
}
