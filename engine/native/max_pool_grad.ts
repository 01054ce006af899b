/**
 * `MaxPoolGrad` as oneDNN max pooling: tfjs hands the gradient kernel the forward input but no
 * argmax, so the plan re-runs the (cheap) forward pooling to get oneDNN's workspace, then the
 * backward pooling scatters `dy` to the window maxima.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, NativeContext } from "./context.ts";
import { farPadding } from "./conv2d.ts";
import { dims, type OneDnn, Plan } from "./onednn.ts";
import { ALG, ARG, PROP, QUERY, SIZE, TAG } from "./onednn_ffi.ts";
import { heapAddresses } from "./wasm_heap.ts";

/** Geometry of a 2-D max pool on NHWC data. */
interface PoolGeometry {
  n: number;
  c: number;
  ih: number;
  iw: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
}

/** Plan: forward pooling (to internal dst + workspace), then backward. External: `x, dy, dx`. */
function poolGradPlan(dnn: OneDnn, g: PoolGeometry, what: string): Plan {
  const src = dnn.memoryDesc([g.n, g.c, g.ih, g.iw], TAG.nhwc);
  const dst = dnn.memoryDesc([g.n, g.c, g.oh, g.ow], TAG.nhwc);
  const strides = dims([g.sh, g.sw]);
  const kernel = dims([g.kh, g.kw]);
  const padL = dims([g.pt, g.pl]);
  const padR = dims([g.pb, g.pr]);
  const fwd = new Uint8Array(SIZE.poolingDesc);
  dnn.check(
    dnn.lib.dnnl_pooling_forward_desc_init(
      fwd,
      PROP.forwardTraining,
      ALG.poolingMax,
      src,
      dst,
      strides,
      kernel,
      padL,
      padR,
    ),
    "describe a oneDNN max pooling",
    what,
  );
  const fwdPd = dnn.primitiveDesc(fwd, null, what);
  let bwdPd: Deno.PointerObject | null = null;
  try {
    const bwd = new Uint8Array(SIZE.poolingDesc);
    dnn.check(
      dnn.lib.dnnl_pooling_backward_desc_init(
        bwd,
        ALG.poolingMax,
        src,
        dst,
        strides,
        kernel,
        padL,
        padR,
      ),
      "describe a oneDNN max pooling",
      what,
    );
    bwdPd = dnn.primitiveDesc(bwd, fwdPd, what);
    const workspaceMd = dnn.queryMd(fwdPd, QUERY.workspaceMd, "pooling workspace");
    const plan = new Plan(dnn);
    const x = plan.external(src);
    const dy = plan.external(dst);
    const dx = plan.external(src);
    const y = plan.internal(dst);
    const workspace = plan.internal(workspaceMd);
    plan.step(fwdPd, what, [[ARG.src, x], [ARG.dst, y], [
      ARG.workspace,
      workspace,
    ]]);
    plan.step(bwdPd, what, [[ARG.diffDst, dy], [ARG.workspace, workspace], [
      ARG.diffSrc,
      dx,
    ]]);
    return plan;
  } finally {
    if (bwdPd !== null) dnn.lib.dnnl_primitive_desc_destroy(bwdPd);
    dnn.lib.dnnl_primitive_desc_destroy(fwdPd);
  }
}

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * Kernel record for `MaxPoolGrad` on the wasm backend (float32 NHWC; other cases go to the
 * displaced kernel). Each `dy` value goes to the first maximum of its window, as in tfjs.
 * @param ctx The native context.
 */
export function maxPoolGradKernelConfig(ctx: NativeContext): tf.KernelConfig {
  const { dnn, plans } = ctx;
  function maxPoolGrad(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const attrs = args.attrs as unknown as PoolAttrs;
    if (dy.dtype !== "float32" || input.dtype !== "float32" || input.shape.length !== 4) {
      return ctx.fallback("MaxPoolGrad", args);
    }
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const pb = farPadding(
      info.inHeight,
      info.filterHeight,
      info.padInfo.top,
      info.strideHeight,
      info.outHeight,
    );
    const pr = farPadding(
      info.inWidth,
      info.filterWidth,
      info.padInfo.left,
      info.strideWidth,
      info.outWidth,
    );
    if (
      pb === null || pr === null || !tf.util.arraysEqual(dy.shape, info.outShape) ||
      info.outShape.some((d) => d === 0) || input.shape.some((d) => d === 0) ||
      // oneDNN requires each padding to be smaller than the window.
      Math.max(info.padInfo.top, pb) >= info.filterHeight ||
      Math.max(info.padInfo.left, pr) >= info.filterWidth
    ) {
      return ctx.fallback("MaxPoolGrad", args);
    }
    const g: PoolGeometry = {
      n: info.batchSize,
      c: info.inChannels,
      ih: info.inHeight,
      iw: info.inWidth,
      oh: info.outHeight,
      ow: info.outWidth,
      kh: info.filterHeight,
      kw: info.filterWidth,
      sh: info.strideHeight,
      sw: info.strideWidth,
      pt: info.padInfo.top,
      pl: info.padInfo.left,
      pb,
      pr,
    };
    const key = `maxpool-bwd:${Object.values(g).join(",")}`;
    const plan = plans.get(key, () => poolGradPlan(dnn, g, key), "serial");
    const out = backend.makeOutput(input.shape.slice(), "float32");
    plan.run(heapAddresses(backend, [input, dy, out]));
    return out;
  }
  return {
    kernelName: "MaxPoolGrad",
    backendName: "wasm",
    kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
  };
}
