/**
 * Fast `Conv2DBackpropInput` for the wasm backend: stride phases, each one XNNPACK Conv2D.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { runWasmKernel } from "./run_wasm_kernel.ts";

/** Attributes of `Conv2DBackpropInput`. */
interface InputGradAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

/** One stride phase along one spatial axis. */
interface Phase {
  /** First output (dx) index of the phase. */
  first: number;
  /** Number of output indices in the phase (every `stride`-th from `first`). */
  count: number;
  /** Filter taps of the phase: `tap0`, `tap0 + stride`, ... (`taps` of them). */
  tap0: number;
  taps: number;
  /** dy range read, `[begin, end)`, and the zero padding before/after it. */
  begin: number;
  end: number;
  padBefore: number;
  padAfter: number;
}

/**
 * Splits one spatial axis of the transposed convolution into `stride` phases.
 * Output index `y` receives `dy[i] * W[a]` for every `i * stride + a - pad = y`; the phase of
 * `y` is `ph = (y + pad) mod stride`, and its taps are `a = ph, ph + stride, ...`. Written as a
 * stride-1 correlation with the reversed taps, row `r` of the phase reads
 * `dy[m0 + r - taps + 1 .. m0 + r]` with `m0 = (first + pad - ph) / stride`.
 */
function axisPhases(
  stride: number,
  kernel: number,
  pad: number,
  inSize: number,
  outSize: number,
): Phase[] {
  const phases: Phase[] = [];
  for (let ph = 0; ph < stride; ph++) {
    const taps = ph < kernel ? Math.ceil((kernel - ph) / stride) : 0;
    const first = (((ph - pad) % stride) + stride) % stride;
    const count = first < inSize ? Math.ceil((inSize - first) / stride) : 0;
    const m0 = (first + pad - ph) / stride;
    const lo = m0 - taps + 1;
    const hi = m0 + count; // exclusive
    const begin = Math.max(0, lo);
    const end = Math.min(outSize, hi);
    phases.push({
      first,
      count,
      tap0: ph,
      taps: end > begin ? taps : 0,
      begin,
      end,
      padBefore: begin - lo,
      padAfter: hi - end,
    });
  }
  return phases;
}

/** Builds the phase filter `[tapsH, tapsW, outChannels, inChannels]`: reversed taps, swapped channels. */
function phaseFilter(
  backend: BackendWasm,
  filter: tf.TensorInfo,
  rows: Phase,
  cols: Phase,
  strideH: number,
  strideW: number,
): tf.TensorInfo {
  const [, kw, inC, outC] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([rows.taps, cols.taps, outC, inC], "float32");
  // Views are taken after the allocation, which may have grown the heap.
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  let o = 0;
  for (let u = 0; u < rows.taps; u++) {
    const a = rows.tap0 + (rows.taps - 1 - u) * strideH;
    for (let v = 0; v < cols.taps; v++) {
      const b = cols.tap0 + (cols.taps - 1 - v) * strideW;
      const base = (a * kw + b) * inC * outC;
      for (let co = 0; co < outC; co++) {
        for (let ci = 0; ci < inC; ci++) dst[o++] = src[base + ci * outC + co]!;
      }
    }
  }
  return out;
}

function conv2DBackpropInputWasm(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const dy = args.inputs.dy!;
  const filter = args.inputs.filter!;
  const attrs = args.attrs as unknown as InputGradAttrs;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(
      `Cannot compute Conv2DBackpropInput on wasm: only NHWC data is supported (got ${attrs.dataFormat})`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
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
      `Cannot compute Conv2DBackpropInput on wasm: dy must have shape ` +
        `[${info.outShape}] for input [${attrs.inputShape}] and filter [${filter.shape}] ` +
        `(got [${dy.shape}])`,
    );
  }
  const { strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w, inChannels: inC } = info;
  const rowPhases = axisPhases(sh, info.filterHeight, info.padInfo.top, h, outH);
  const colPhases = axisPhases(sw, info.filterWidth, info.padInfo.left, w, outW);

  const results: { rows: Phase; cols: Phase; out: tf.TensorInfo }[] = [];
  let complete = true;
  try {
    for (const rows of rowPhases) {
      for (const cols of colPhases) {
        if (rows.count === 0 || cols.count === 0) continue;
        if (rows.taps === 0 || cols.taps === 0) {
          complete = false;
          continue;
        }
        const temps: tf.TensorInfo[] = [];
        try {
          let src = dy;
          if (rows.begin > 0 || rows.end < outH || cols.begin > 0 || cols.end < outW) {
            src = runWasmKernel(backend, "Slice", { x: dy }, {
              begin: [0, rows.begin, cols.begin, 0],
              size: [batch, rows.end - rows.begin, cols.end - cols.begin, outC],
            });
            temps.push(src);
          }
          const w2 = phaseFilter(backend, filter, rows, cols, sh, sw);
          temps.push(w2);
          const pad: tf.backend_util.ExplicitPadding = [
            [0, 0],
            [rows.padBefore, rows.padAfter],
            [cols.padBefore, cols.padAfter],
            [0, 0],
          ];
          const out = runWasmKernel(backend, "Conv2D", { x: src, filter: w2 }, {
            strides: [1, 1],
            dilations: [1, 1],
            pad,
            dataFormat: "NHWC",
          });
          results.push({ rows, cols, out });
        } finally {
          for (const t of temps) backend.disposeData(t.dataId);
        }
      }
    }
    // Stride 1: the single phase already is dx.
    if (sh === 1 && sw === 1 && results.length === 1) return results.pop()!.out;

    const dx = backend.makeOutput([batch, h, w, inC], "float32");
    const dst = backend.typedArrayFromHeap(dx) as Float32Array;
    if (!complete) dst.fill(0);
    for (const { rows, cols, out } of results) {
      const src = backend.typedArrayFromHeap(out) as Float32Array;
      let s = 0;
      for (let n = 0; n < batch; n++) {
        for (let r = 0; r < rows.count; r++) {
          const rowBase = (n * h + rows.first + r * sh) * w;
          for (let c = 0; c < cols.count; c++) {
            let d = (rowBase + cols.first + c * sw) * inC;
            for (let k = 0; k < inC; k++) dst[d++] = src[s++]!;
          }
        }
      }
    }
    return dx;
  } finally {
    for (const { out } of results) backend.disposeData(out.dataId);
  }
}

/**
 * Kernel record: a fast `Conv2DBackpropInput` (input gradient of a 2-D convolution, and the
 * forward pass of every `conv2dTranspose`) for the wasm backend, replacing the stock plain-loop
 * kernel.
 *
 * Inputs `dy` `[batch, outHeight, outWidth, outChannels]` and `filter` `[filterHeight,
 * filterWidth, inChannels, outChannels]`; output `dx` `[batch, height, width, inChannels]`
 * (the `inputShape` attribute).
 *
 * The output rows and columns are split into `stride` phases each. A phase is a stride-1
 * correlation of a shifted, zero-padded `dy` with every `stride`-th filter tap, reversed and
 * with in/out channels swapped; each phase runs as one backend (XNNPACK) Conv2D, and the phases
 * are interleaved into `dx`. With stride 1 there is a single phase and no interleaving.
 * Supports `same`, `valid`, numeric and explicit padding. NHWC only; other layouts throw.
 */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: conv2DBackpropInputWasm as unknown as tf.KernelFunc,
};
