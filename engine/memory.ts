/**
 * Tensor memory on the wasm backend: a clear error instead of a crash or corrupted tensors when
 * a step does not fit.
 *
 * What tfjs-backend-wasm 4.22.0 does by itself when the heap is full (measured): `malloc`
 * returns 0 and tfjs does not check it, so the new tensor is placed at address 0 and writing
 * it overwrites other tensors (silently wrong results) until a later write traps with
 * `RuntimeError: memory access out of bounds`; a request of 4 GB or more wraps around to a
 * small one. Allocations inside the C++ kernels (XNNPACK operators) that fail abort the module
 * (`RuntimeError: Aborted()`). {@linkcode guardWasmAllocations} makes every tensor allocation
 * check its result and throw a {@linkcode MemoryLimitError} before anything is written (the
 * backend stays usable); {@linkcode withMemoryGuard} adds the batch and image size to the
 * message and also converts the aborts (after which the process should be restarted).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  heapBytesOf,
  wasmBackendVersionProblem,
  wasmModule,
  type WasmModuleInternals,
} from "./_wasm_module.ts";
import { type MemoryGuardContext, MemoryLimitError } from "./memory_limit_error.ts";
import {
  type DeviceErrorRecord,
  deviceErrorRecord,
  takeDeviceError,
  webgpuBackend,
} from "./webgpu/backend.ts";
import {
  guardWebGPUAllocations,
  releaseWebGPUBuffers,
  webgpuTensorLimitBytes,
} from "./webgpu/memory.ts";

/** The wasm heap's hard limit: 65535 pages of 64 KiB (4 GiB - 64 KiB). It never shrinks. */
export const WASM_HEAP_LIMIT_BYTES = 65535 * 65536;

const LIMIT_TEXT = "4 GiB";
const GUARDED = Symbol.for("grn.wasmAllocationGuard");

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function tensorBytes(): number {
  return tf.memory().numBytes;
}

/**
 * Current size of the wasm heap in bytes (it only grows, up to
 * {@linkcode WASM_HEAP_LIMIT_BYTES}).
 * @returns The size, or `null` when the wasm backend has not started.
 */
export function wasmHeapBytes(): number | null {
  const module = wasmModule();
  return module === null ? null : heapBytesOf(module);
}

function allocationFailure(bytes: number, module: WasmModuleInternals): MemoryLimitError {
  const heap = heapBytesOf(module);
  const why = bytes > WASM_HEAP_LIMIT_BYTES
    ? "one tensor larger than the whole wasm heap can be"
    : "the wasm heap is full";
  return new MemoryLimitError(
    `Cannot allocate ${megabytes(bytes)} for a tensor: ${why} (got the heap at ` +
      `${megabytes(heap)} of its ${LIMIT_TEXT} limit). Use a smaller batch size or image ` +
      "size; the backend is still usable",
    {
      requestedBytes: bytes,
      heapBytes: heap,
      tensorBytes: tensorBytes(),
      limitBytes: WASM_HEAP_LIMIT_BYTES,
      backendUsable: true,
    },
  );
}

/**
 * Makes every tensor allocation on the wasm backend check its result: a failed `malloc` (or a
 * request of 4 GiB or more, which tfjs would silently wrap around) throws a
 * {@linkcode MemoryLimitError} before tfjs writes anything, instead of placing the tensor at
 * address 0 and corrupting other tensors. Idempotent. {@linkcode initEngine} calls it when it
 * starts the wasm backend, and {@linkcode withMemoryGuard} calls it too.
 *
 * @returns Whether the guard is in place: `false` when the wasm backend has not started or the
 *   installed tfjs-backend-wasm is not the 4.22.0 whose internals this relies on.
 */
export function guardWasmAllocations(): boolean {
  const module = wasmModule() as (WasmModuleInternals & { [GUARDED]?: true }) | null;
  if (module === null) return false;
  if (module[GUARDED]) return true;
  const malloc = module.asm?.malloc;
  if (wasmBackendVersionProblem() !== null || typeof malloc !== "function") return false;
  module._malloc = (bytes: number): number => {
    if (bytes > WASM_HEAP_LIMIT_BYTES) throw allocationFailure(bytes, module);
    const pointer = malloc(bytes);
    if (pointer === 0 && bytes > 0) throw allocationFailure(bytes, module);
    return pointer;
  };
  module[GUARDED] = true;
  return true;
}

function checkContext(context: MemoryGuardContext): void {
  for (const key of ["batchSize", "height", "width"] as const) {
    const value = context[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot guard memory: context.${key} must be a positive integer (got ${value})`,
      );
    }
  }
}

function smallerSizes(context: MemoryGuardContext): string {
  const options: string[] = [];
  if (context.batchSize > 1) {
    options.push(`batch size ${Math.max(1, Math.floor(context.batchSize / 2))}`);
  }
  const shrink = (n: number) => Math.max(16, Math.floor(n / Math.SQRT2 / 16) * 16);
  const h = shrink(context.height);
  const w = shrink(context.width);
  if (h < context.height || w < context.width) options.push(`images of ${h}x${w}`);
  return options.length > 0
    ? `e.g. ${options.join(" or ")} (memory grows with batch size x height x width)`
    : "this step does not fit even at the smallest sizes; free other tensors first";
}

/** Whether the wasm module aborted or trapped while its heap was at least half full. */
function wasmAbortedNearLimit(error: unknown): boolean {
  if (!(error instanceof WebAssembly.RuntimeError)) return false;
  if (!/Aborted\(|out of bounds|out of memory|OOM/i.test(error.message)) return false;
  const heap = wasmHeapBytes();
  return heap !== null && heap >= WASM_HEAP_LIMIT_BYTES / 2;
}

function javascriptHeapFull(error: unknown): boolean {
  return error instanceof RangeError &&
    /Array buffer allocation failed|allocation failed|out of memory/i.test(error.message);
}

/**
 * Disposes what an aborted `tf.grad`/`minimize` left on the gradient tape: the tensors kernels
 * saved for the backward pass are otherwise kept forever.
 */
function dropAbandonedTape(): void {
  const state = tf.engine().state as unknown as {
    gradientDepth: number;
    activeTape: Array<{ saved?: tf.Tensor[] }> | null | undefined;
  };
  if (state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) {
    for (const tensor of node.saved ?? []) tensor.dispose();
  }
  state.activeTape = null;
}

/** Converts `error` into a {@linkcode MemoryLimitError} about `context`, or returns `null`. */
function convert(error: unknown, context: MemoryGuardContext): MemoryLimitError | null {
  let reason: string;
  let details: Omit<ConstructorParameters<typeof MemoryLimitError>[1], "context" | "cause">;
  if (error instanceof MemoryLimitError && error.context !== null) {
    return error; // converted by an inner guard, which knows the step better
  } else if (error instanceof MemoryLimitError) {
    const bytes = error.requestedBytes;
    const request = bytes === null ? "?" : megabytes(bytes);
    reason = error.heapBytes === null
      ? `out of memory (got a request for ${request} on the webgpu device, whose buffers hold ` +
        `at most ${megabytes(error.limitBytes)})`
      : `out of memory (got a request for ${request} with the wasm heap at ` +
        `${megabytes(error.heapBytes)} of its ${LIMIT_TEXT} limit)`;
    details = {
      requestedBytes: error.requestedBytes,
      heapBytes: error.heapBytes,
      tensorBytes: error.tensorBytes,
      limitBytes: error.limitBytes,
      backendUsable: error.backendUsable,
    };
  } else if (error instanceof DeviceMemoryError) {
    reason = `the webgpu device ran out of memory (got "${error.record.message}")`;
    details = {
      heapBytes: null,
      tensorBytes: tensorBytes(),
      limitBytes: webgpuTensorLimitBytes() ?? 0,
      backendUsable: false,
    };
  } else if (wasmAbortedNearLimit(error)) {
    const heap = wasmHeapBytes()!;
    reason = `the wasm backend aborted, most likely out of memory inside a kernel (got ` +
      `"${(error as Error).message}" with the wasm heap at ${megabytes(heap)} of its ` +
      `${LIMIT_TEXT} limit)`;
    details = {
      heapBytes: heap,
      tensorBytes: tensorBytes(),
      limitBytes: WASM_HEAP_LIMIT_BYTES,
      backendUsable: false,
    };
  } else if (javascriptHeapFull(error)) {
    reason = `the JavaScript heap is out of memory (got "${(error as Error).message}")`;
    details = {
      heapBytes: wasmHeapBytes(),
      tensorBytes: tensorBytes(),
      limitBytes: WASM_HEAP_LIMIT_BYTES,
      backendUsable: true,
    };
  } else {
    return null;
  }
  const what = context.what ?? "run this step";
  const after = details.backendUsable
    ? "the backend is still usable"
    : error instanceof DeviceMemoryError
    ? "tensors computed since then hold garbage (weights updated by this step too): restart " +
      "from the last checkpoint"
    : "the wasm backend may now hold inconsistent state: restart the process";
  return new MemoryLimitError(
    `Cannot ${what} at batch size ${context.batchSize} and image size ` +
      `${context.height}x${context.width}: ${reason}. Use a smaller batch size or image ` +
      `size, ${smallerSizes(context)}; ${after}`,
    { ...details, context: { ...context }, cause: error },
  );
}

/**
 * Runs `fn` and turns running out of tensor memory into a {@linkcode MemoryLimitError} whose
 * message names the batch and image size, suggests smaller ones and says whether the process
 * must be restarted. Other errors pass through unchanged. Tensors that an interrupted gradient
 * computation saved for its backward pass are disposed.
 *
 * @param fn The computation (a training step, a forward pass).
 * @param context Batch and image size of the computation; see {@linkcode MemoryGuardContext}.
 * @returns What `fn` returns.
 * @throws {MemoryLimitError} When `fn` runs out of memory.
 * @throws {RangeError} When `context` has a non-positive or non-integer size.
 *
 * @example Guard a training step
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, withMemoryGuard } from "./mod.ts";
 *
 * await initEngine();
 * const w = tf.variable(tf.zeros([16, 1]));
 * const x = tf.ones([4, 16]);
 * const optimizer = tf.train.sgd(0.01);
 * const stepLoss = () => tf.mean(tf.square(tf.sub(tf.matMul(x, w), 1))) as tf.Scalar;
 * const loss = withMemoryGuard(() => optimizer.minimize(stepLoss, true), {
 *   batchSize: 4, height: 128, width: 128, what: "run a training step",
 * });
 * assert.equal(loss?.dataSync()[0], 1); // the loss before the step
 * // Errors other than running out of memory pass through unchanged.
 * const guarded = () =>
 *   withMemoryGuard(() => { throw new TypeError("not memory"); }, { batchSize: 4, height: 8, width: 8 });
 * assert.throws(guarded, TypeError);
 * ```
 */
export function withMemoryGuard<T>(fn: () => T, context: MemoryGuardContext): T {
  checkContext(context);
  guardWasmAllocations();
  guardWebGPUAllocations();
  try {
    // A device error reported since the last guard (the device reports them asynchronously).
    throwDeviceError(takeDeviceError());
    return fn();
  } catch (error) {
    const converted = convert(error, context);
    if (converted === null) throw error;
    dropAbandonedTape();
    releaseWebGPUBuffers();
    throw converted;
  }
}

/** A device error the webgpu backend reported, as an exception. */
class DeviceMemoryError extends Error {
  constructor(readonly record: DeviceErrorRecord) {
    super(`WebGPU ${record.kind}: ${record.message}`);
  }
}

function throwDeviceError(record: DeviceErrorRecord | null): void {
  if (record === null) return;
  if (record.kind === "out-of-memory") throw new DeviceMemoryError(record);
  throw new Error(
    `Cannot compute on the webgpu backend: the device reported a${
      record.kind === "internal" ? "n" : ""
    } ${record.kind} error; results since then are not trustworthy (got "${record.message}")`,
  );
}

/**
 * Async form of {@linkcode withMemoryGuard}: awaits `fn` and converts running out of tensor
 * memory into a {@linkcode MemoryLimitError}.
 *
 * @param fn The computation.
 * @param context Batch and image size of the computation.
 * @returns What `fn` resolves to.
 * @throws {MemoryLimitError} When `fn` runs out of memory.
 * @throws {RangeError} When `context` has a non-positive or non-integer size.
 */
export async function withMemoryGuardAsync<T>(
  fn: () => Promise<T>,
  context: MemoryGuardContext,
): Promise<T> {
  checkContext(context);
  guardWasmAllocations();
  guardWebGPUAllocations();
  const device = webgpuBackend()?.device ?? null;
  device?.pushErrorScope("out-of-memory");
  let scoped = device !== null;
  try {
    throwDeviceError(takeDeviceError());
    const result = await fn();
    scoped = false;
    const error = await device?.popErrorScope();
    // The scope's error, else one reported outside it meanwhile (the uncapturederror handler).
    throwDeviceError(error ? deviceErrorRecord(error) : takeDeviceError());
    return result;
  } catch (error) {
    if (scoped) {
      scoped = false;
      await device!.popErrorScope().catch(() => null);
    }
    const converted = convert(error, context);
    if (converted === null) throw error;
    dropAbandonedTape();
    releaseWebGPUBuffers();
    throw converted;
  }
}
