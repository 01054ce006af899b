import assert from "node:assert/strict";
import {
  engineLog,
  type EngineProbe,
  oneDnnNoticeGiven,
  resetOneDnnNotice,
} from "../../cli/_engine_notice.ts";
import { Output } from "../../cli/_output.ts";
import type { EngineInfo } from "../../engine/init_engine.ts";
import { MAIN_PATH } from "./_cli.ts";
import { writeTinyDataset } from "./_fixture.ts";

const ENGINE_LINE = "grn engine: wasm, 1 thread; skipped native: libdnnl.so.2 not installed";

function capture(): { out: Output; stderr: string[] } {
  const stderr: string[] = [];
  return { out: new Output(false, { stdout: () => {}, stderr: (t) => stderr.push(t) }), stderr };
}

function probe(engine: Partial<EngineInfo> | null, unavailable: "absent" | null): EngineProbe {
  return {
    engine: () =>
      engine === null ? null : {
        backend: "wasm",
        threads: 1,
        skipped: [],
        kernels: [],
        native: null,
        webgpu: null,
        ...engine,
      },
    unavailable: () => unavailable,
    platform: () => ({ os: "linux", arch: "x86_64" }),
  };
}

const notices = (lines: string[]) =>
  lines.filter((l) => l.includes("sudo apt-get install libdnnl2")).length;

Deno.test("engineLog: the notice follows the engine's line, once however often it starts", () => {
  resetOneDnnNotice();
  try {
    const { out, stderr } = capture();
    const forwarded: string[] = [];
    const log = engineLog(out, { probe: probe({}, "absent"), forward: (l) => forwarded.push(l) });
    log("grn train: something else");
    assert.equal(notices(stderr), 0, "not before the engine's line");
    log(ENGINE_LINE);
    assert.equal(notices(stderr), 1);
    assert.match(stderr[0]!, /^grn engine: oneDNN \(libdnnl\.so\.2\) is not installed/);
    log(ENGINE_LINE);
    // A second callback in the same process (e.g. the next cell of a bench) stays silent too.
    engineLog(out, { probe: probe({}, "absent"), forward: () => {} })(ENGINE_LINE);
    assert.equal(notices(stderr), 1, "once per process");
    assert.deepEqual(forwarded, ["grn train: something else", ENGINE_LINE, ENGINE_LINE]);
    assert.equal(oneDnnNoticeGiven(), true);
  } finally {
    resetOneDnnNotice();
  }
});

Deno.test("engineLog: --quiet, --native off, oneDNN in use or no engine print no notice", () => {
  resetOneDnnNotice();
  const native = { library: "onednn" as const, version: "2.6.3", threads: 1, kernels: [] };
  const cases: [string, Parameters<typeof engineLog>[1]][] = [
    ["quiet", { quiet: true, probe: probe({}, "absent") }],
    ["native off", { native: "off", probe: probe({}, "absent") }],
    ["onednn in use", { probe: probe({ native }, null) }],
    ["webgpu", { probe: probe({ backend: "webgpu" }, "absent") }],
    ["no engine", { probe: probe(null, "absent") }],
  ];
  for (const [what, options] of cases) {
    const { out, stderr } = capture();
    engineLog(out, options)(ENGINE_LINE);
    assert.deepEqual(stderr, [ENGINE_LINE + "\n"], what);
    assert.equal(oneDnnNoticeGiven(), false, what);
  }
});

const dir = await Deno.makeTempDir();
await writeTinyDataset(`${dir}/ds`);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** `grn train` (tiny, wasm) in a subprocess where libdnnl.so.2 cannot be found. */
async function trainWithoutOneDnn(name: string, extra: string[]): Promise<string> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_PATH,
      "train",
      ...["-d", `${dir}/ds`, "-m", "supervised", "-o", `${dir}/${name}`],
      ...["--size", "32", "--width", "4", "--depth", "2", "--epochs", "1", "--iterations", "1"],
      ...["--batch-size", "2", "--test", "2", "--validation", "1", "--backend", "wasm"],
      ...extra,
    ],
    env: { GRN_ONEDNN_LIBRARY: `${dir}/no-such-dir/libdnnl.so.2` },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  return text;
}

Deno.test("grn train without oneDNN prints the notice once on stderr; --native off and --quiet do not", async () => {
  const absent = await trainWithoutOneDnn("a", []);
  assert.equal(notices(absent.split("\n")), 1, absent);
  assert.match(
    absent,
    /\ngrn engine: oneDNN \(libdnnl\.so\.2\) is not installed.*sudo apt-get install libdnnl2/,
  );
  const off = await trainWithoutOneDnn("b", ["--native", "off"]);
  assert.equal(notices(off.split("\n")), 0, off);
  assert.match(off, /^grn engine: wasm/m, "the engine's own line is still there");
  const quiet = await trainWithoutOneDnn("c", ["--quiet"]);
  assert.equal(notices(quiet.split("\n")), 0, quiet);
});
