import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import {
  guardWasmAllocations,
  WASM_HEAP_LIMIT_BYTES,
  wasmHeapBytes,
  withMemoryGuard,
  withMemoryGuardAsync,
} from "../../engine/memory.ts";
import { MemoryLimitError } from "../../engine/memory_limit_error.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/wasm_oom.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** 65536 x 16385 float32 = 4 GiB + 256 KiB: one output larger than the whole heap. */
function oversizedProduct(): number {
  return tf.tidy(() => tf.mul(tf.ones([65536, 1]), tf.ones([1, 16385])).sum().dataSync()[0]!);
}
const OVERSIZED_BYTES = 65536 * 16385 * 4;

async function startWasm(): Promise<void> {
  await initEngine({ backend: "wasm", log: () => {} });
}

Deno.test("wasmHeapBytes() reports the wasm memory size and guardWasmAllocations() is on", async () => {
  await startWasm();
  assert.equal(guardWasmAllocations(), true);
  assert.equal(guardWasmAllocations(), true, "idempotent");
  const heap = wasmHeapBytes();
  assert.ok(heap !== null && heap > 0 && heap % 65536 === 0, `heap ${heap}`);
  assert.ok(heap <= WASM_HEAP_LIMIT_BYTES);
  assert.equal(WASM_HEAP_LIMIT_BYTES, 2 ** 32 - 2 ** 16);
  // Growing: a 64 MB tensor makes the heap at least that large.
  const t = tf.zeros([16 * 2 ** 20]);
  assert.ok(wasmHeapBytes()! >= 64 * 2 ** 20);
  t.dispose();
});

Deno.test("withMemoryGuard() turns a tensor larger than the heap into MemoryLimitError", async () => {
  await startWasm();
  const tensors = tf.memory().numTensors;
  const heapBefore = wasmHeapBytes()!;
  let caught: unknown;
  try {
    withMemoryGuard(oversizedProduct, {
      batchSize: 16,
      height: 512,
      width: 512,
      what: "run a forward pass",
    });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MemoryLimitError, `got ${caught}`);
  assert.match(
    caught.message,
    /^Cannot run a forward pass at batch size 16 and image size 512x512: out of memory \(got a request for 4096\.3 MB with the wasm heap at [\d.]+ MB of its 4 GiB limit\)\. Use a smaller batch size or image size, e\.g\. batch size 8 or images of 352x352 .*; the backend is still usable$/,
  );
  assert.equal(caught.requestedBytes, OVERSIZED_BYTES);
  assert.equal(caught.backendUsable, true);
  assert.deepEqual(caught.context, {
    batchSize: 16,
    height: 512,
    width: 512,
    what: "run a forward pass",
  });
  assert.ok(caught.cause instanceof MemoryLimitError);
  assert.match(caught.cause.message, /one tensor larger than the whole wasm heap can be/);
  // Nothing was written or kept, and the heap did not grow for the refused request.
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(wasmHeapBytes(), heapBefore);
  assert.deepEqual(Array.from(tf.add(tf.tensor1d([1, 2, 3]), 1).dataSync()), [2, 3, 4]);
});

Deno.test("withMemoryGuard() disposes what an interrupted gradient left on the tape", async () => {
  await startWasm();
  const a = tf.ones([65536, 1]);
  const tensors = tf.memory().numTensors;
  assert.throws(
    () =>
      withMemoryGuard(
        // `square` saves its input for the backward pass before `mul` runs out of memory.
        () => tf.grad((v: tf.Tensor) => tf.mul(tf.square(v), tf.ones([1, 16385])).sum())(a),
        { batchSize: 2, height: 64, width: 64 },
      ),
    (error: unknown) =>
      error instanceof MemoryLimitError &&
      /^Cannot run this step at batch size 2 and image size 64x64: out of memory/.test(
        error.message,
      ),
  );
  assert.equal(tf.memory().numTensors, tensors, "saved tensors of the tape were disposed");
  // The next gradient computation works and is right: d/dv sum(v^2) = 2v.
  const g = tf.grad((v: tf.Tensor) => tf.square(v).sum())(tf.tensor1d([1, -2]));
  assert.deepEqual(Array.from(g.dataSync()), [2, -4]);
  a.dispose();
});

Deno.test("withMemoryGuardAsync() converts too; other errors pass through unchanged", async () => {
  await startWasm();
  await assert.rejects(
    () =>
      withMemoryGuardAsync(async () => {
        await Promise.resolve();
        return oversizedProduct();
      }, { batchSize: 1, height: 16, width: 16 }),
    (error: unknown) =>
      error instanceof MemoryLimitError && error.backendUsable &&
      /batch size 1 and image size 16x16: .*this step does not fit even at the smallest sizes/
        .test(error.message),
  );
  const original = new TypeError("not a memory problem");
  assert.throws(
    () =>
      withMemoryGuard(() => {
        throw original;
      }, { batchSize: 1, height: 8, width: 8 }),
    (error: unknown) => error === original,
  );
  await assert.rejects(
    () =>
      withMemoryGuardAsync(() => Promise.reject(original), { batchSize: 1, height: 8, width: 8 }),
    (error: unknown) => error === original,
  );
  assert.equal(withMemoryGuard(() => 42, { batchSize: 3, height: 8, width: 8 }), 42);
});

Deno.test("withMemoryGuard() rejects a bad context", () => {
  assert.throws(
    () => withMemoryGuard(() => 1, { batchSize: 0, height: 8, width: 8 }),
    /Cannot guard memory: context\.batchSize must be a positive integer \(got 0\)/,
  );
  assert.throws(
    () => withMemoryGuard(() => 1, { batchSize: 1, height: 8.5, width: 8 }),
    /context\.height must be a positive integer \(got 8\.5\)/,
  );
});

interface OomRun {
  heapFull: number;
  thrown: boolean;
  isMemoryLimitError: boolean;
  message: string;
  backendUsable: boolean | null;
  requestedBytes: number | null;
  cause: string | null;
  tensorsBefore: number;
  tensorsAfter: number;
  before: number[];
  after: number[];
}

async function runOom(mode: "step" | "kernel"): Promise<OomRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-sys", FIXTURE, mode],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `fixture ${mode} failed: ${err}`);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as OomRun;
}

Deno.test("a training step that overflows the full 4 GiB heap fails cleanly and the backend recovers", async () => {
  const run = await runOom("step");
  assert.equal(run.heapFull, WASM_HEAP_LIMIT_BYTES, "the heap really reached its limit");
  assert.equal(run.thrown, true);
  assert.equal(run.isMemoryLimitError, true, run.message);
  assert.equal(run.backendUsable, true);
  assert.ok(run.requestedBytes !== null && run.requestedBytes > 0);
  assert.match(
    run.message,
    /^Cannot run a training step at batch size 4 and image size 64x64: out of memory .*4 GiB limit.*batch size 2 or images of 32x32.*the backend is still usable$/,
  );
  assert.match(run.cause!, /^Cannot allocate [\d.]+ MB for a tensor: the wasm heap is full/);
  assert.equal(run.tensorsAfter, run.tensorsBefore, "no tensors leaked");
  assert.deepEqual(run.after, run.before, "same loss and gradient after the failure");
});

Deno.test("a kernel that aborts the wasm module near the limit says to restart the process", async () => {
  const run = await runOom("kernel");
  assert.equal(run.heapFull, WASM_HEAP_LIMIT_BYTES);
  assert.equal(run.isMemoryLimitError, true, run.message);
  assert.equal(run.backendUsable, false);
  assert.match(run.cause!, /^Aborted\(/);
  assert.match(
    run.message,
    /^Cannot run a training step at batch size 4 and image size 64x64: the wasm backend aborted, most likely out of memory inside a kernel .*restart the process$/,
  );
});
