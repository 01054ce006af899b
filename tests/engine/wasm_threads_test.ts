import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import { relativeError } from "../_helpers.ts";
import { initEngine } from "../../engine/init_engine.ts";
import {
  configureWasmThreads,
  MAX_WASM_THREADS,
  wasmThreadsActive,
} from "../../engine/wasm_threads.ts";
import { wasmBackendVersionProblem } from "../../engine/_wasm_module.ts";

interface ThreadTicks {
  name: string;
  main: boolean;
  ticks: number;
}

interface ConvRun {
  engineThreads: number;
  backendThreads: number;
  cpuMs: number;
  wallMs: number;
  ratios: number[];
  threadTicks: ThreadTicks[] | null;
  otherTicks: number | null;
  sample: number[];
}

const FIXTURE = fileURLToPath(new URL("./fixtures/wasm_threads_conv.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TICKS_PER_MS = 0.1; // Linux USER_HZ = 100

async function runConv(threads: number): Promise<ConvRun> {
  // -A: reading /proc/self/task needs full access in Deno.
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, String(threads)],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  });
  const { code, stdout, stderr } = await command.output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `fixture with threads ${threads} failed (or did not exit): ${err}`);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as ConvRun;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Ticks of the main thread and of the busiest other thread during the conv loop. */
function split(run: ConvRun): { main: number; other: number } | null {
  if (run.threadTicks === null) return null;
  const main = run.threadTicks.find((t) => t.main)?.ticks ?? 0;
  const other = run.threadTicks.find((t) => !t.main)?.ticks ?? 0;
  return { main, other };
}

/** Whether the rest of the machine stayed (nearly) idle during the loop. */
function quiet(run: ConvRun): boolean {
  return run.otherTicks === null || run.otherTicks <= 0.1 * run.wallMs * TICKS_PER_MS;
}

const twoCores = (navigator.hardwareConcurrency ?? 1) >= 2;

Deno.test({
  name: "wasm threads: 2 threads really run conv2d in parallel, 1 thread does not, same results",
  ignore: !twoCores,
  async fn() {
    const two = await runConv(2);
    const one = await runConv(1);

    assert.equal(two.engineThreads, 2);
    assert.equal(two.backendThreads, 2);
    assert.equal(one.engineThreads, 1);
    assert.equal(one.backendThreads, 1);

    // Work split across OS threads (robust to other load on the machine): with 2 threads a
    // pthread worker does a large share of the convolutions; with 1 thread nobody helps.
    const twoSplit = split(two);
    const oneSplit = split(one);
    if (twoSplit !== null && oneSplit !== null) {
      assert.ok(
        twoSplit.other >= 0.3 * twoSplit.main,
        `threads 2: busiest helper thread used ${twoSplit.other} ticks vs main ${twoSplit.main}`,
      );
      assert.ok(
        oneSplit.other <= 0.1 * oneSplit.main,
        `threads 1: a helper thread used ${oneSplit.other} ticks vs main ${oneSplit.main}`,
      );
    }

    // CPU time / wall time. Other processes only lower it, so the threads-1 bound always
    // applies; the threads-2 bound needs the second core to be free, which /proc/stat tells.
    assert.ok(
      median(one.ratios) < 1.15,
      `threads 1: CPU/wall ratios ${one.ratios.map((r) => r.toFixed(2)).join(" ")}`,
    );
    if (quiet(two) || twoSplit === null) {
      assert.ok(
        Math.max(...two.ratios) > 1.3,
        `threads 2: CPU/wall ratios ${two.ratios.map((r) => r.toFixed(2)).join(" ")}`,
      );
    }

    assert.equal(two.sample.length, one.sample.length);
    const error = relativeError(two.sample, one.sample);
    assert.ok(error <= 1e-5, `threads 2 vs 1: relative error ${error}`);
  },
});

Deno.test("configureWasmThreads() validates its arguments", async () => {
  await assert.rejects(
    () => configureWasmThreads(0),
    /Cannot configure wasm threads: threads must be a positive integer \(got 0\)/,
  );
  await assert.rejects(
    () => configureWasmThreads(1.5),
    /threads must be a positive integer \(got 1\.5\)/,
  );
  await assert.rejects(
    () => configureWasmThreads(2, { timeoutMs: 0 }),
    /timeoutMs must be positive \(got 0\)/,
  );
  assert.equal(MAX_WASM_THREADS, 8);
});

Deno.test("configureWasmThreads() keeps the running count and refuses another", async () => {
  await initEngine({ backend: "wasm", threads: 1, log: () => {} });
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(await configureWasmThreads(1), 1);
  assert.equal(wasmThreadsActive(), false);
  if (twoCores) {
    await assert.rejects(
      () => configureWasmThreads(2),
      /Cannot change wasm threads: the wasm backend already runs with 1 thread\(s\).*restart the process.*\(got 2\)/,
    );
  }
});

Deno.test("wasm threads are pinned to tfjs-backend-wasm 4.22.0", () => {
  assert.equal(wasmBackendVersionProblem("4.22.0"), null);
  assert.equal(
    wasmBackendVersionProblem("4.23.1"),
    "they rely on internals of @tensorflow/tfjs-backend-wasm 4.22.0 (got 4.23.1)",
  );
  assert.equal(wasmBackendVersionProblem(), null, "installed version is the pinned one");
});
