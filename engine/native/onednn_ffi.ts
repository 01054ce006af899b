/**
 * Deno FFI bindings to the C API of oneDNN 2.x (`libdnnl.so.2`), with the ABI facts this
 * project relies on (struct sizes, field offsets, enum values) written down once and checked
 * against the loaded library by {@linkcode checkOneDnnAbi} before any primitive runs.
 *
 * Values were read from the oneDNN 2.6.3 headers (`dnnl_types.h`, Debian `libdnnl-dev`).
 * oneDNN 3.x removed the `*_desc_init` functions and made memory descriptors opaque, so only
 * major version 2 is accepted.
 * @module
 */

/** Library file names tried, in order. */
export const ONEDNN_LIBRARY_NAMES: readonly string[] = ["libdnnl.so.2"];
/** The OpenMP runtime oneDNN is linked against on Debian/Ubuntu (`ldd libdnnl.so.2`). */
export const OPENMP_LIBRARY_NAME = "libgomp.so.1";
/** The only oneDNN major version whose ABI these bindings describe. */
export const ONEDNN_MAJOR = 2;

/** Sizes in bytes of the C structures passed by pointer. */
export const SIZE = {
  memoryDesc: 696,
  convolutionDesc: 5976,
  eltwiseDesc: 1416,
  poolingDesc: 3192,
  batchNormDesc: 3496,
  matmulDesc: 2800,
  binaryDesc: 2096,
  execArg: 16,
  dims: 12 * 8,
} as const;

/** Byte offsets of fields the bindings read or check. */
export const OFFSET = {
  md: { ndims: 0, dims: 8, dataType: 104, paddedDims: 112, formatKind: 312, strides: 320 },
  conv: { src: 16, weights: 1408, dst: 4192, diffDst: 4888, strides: 5584 },
  eltwise: { data: 16, diffData: 712, alpha: 1408 },
  pooling: { src: 16, dst: 1408 },
  batchNorm: { data: 8, epsilon: 3488, flags: 3492 },
  matmul: { src: 8, weights: 704, dst: 2096 },
  binary: { alg: 4, src0: 8, src1: 704, dst: 1400 },
  execArgMemory: 8,
} as const;

/** `dnnl_data_type_t` of float32. */
export const F32 = 3;
/** `dnnl_data_type_t` of uint8 (byte buffers). */
export const U8 = 6;
/** `dnnl_scratchpad_mode_user`: the caller passes the scratchpad at execution. */
export const SCRATCHPAD_MODE_USER = 1;
/** `dnnl_format_tag_t` values. */
export const TAG = {
  any: 1,
  a: 2,
  ab: 3,
  abc: 4,
  abcd: 5,
  abcde: 7,
  abcdef: 8,
  nhwc: 20,
  hwio: 30,
} as const;
/** The plain row-major tag of each rank 1-6 (index = rank - 1). */
export const PLAIN_TAGS: readonly number[] = [
  TAG.a,
  TAG.ab,
  TAG.abc,
  TAG.abcd,
  TAG.abcde,
  TAG.abcdef,
];
/** `dnnl_format_kind_t` of plain strided layouts. */
export const FORMAT_KIND_BLOCKED = 2;
/** `dnnl_prop_kind_t` values. */
export const PROP = {
  forwardTraining: 64,
  forwardInference: 96,
  backward: 128,
  backwardData: 160,
  backwardWeights: 192,
} as const;
/** `dnnl_primitive_kind_t` values (first field of every operation descriptor). */
export const PRIMITIVE_KIND = {
  convolution: 5,
  eltwise: 7,
  pooling: 9,
  batchNormalization: 11,
  binary: 16,
  matmul: 18,
} as const;
/** `dnnl_alg_kind_t` values. */
export const ALG = {
  convolutionDirect: 1,
  eltwiseRelu: 31,
  eltwiseTanh: 47,
  eltwiseTanhUseDst: 257,
  poolingMax: 511,
  binaryAdd: 0x1fff0,
  binaryMul: 0x1fff1,
  binarySub: 0x1fff5,
} as const;
/** `dnnl_normalization_flags_t` bits. */
export const NORM_FLAG = { useScale: 8, useShift: 16 } as const;
/** `dnnl_query_t` values. */
export const QUERY = {
  srcMd: 129,
  diffSrcMd: 130,
  weightsMd: 131,
  diffWeightsMd: 132,
  dstMd: 133,
  diffDstMd: 134,
  workspaceMd: 135,
  scratchpadMd: 136,
  convolutionD: 66,
  eltwiseD: 69,
  poolingD: 71,
  batchNormalizationD: 73,
} as const;
/** `DNNL_ARG_*` execution argument ids. */
export const ARG = {
  src: 1,
  dst: 17,
  src1: 2,
  weights: 33,
  mean: 49,
  variance: 50,
  scale: 51,
  shift: 52,
  workspace: 64,
  scratchpad: 80,
  diffSrc: 129,
  diffDst: 145,
  diffWeights: 161,
  diffScale: 255,
  diffShift: 256,
} as const;
/** `dnnl_engine_kind_t` of the CPU engine. */
export const ENGINE_CPU = 1;
/** `dnnl_stream_default_flags`. */
export const STREAM_DEFAULT_FLAGS = 1;
/** `DNNL_MEMORY_ALLOCATE`: asks `dnnl_memory_create` to allocate the buffer itself. */
export const MEMORY_ALLOCATE = 0xffff_ffff_ffff_ffffn;

const STATUS_NAMES = [
  "dnnl_success",
  "dnnl_out_of_memory",
  "dnnl_invalid_arguments",
  "dnnl_unimplemented",
  "dnnl_iterator_ends",
  "dnnl_runtime_error",
  "dnnl_not_required",
];

/** The name of a `dnnl_status_t` value, for error messages. */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `dnnl status ${status}`;
}

/** Only `dnnl_version`, opened first so that another major version fails with a clear message. */
export const VERSION_SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The oneDNN 2.x functions the native kernels call. */
export const ONEDNN_SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_init_submemory: {
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_memory_desc_get_size: { parameters: ["buffer"], result: "usize" },
  dnnl_memory_desc_equal: { parameters: ["buffer", "buffer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "buffer", "pointer", "usize"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "usize"], result: "i32" },
  dnnl_memory_get_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [
      "buffer", // conv_desc
      "i32", // prop_kind
      "i32", // alg_kind
      "buffer", // src_desc
      "buffer", // weights_desc
      "buffer", // bias_desc (nullable)
      "buffer", // dst_desc
      "buffer", // strides
      "buffer", // dilates (dilation - 1)
      "buffer", // padding_l
      "buffer", // padding_r
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [
      "buffer", // conv_desc
      "i32", // alg_kind
      "buffer", // diff_src_desc
      "buffer", // weights_desc
      "buffer", // diff_dst_desc
      "buffer", // strides
      "buffer", // dilates
      "buffer", // padding_l
      "buffer", // padding_r
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [
      "buffer", // conv_desc
      "i32", // alg_kind
      "buffer", // src_desc
      "buffer", // diff_weights_desc
      "buffer", // diff_bias_desc (nullable)
      "buffer", // diff_dst_desc
      "buffer", // strides
      "buffer", // dilates
      "buffer", // padding_l
      "buffer", // padding_r
    ],
    result: "i32",
  },
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_pooling_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_pooling_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_binary_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_matmul_desc_init: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_set_scratchpad_mode: { parameters: ["pointer", "i32"], result: "i32" },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "buffer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The OpenMP functions used to size oneDNN's thread pool. */
export const OPENMP_SYMBOLS = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
  omp_get_max_threads: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened oneDNN library. */
export type OneDnnSymbols = Deno.DynamicLibrary<typeof ONEDNN_SYMBOLS>["symbols"];
/** The opened OpenMP runtime. */
export type OpenMpSymbols = Deno.DynamicLibrary<typeof OPENMP_SYMBOLS>["symbols"];

/** `dnnl_version_t` as read from the library. */
export interface OneDnnVersion {
  major: number;
  minor: number;
  patch: number;
  /** Git hash of the build, or `"N/A"`. */
  hash: string;
}

/** Reads the `dnnl_version_t` that `dnnl_version()` points to. */
export function readVersion(pointer: Deno.PointerValue): OneDnnVersion {
  if (pointer === null) {
    throw new Error("Cannot read the oneDNN version: dnnl_version() returned NULL (got null)");
  }
  const view = new Deno.UnsafePointerView(pointer);
  const hashPointer = view.getPointer(16);
  return {
    major: view.getInt32(0),
    minor: view.getInt32(4),
    patch: view.getInt32(8),
    hash: hashPointer === null ? "N/A" : Deno.UnsafePointerView.getCString(hashPointer),
  };
}
