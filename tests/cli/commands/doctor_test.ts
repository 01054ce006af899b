import assert from "node:assert/strict";
import { webgpuTest } from "../../engine/webgpu/_webgpu.ts";
import { runMain } from "../_cli.ts";

Deno.test("grn doctor --json: reports engine, backends, versions, CPUs and memory", async () => {
  const r = await runMain(["doctor", "--backend", "wasm", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.engine.backend, "wasm");
  assert.ok(report.engine.kernels.length > 0, "training kernels registered");
  assert.ok("native" in report.engine, "native provider reported (null when off)");
  if (report.libdnnl.found === false) assert.equal(report.engine.native, null);
  assert.ok(report.registeredBackends.includes("wasm"));
  assert.ok(report.registeredBackends.includes("cpu"));
  assert.equal(report.versions.deno, Deno.version.deno);
  assert.match(report.versions["tfjs-core"], /^\d+\.\d+\.\d+$/);
  assert.equal(typeof report.wasmThreads.available, "boolean");
  assert.equal(typeof report.tfjsNode.found, "boolean");
  assert.equal(typeof report.libdnnl.found, "boolean");
  assert.ok(report.cpu.logicalCores >= 1);
  assert.ok(report.memory.totalBytes > 0);
  assert.ok(report.memory.processRssBytes > 0);
});

Deno.test("grn doctor: human output has one line per item; a bad backend is a usage error", async () => {
  const r = await runMain(["doctor", "--backend", "wasm"]);
  assert.equal(r.code, 0);
  for (
    const key of ["deno", "tensorflow.js", "engine", "backends", "wasm threads", "cpu", "memory"]
  ) {
    assert.match(r.stdout, new RegExp(`^${key} +\\S`, "m"), key);
  }
  const bad = await runMain(["doctor", "--backend", "wsam"]);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'grn doctor: unknown backend "wsam" for --backend (did you mean wasm?); choose from auto, tensorflow, webgpu, wasm, cpu\n',
  );
});

webgpuTest(
  "grn doctor --backend webgpu: the adapter, its limits, and whether it is software",
  async () => {
    const r = await runMain(["doctor", "--backend", "webgpu", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const { engine } = JSON.parse(r.stdout);
    assert.equal(engine.backend, "webgpu");
    assert.equal(engine.webgpu.found, true);
    assert.equal(engine.webgpu.software, engine.webgpu.softwareReason !== null);
    assert.ok(engine.webgpu.limits.maxBufferSize > 0);
    assert.ok(engine.webgpu.limits.maxStorageBufferBindingSize > 0);
    const human = await runMain(["doctor", "--backend", "webgpu"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^engine +webgpu/m);
    assert.match(human.stdout, /^webgpu +\S.*, vendor \S+, (software \(.+\)|hardware GPU)$/m);
    assert.match(
      human.stdout,
      /^ {2}webgpu limits +buffer \d+ MiB, storage binding \d+ MiB, workgroup memory \d+ B, \d+ threads\/workgroup$/m,
    );
    const wasm = await runMain(["doctor", "--backend", "wasm"]);
    assert.match(wasm.stdout, /^webgpu +not probed/m);
  },
);
