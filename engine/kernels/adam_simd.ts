/**
 * The loops of the one-call Adam update as WebAssembly SIMD, run directly on the wasm
 * backend's heap (a small module that imports the backend's `WebAssembly.Memory`).
 *
 * WebAssembly arithmetic is IEEE 754 with round-to-nearest and no flush-to-zero, lane by
 * lane, so `f32x4` operations round exactly as float32 scalar operations (and as the wasm
 * backend's elementwise kernels), and `f64x2` operations as JavaScript's float64 ones. The
 * module is assembled here from the instruction listings below (no binary blob).
 * @module
 */

/** Signature of the float32 loop: byte addresses, element count (a multiple of 4), scalars. */
export type AdamSimdF32 = (
  p: number,
  out: number,
  m: number,
  v: number,
  g: number,
  n: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  sqrtBc2: number,
  epsilon: number,
  stepSize: number,
) => void;

/**
 * Signature of the float64 loop: byte addresses, element count (a multiple of 2), and
 * `beta1, 1 - beta1, beta2, 1 - beta2, 1 / sqrtBc2, epsilon, stepSize` as float64.
 */
export type AdamSimdF64 = AdamSimdF32;

/** The two loops, bound to one memory. */
export interface AdamSimd {
  /** {@linkcode AdamSimdF32}: the composite update, each op rounded to float32. */
  f32: AdamSimdF32;
  /** {@linkcode AdamSimdF64}: `GrnAdam`'s update in float64, rounded to float32 on store. */
  f64: AdamSimdF64;
}

// Opcodes (WebAssembly core 2.0 with fixed-width SIMD).
const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const GET = 0x20, SET = 0x21, TEE = 0x22;
const I32_CONST = 0x41, I32_GE_U = 0x4f, I32_ADD = 0x6a, I32_SHL = 0x74;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** A SIMD instruction (prefix 0xfd, LEB128 opcode). */
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
/** `memarg` of a load or store: alignment hint (log2) and offset 0. */
const mem = (alignLog2: number) => [alignLog2, 0];

const V128_LOAD = (a: number) => simd(0x00, ...mem(a));
const V128_STORE = (a: number) => simd(0x0b, ...mem(a));
const V128_LOAD64_ZERO = simd(0x5d, ...mem(3));
const V128_STORE64_LANE0 = [...simd(0x5b, ...mem(3)), 0];
const F32X4_SPLAT = simd(0x13), F64X2_SPLAT = simd(0x14);
const F32X4_SQRT = simd(0xe3), F32X4_ADD = simd(0xe4), F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6), F32X4_DIV = simd(0xe7);
const F64X2_SQRT = simd(0xef), F64X2_ADD = simd(0xf0), F64X2_SUB = simd(0xf1);
const F64X2_MUL = simd(0xf2), F64X2_DIV = simd(0xf3);
const DEMOTE = simd(0x5e), PROMOTE = simd(0x5f);

// Parameters: 0 p, 1 out, 2 m, 3 v, 4 g (byte addresses), 5 n, 6-12 scalars.
const [P, OUT, M, V, G, N] = [0, 1, 2, 3, 4, 5];
// Locals after the 13 parameters: byte offset, end offset, 7 splatted scalars, 3 vectors.
const I = 13, END_OFFSET = 14, K = 15, GV = 22, MI = 23, VI = 24;
const get = (i: number) => [GET, ...uleb(i)];
const set = (i: number) => [SET, ...uleb(i)];
const at = (base: number) => [...get(base), ...get(I), I32_ADD];

/** Function prologue: end = n << 2, splat the scalars, then `block loop` with the exit test. */
function prologue(splat: number[]): number[] {
  const out = [...get(N), I32_CONST, 2, I32_SHL, ...set(END_OFFSET)];
  for (let k = 0; k < 7; k++) out.push(...get(6 + k), ...splat, ...set(K + k));
  out.push(I32_CONST, 0, ...set(I));
  out.push(BLOCK, VOID, LOOP, VOID, ...get(I), ...get(END_OFFSET), I32_GE_U, BR_IF, 1);
  return out;
}

/** Loop tail: i += step bytes, repeat; close loop, block and function. */
const epilogue = (step: number) => [
  ...get(I),
  I32_CONST,
  ...uleb(step),
  I32_ADD,
  ...set(I),
  BR,
  0,
  END,
  END,
  END,
];

/**
 * Float32, 4 lanes: `m' = m·β1 + g·(1-β1)`, `v' = v·β2 + (g·g)·(1-β2)`,
 * `out = p - (m' / (sqrt(v') / sqrtBc2 + ε)) · stepSize`.
 */
function bodyF32(): number[] {
  const [B1, C1, B2, C2, S, EPS, LR] = [0, 1, 2, 3, 4, 5, 6].map((k) => get(K + k));
  return [
    ...prologue(F32X4_SPLAT),
    ...at(G),
    ...V128_LOAD(2),
    ...set(GV),
    // m'
    ...at(M),
    ...at(M),
    ...V128_LOAD(2),
    ...B1!,
    ...F32X4_MUL,
    ...get(GV),
    ...C1!,
    ...F32X4_MUL,
    ...F32X4_ADD,
    TEE,
    ...uleb(MI),
    ...V128_STORE(2),
    // v'
    ...at(V),
    ...at(V),
    ...V128_LOAD(2),
    ...B2!,
    ...F32X4_MUL,
    ...get(GV),
    ...get(GV),
    ...F32X4_MUL,
    ...C2!,
    ...F32X4_MUL,
    ...F32X4_ADD,
    TEE,
    ...uleb(VI),
    ...V128_STORE(2),
    // out
    ...at(OUT),
    ...at(P),
    ...V128_LOAD(2),
    ...get(MI),
    ...get(VI),
    ...F32X4_SQRT,
    ...S!,
    ...F32X4_DIV,
    ...EPS!,
    ...F32X4_ADD,
    ...F32X4_DIV,
    ...LR!,
    ...F32X4_MUL,
    ...F32X4_SUB,
    ...V128_STORE(2),
    ...epilogue(16),
  ];
}

/**
 * Float64, 2 lanes, as `GrnAdam`: `m' = β1·m + (1-β1)·g`, `v' = β2·v + ((1-β2)·g)·g`,
 * `out = p - stepSize · (m' / (sqrt(v') · (1/sqrtBc2) + ε))`, each stored rounded to float32.
 */
function bodyF64(): number[] {
  const [B1, A1, B2, A2, INV, EPS, LR] = [0, 1, 2, 3, 4, 5, 6].map((k) => get(K + k));
  const load2 = (base: number) => [...at(base), ...V128_LOAD64_ZERO, ...PROMOTE];
  return [
    ...prologue(F64X2_SPLAT),
    ...load2(G),
    ...set(GV),
    // m'
    ...at(M),
    ...B1!,
    ...load2(M),
    ...F64X2_MUL,
    ...A1!,
    ...get(GV),
    ...F64X2_MUL,
    ...F64X2_ADD,
    TEE,
    ...uleb(MI),
    ...DEMOTE,
    ...V128_STORE64_LANE0,
    // v'
    ...at(V),
    ...B2!,
    ...load2(V),
    ...F64X2_MUL,
    ...A2!,
    ...get(GV),
    ...F64X2_MUL,
    ...get(GV),
    ...F64X2_MUL,
    ...F64X2_ADD,
    TEE,
    ...uleb(VI),
    ...DEMOTE,
    ...V128_STORE64_LANE0,
    // out
    ...at(OUT),
    ...load2(P),
    ...LR!,
    ...get(MI),
    ...get(VI),
    ...F64X2_SQRT,
    ...INV!,
    ...F64X2_MUL,
    ...EPS!,
    ...F64X2_ADD,
    ...F64X2_DIV,
    ...F64X2_MUL,
    ...F64X2_SUB,
    ...DEMOTE,
    ...V128_STORE64_LANE0,
    ...epilogue(8),
  ];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];

function funcType(scalar: number): number[] {
  return [0x60, 13, I32, I32, I32, I32, I32, I32, ...Array(7).fill(scalar), 0];
}

function code(body: number[]): number[] {
  // Locals: 2 i32 (offset, end), 10 v128 (7 scalars, g, m', v').
  const fn = [2, 2, I32, 10, V128, ...body];
  return [...uleb(fn.length), ...fn];
}

/** The module's bytes: imports `env.memory`, exports `f32` and `f64`. */
export function adamSimdModuleBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [2, ...funcType(F32), ...funcType(F64)]),
    ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x00, 0x00]),
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name("f32"), 0x00, 0, ...name("f64"), 0x00, 1]),
    ...section(10, [2, ...code(bodyF32()), ...code(bodyF64())]),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, AdamSimd>();

/**
 * The SIMD loops bound to `memory`, or `null` when they cannot run: the runtime lacks
 * WebAssembly SIMD, or the memory is shared (the threaded wasm build, whose import would need
 * a different declaration).
 *
 * @param memory The wasm backend's memory.
 */
export function adamSimd(memory: WebAssembly.Memory): AdamSimd | null {
  if (memory.buffer instanceof SharedArrayBuffer) return null;
  const cached = instances.get(memory);
  if (cached) return cached;
  if (compiled === undefined) {
    const bytes = adamSimdModuleBytes();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  if (compiled === null) return null;
  const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
  const simd = { f32: exports.f32 as AdamSimdF32, f64: exports.f64 as AdamSimdF64 };
  instances.set(memory, simd);
  return simd;
}
