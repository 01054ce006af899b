import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { NativeUnavailableError, OneDnn } from "../../../engine/native/onednn.ts";
import { loadOneDnn, nativeKernelNames } from "../../../engine/native/provider.ts";
import { wasmThreadsActive } from "../../../engine/wasm_threads.ts";
import { NATIVE_MISSING, nativeTest } from "./_native.ts";

const FIXTURE = new URL("./fixtures/engine_probe.ts", import.meta.url).pathname;
const REPO = new URL("../../../", import.meta.url).pathname;

interface ProbeReport {
  ok: boolean;
  error?: string;
  backend?: string;
  native?: { library: string; version: string; threads: number; kernels: string[] } | null;
  skipped?: string[];
  nativeKernels?: string[];
  finite?: boolean;
  notices: string[];
}

async function probe(
  mode: string,
  permissions: string[],
  env: Record<string, string> = {},
): Promise<ProbeReport> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, FIXTURE, mode],
    cwd: REPO,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `probe ${mode} failed: ${err}`);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as ProbeReport;
}

const BASE = ["--allow-read", "--allow-env", "--allow-sys"];

Deno.test("OneDnn.load() says the library is absent, with the install hint", () => {
  assert.throws(
    () => OneDnn.load({ libraryNames: ["/nonexistent/libdnnl.so.2"] }),
    (error: unknown) =>
      error instanceof NativeUnavailableError && error.reason === "absent" &&
      /Cannot load oneDNN: the library is not installed \(got \/nonexistent\/libdnnl\.so\.2: /
        .test(error.message) &&
      /apt-get install libdnnl2/.test(error.message),
  );
});

Deno.test("without --allow-ffi, native auto keeps the wasm kernels and says why; onednn is an error", async () => {
  const auto = await probe("auto", BASE);
  assert.ok(auto.ok, auto.error);
  assert.equal(auto.backend, "wasm");
  assert.equal(auto.native, null);
  assert.deepEqual(auto.nativeKernels, []);
  assert.ok(auto.finite);
  assert.ok(auto.skipped!.includes("native: no FFI permission (run with --allow-ffi)"));
  assert.equal(auto.notices.length, 1);
  assert.match(auto.notices[0]!, /grn engine: wasm, 1 thread; skipped .*native: no FFI permission/);
  const onednn = await probe("onednn", BASE);
  assert.equal(onednn.ok, false);
  assert.match(
    onednn.error!,
    /Cannot load oneDNN: Deno has no FFI permission .*run with --allow-ffi/,
  );
});

Deno.test("with the library absent, native auto keeps the wasm kernels and says why; onednn is an error", async () => {
  const env = { GRN_ONEDNN_LIBRARY: "/nonexistent/libdnnl.so.2" };
  const auto = await probe("auto", [...BASE, "--allow-ffi"], env);
  assert.ok(auto.ok, auto.error);
  assert.equal(auto.native, null);
  assert.deepEqual(auto.nativeKernels, []);
  assert.ok(auto.finite);
  assert.ok(
    auto.skipped!.some((s) => /^native: \/nonexistent\/libdnnl\.so\.2 not installed/.test(s)),
    auto.skipped!.join("; "),
  );
  const onednn = await probe("onednn", [...BASE, "--allow-ffi"], env);
  assert.equal(onednn.ok, false);
  assert.match(onednn.error!, /Cannot load oneDNN: the library is not installed/);
});

nativeTest("native onednn in a fresh process serves the kernels and trains", async () => {
  const report = await probe("onednn", [...BASE, "--allow-ffi"]);
  assert.ok(report.ok, report.error);
  assert.equal(report.native?.library, "onednn");
  assert.match(report.native!.version, /^2\.\d+\.\d+$/);
  for (const name of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPoolGrad"]) {
    assert.ok(report.nativeKernels!.includes(name), `${name} is not native`);
  }
  assert.ok(report.finite);
  assert.match(report.notices[0]!, /^grn engine: wasm \+ oneDNN 2\.\d+\.\d+, 1 thread/);
});

nativeTest(
  "after wasm threads started, native auto steps aside and says why; onednn is an error",
  async () => {
    const auto = await probe("threaded-then-auto", [...BASE, "--allow-ffi"]);
    assert.ok(auto.ok, auto.error);
    assert.equal(auto.native, null);
    assert.ok(
      auto.skipped!.some((s) =>
        /native: the wasm backend already runs with worker threads/.test(s)
      ),
    );
    const onednn = await probe("threaded-then-onednn", [...BASE, "--allow-ffi"]);
    assert.equal(onednn.ok, false);
    assert.match(
      onednn.error!,
      /Cannot use oneDNN: the wasm backend already runs with worker threads/,
    );
  },
);

nativeTest(
  "initEngine native on/off installs and restores the kernels; threads go to oneDNN only",
  async () => {
    const off = await initEngine({ backend: "wasm", native: "off", log: () => {} });
    assert.equal(off.native, null);
    const wasmConv = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
    const wasmGrad = tf.getGradient("Relu")!.gradFunc;
    const lines: string[] = [];
    const on = await initEngine({
      backend: "wasm",
      native: "onednn",
      threads: 2,
      log: (m) => lines.push(m),
    });
    assert.equal(on.native?.threads, 2);
    assert.equal(on.threads, 2);
    assert.equal(loadOneDnn().threads(), 2);
    assert.equal(wasmThreadsActive(), false, "wasm threads must stay off with the native provider");
    assert.match(lines[0]!, /grn engine: wasm \+ oneDNN 2\.\d+\.\d+, 2 threads/);
    assert.ok(on.kernels.includes("Conv2D (oneDNN)"));
    assert.notEqual(tf.getKernel("Conv2D", "wasm")!.kernelFunc, wasmConv);
    assert.notEqual(tf.getGradient("Relu")!.gradFunc, wasmGrad);
    assert.ok(nativeKernelNames().includes("GrnNormalize"));
    const again = await initEngine({ backend: "wasm", native: "auto", threads: 1, log: () => {} });
    assert.equal(again.native?.threads, 1);
    assert.equal(loadOneDnn().threads(), 1);
    await initEngine({ backend: "wasm", native: "off", log: () => {} });
    assert.equal(tf.getKernel("Conv2D", "wasm")!.kernelFunc, wasmConv);
    assert.equal(tf.getGradient("Relu")!.gradFunc, wasmGrad);
    assert.equal(tf.getKernel("GrnNormalize", "wasm"), undefined);
    assert.deepEqual(nativeKernelNames(), []);
    await initEngine({ backend: "wasm", native: "onednn", log: () => {} });
  },
);

Deno.test("initEngine rejects an unknown native mode", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => initEngine({ native: "mkl" as any, log: () => {} }),
    /Cannot start engine: native must be one of auto, onednn, off \(got "mkl"\)/,
  );
});

if (NATIVE_MISSING === null) {
  Deno.test("oneDNN is version 2.x and passed its ABI checks at load", () => {
    const dnn = loadOneDnn();
    assert.equal(dnn.version.major, 2);
    assert.ok(dnn.threads() >= 1);
  });
}

nativeTest(
  "results with 2 oneDNN threads match 1 thread (plans rebuilt for the new count)",
  async () => {
    const step = () =>
      tf.tidy(() => {
        const x = tf.randomUniform([2, 16, 16, 8], -1, 1, "float32", 3) as tf.Tensor4D;
        const w = tf.randomUniform([3, 3, 8, 16], -1, 1, "float32", 4) as tf.Tensor4D;
        const [gx, gw] = tf.grads((a: tf.Tensor, k: tf.Tensor) =>
          tf.sum(tf.square(tf.relu(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 2, "same"))))
        )([x, w]);
        return [gx!, gw!].map((t) => t.dataSync() as Float32Array);
      });
    await initEngine({ backend: "wasm", native: "onednn", threads: 1, log: () => {} });
    const one = step();
    await initEngine({ backend: "wasm", native: "onednn", threads: 2, log: () => {} });
    assert.equal(loadOneDnn().threads(), 2);
    const two = step();
    await initEngine({ backend: "wasm", native: "onednn", threads: 1, log: () => {} });
    one.forEach((a, i) => {
      const b = two[i]!;
      const scale = Math.max(...a.map(Math.abs));
      a.forEach((v, j) => assert.ok(Math.abs(v - b[j]!) <= 1e-5 * scale, `output ${i}[${j}]`));
    });
  },
);
