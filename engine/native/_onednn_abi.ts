/**
 * The ABI self-check run when oneDNN loads: the struct layouts and enum values these bindings
 * assume, verified against what the loaded library writes, and one tiny execution.
 * @module
 */
import {
  ALG,
  ARG,
  F32,
  FORMAT_KIND_BLOCKED,
  OFFSET,
  PRIMITIVE_KIND,
  PROP,
  QUERY,
  SIZE,
  TAG,
} from "./onednn_ffi.ts";
import { Plan } from "./_onednn_plan.ts";
import { dims, type OneDnnRuntime } from "./_onednn_runtime.ts";

/**
 * Checks the struct layouts and enum values the bindings assume against the loaded library.
 * Every check reads back what the library itself wrote.
 */
export function checkAbi(dnn: OneDnnRuntime): void {
  const SENTINEL = 0xa5;
  const padded = (size: number) => new Uint8Array(size + 64).fill(SENTINEL);
  const intact = (buffer: Uint8Array, size: number, what: string) => {
    for (let i = size; i < buffer.length; i++) {
      if (buffer[i] !== SENTINEL) {
        throw new Error(
          `the library wrote past the ${size}-byte ${what} these bindings assume (got a write at byte ${i})`,
        );
      }
    }
  };
  const expectEq = (actual: unknown, expected: unknown, what: string) => {
    if (actual !== expected) {
      throw new Error(
        `${what} is ${String(actual)}, expected ${String(expected)} (got ${String(actual)})`,
      );
    }
  };

  // dnnl_memory_desc_t: NHWC data [n, c, h, w] = [2, 3, 4, 5] and HWIO weights.
  const md = padded(SIZE.memoryDesc);
  dnn.check(
    dnn.lib.dnnl_memory_desc_init_by_tag(md, 4, dims([2, 3, 4, 5]), F32, TAG.nhwc),
    "check the oneDNN ABI",
    "memory descriptor nhwc",
  );
  intact(md, SIZE.memoryDesc, "dnnl_memory_desc_t");
  const v = new DataView(md.buffer);
  expectEq(v.getInt32(OFFSET.md.ndims, true), 4, "memory_desc.ndims");
  expectEq(Number(v.getBigInt64(OFFSET.md.dims + 8, true)), 3, "memory_desc.dims[1]");
  expectEq(v.getInt32(OFFSET.md.dataType, true), F32, "memory_desc.data_type (f32)");
  expectEq(
    v.getInt32(OFFSET.md.formatKind, true),
    FORMAT_KIND_BLOCKED,
    "memory_desc.format_kind",
  );
  const strides = [0, 1, 2, 3].map((i) => Number(v.getBigInt64(OFFSET.md.strides + 8 * i, true)));
  expectEq(strides.join(","), "60,1,15,3", "strides of the nhwc tag");
  expectEq(dnn.mdSize(md.subarray(0, SIZE.memoryDesc)), 2 * 3 * 4 * 5 * 4, "memory size");
  const wmd = dnn.memoryDesc([6, 3, 2, 2], TAG.hwio);
  const wv = new DataView(wmd.buffer);
  const wStrides = [0, 1, 2, 3].map((i) => Number(wv.getBigInt64(OFFSET.md.strides + 8 * i, true)));
  expectEq(wStrides.join(","), "1,6,36,18", "strides of the hwio tag");

  // dnnl_convolution_desc_t: fields written where expected, nothing past its end, and the
  // copy kept inside the primitive descriptor identical to ours.
  const src = dnn.memoryDesc([1, 3, 4, 4], TAG.nhwc);
  const dst = dnn.memoryDesc([1, 6, 3, 3], TAG.nhwc);
  const conv = padded(SIZE.convolutionDesc);
  dnn.check(
    dnn.lib.dnnl_dilated_convolution_forward_desc_init(
      conv,
      PROP.forwardTraining,
      ALG.convolutionDirect,
      src,
      wmd,
      null,
      dst,
      dims([1, 1]),
      dims([0, 0]),
      dims([0, 0]),
      dims([0, 0]),
    ),
    "check the oneDNN ABI",
    "convolution descriptor",
  );
  intact(conv, SIZE.convolutionDesc, "dnnl_convolution_desc_t");
  const cv = new DataView(conv.buffer);
  expectEq(cv.getInt32(0, true), PRIMITIVE_KIND.convolution, "convolution_desc.primitive_kind");
  expectEq(cv.getInt32(4, true), PROP.forwardTraining, "convolution_desc.prop_kind");
  expectEq(cv.getInt32(8, true), ALG.convolutionDirect, "convolution_desc.alg_kind");
  expectBytes(conv, OFFSET.conv.src, src, "convolution_desc.src_desc");
  expectBytes(conv, OFFSET.conv.weights, wmd, "convolution_desc.weights_desc");
  expectBytes(conv, OFFSET.conv.dst, dst, "convolution_desc.dst_desc");
  expectEq(Number(cv.getBigInt64(OFFSET.conv.strides, true)), 1, "convolution_desc.strides[0]");
  const convBody = conv.subarray(0, SIZE.convolutionDesc);
  const pd = dnn.primitiveDesc(convBody, null, "convolution (ABI check)");
  try {
    const kept = new BigUint64Array(1);
    dnn.check(
      dnn.lib.dnnl_primitive_desc_query(pd, QUERY.convolutionD, 0, kept),
      "check the oneDNN ABI",
      "query convolution_d",
    );
    const keptPointer = Deno.UnsafePointer.create(kept[0]!);
    if (keptPointer === null) throw new Error("query convolution_d returned NULL (got 0)");
    const copy = new Uint8Array(SIZE.convolutionDesc);
    Deno.UnsafePointerView.copyInto(keptPointer, copy);
    expectBytes(copy, 0, convBody, "the convolution descriptor kept by the library");
    expectBytes(
      dnn.queryMd(pd, QUERY.srcMd, "src"),
      0,
      src,
      "query src_md of the convolution",
    );
    expectBytes(
      dnn.queryMd(pd, QUERY.dstMd, "dst"),
      0,
      dst,
      "query dst_md of the convolution",
    );
  } finally {
    dnn.lib.dnnl_primitive_desc_destroy(pd);
  }

  // dnnl_eltwise_desc_t, dnnl_pooling_desc_t, dnnl_batch_normalization_desc_t.
  const data = dnn.memoryDesc([2, 3, 4, 4], TAG.nhwc);
  const elt = padded(SIZE.eltwiseDesc);
  dnn.check(
    dnn.lib.dnnl_eltwise_forward_desc_init(
      elt,
      PROP.forwardTraining,
      ALG.eltwiseRelu,
      data,
      0.25,
      0,
    ),
    "check the oneDNN ABI",
    "eltwise descriptor",
  );
  intact(elt, SIZE.eltwiseDesc, "dnnl_eltwise_desc_t");
  const ev = new DataView(elt.buffer);
  expectEq(ev.getInt32(0, true), PRIMITIVE_KIND.eltwise, "eltwise_desc.primitive_kind");
  expectBytes(elt, OFFSET.eltwise.data, data, "eltwise_desc.data_desc");
  expectEq(ev.getFloat32(OFFSET.eltwise.alpha, true), 0.25, "eltwise_desc.alpha");

  const pooled = dnn.memoryDesc([2, 3, 2, 2], TAG.nhwc);
  const pool = padded(SIZE.poolingDesc);
  dnn.check(
    dnn.lib.dnnl_pooling_forward_desc_init(
      pool,
      PROP.forwardTraining,
      ALG.poolingMax,
      data,
      pooled,
      dims([2, 2]),
      dims([2, 2]),
      dims([0, 0]),
      dims([0, 0]),
    ),
    "check the oneDNN ABI",
    "pooling descriptor",
  );
  intact(pool, SIZE.poolingDesc, "dnnl_pooling_desc_t");
  expectEq(
    new DataView(pool.buffer).getInt32(0, true),
    PRIMITIVE_KIND.pooling,
    "pooling_desc.primitive_kind",
  );
  expectBytes(pool, OFFSET.pooling.src, data, "pooling_desc.src_desc");
  expectBytes(pool, OFFSET.pooling.dst, pooled, "pooling_desc.dst_desc");

  const bn = padded(SIZE.batchNormDesc);
  dnn.check(
    dnn.lib.dnnl_batch_normalization_forward_desc_init(bn, PROP.forwardTraining, data, 0.5, 24),
    "check the oneDNN ABI",
    "batch normalization descriptor",
  );
  intact(bn, SIZE.batchNormDesc, "dnnl_batch_normalization_desc_t");
  const bv = new DataView(bn.buffer);
  expectEq(
    bv.getInt32(0, true),
    PRIMITIVE_KIND.batchNormalization,
    "batch_normalization_desc.primitive_kind",
  );
  expectBytes(bn, OFFSET.batchNorm.data, data, "batch_normalization_desc.data_desc");
  expectEq(
    bv.getFloat32(OFFSET.batchNorm.epsilon, true),
    0.5,
    "batch_normalization_desc.epsilon",
  );
  expectEq(bv.getUint32(OFFSET.batchNorm.flags, true), 24, "batch_normalization_desc.flags");

  const ones = dnn.memoryDesc([1, 16], TAG.ab);
  const columns = dnn.memoryDesc([16, 3], TAG.ab);
  const sums = dnn.memoryDesc([1, 3], TAG.ab);
  const mm = padded(SIZE.matmulDesc);
  dnn.check(
    dnn.lib.dnnl_matmul_desc_init(mm, ones, columns, null, sums),
    "check the oneDNN ABI",
    "matmul descriptor",
  );
  intact(mm, SIZE.matmulDesc, "dnnl_matmul_desc_t");
  expectEq(
    new DataView(mm.buffer).getInt32(0, true),
    PRIMITIVE_KIND.matmul,
    "matmul_desc.primitive_kind",
  );
  expectBytes(mm, OFFSET.matmul.src, ones, "matmul_desc.src_desc");
  expectBytes(mm, OFFSET.matmul.weights, columns, "matmul_desc.weights_desc");
  expectBytes(mm, OFFSET.matmul.dst, sums, "matmul_desc.dst_desc");

  const bias = dnn.memoryDesc([1, 3, 1, 1], TAG.nhwc);
  const bin = padded(SIZE.binaryDesc);
  dnn.check(
    dnn.lib.dnnl_binary_desc_init(bin, ALG.binaryAdd, data, bias, data),
    "check the oneDNN ABI",
    "binary descriptor",
  );
  intact(bin, SIZE.binaryDesc, "dnnl_binary_desc_t");
  const bnv = new DataView(bin.buffer);
  expectEq(bnv.getInt32(0, true), PRIMITIVE_KIND.binary, "binary_desc.primitive_kind");
  expectEq(bnv.getInt32(OFFSET.binary.alg, true), ALG.binaryAdd, "binary_desc.alg_kind");
  expectBytes(bin, OFFSET.binary.src0, data, "binary_desc.src_desc[0]");
  expectBytes(bin, OFFSET.binary.src1, bias, "binary_desc.src_desc[1]");
  expectBytes(bin, OFFSET.binary.dst, data, "binary_desc.dst_desc");

  // dnnl_exec_arg_t and argument ids: a leaky ReLU on 4 numbers must give the known answer.
  checkExecution(dnn);
}

function expectBytes(buffer: Uint8Array, offset: number, expected: Uint8Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (buffer[offset + i] !== expected[i]) {
      throw new Error(
        `${what} differs from what these bindings expect at byte ${i} (got ${
          buffer[offset + i]
        }, expected ${expected[i]})`,
      );
    }
  }
}

function checkExecution(dnn: OneDnnRuntime): void {
  const md = dnn.memoryDesc([4], TAG.a);
  const op = new Uint8Array(SIZE.eltwiseDesc);
  dnn.check(
    dnn.lib.dnnl_eltwise_forward_desc_init(
      op,
      PROP.forwardInference,
      ALG.eltwiseRelu,
      md,
      0.5,
      0,
    ),
    "check the oneDNN ABI",
    "eltwise execution",
  );
  const pd = dnn.primitiveDesc(op, null, "eltwise (ABI check)");
  const plan = new Plan(dnn);
  try {
    const src = plan.external(md);
    const dst = plan.external(md);
    plan.step(pd, "eltwise", [[ARG.src, src], [ARG.dst, dst]]);
    const input = new Float32Array([-1, 2, -3, 4]);
    const output = new Float32Array(4);
    plan.run([
      Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(input))),
      Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(output))),
    ]);
    const got = Array.from(output).join(",");
    if (got !== "-0.5,2,-1.5,4") {
      throw new Error(
        `a leaky ReLU (alpha 0.5) of [-1, 2, -3, 4] gave [${got}], expected [-0.5, 2, -1.5, 4] ` +
          `(got [${got}])`,
      );
    }
  } finally {
    plan.destroy();
    dnn.lib.dnnl_primitive_desc_destroy(pd);
  }
}
