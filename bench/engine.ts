/**
 * Engine benchmark: milliseconds per training step (forward + backward + Adam) of
 * (a) the 2-D UNet alone and (b) a joint generator + segmentor + discriminator step (one
 * GRN-SEL iteration, `GRN.step`), batch 4, 1x128x128 input, 7 classes, at 1 and 2 threads;
 * inference images/s; peak RSS; tensors leaked per step. Optionally the same steps on PyTorch
 * (`bench/pytorch_reference.py`), interleaved with the TensorFlow.js runs, and a per-kernel
 * profile of one joint step.
 *
 * Usage:
 * ```
 * deno task bench:engine [--json] [--steps 7] [--threads 1,2] [--native auto|off|onednn[,...]]
 *   [--generator resunet[,resnet]] [--pytorch [--python /usr/bin/python3] [--pytorch-env K=V,...]]
 *   [--profile [--profile-steps 3] [--top 20]] [--idle 0.3 [--idle-timeout 60]] [--warmup 1] [--block 1] [--backend wasm[,webgpu]] [--size 128]
 *   [--batch 4] [--save results.jsonl]
 * ```
 *
 * - `--steps`: timed steps per bench, engine and thread count (after `--warmup` untimed ones).
 * - `--native`: the engine's native kernel provider (`initEngine({ native })`); a list runs one
 *   tfjs variant per entry, e.g. `off,onednn` for the pure-wasm kernels and wasm + oneDNN.
 * - `--backend`: the tfjs backend, or a list of them run side by side (`wasm,webgpu`; `--native`
 *   applies to wasm). A webgpu row names its adapter and says whether it is a software one
 *   (Mesa's lavapipe runs on the CPU: its times say nothing about a GPU); its steps read their
 *   losses back asynchronously (`GRN.stepAsync`), so a timed step includes the device's work.
 *   With several engines the report adds each one's time relative to the first.
 * - `--generator`: the joint step's generator: `resunet` (GRN's `ResUNetGenerator`, what users
 *   train; the default) and/or `resnet` (the pix2pix `ResNetGenerator` of the engine notes).
 * - `--pytorch`: also time the PyTorch reference (same architectures, losses, optimizer and
 *   step structure; parameter counts are checked) and print the ratios tfjs / PyTorch.
 *   `--pytorch-env K=V[,K=V]` adds environment variables for it (e.g.
 *   `OMP_WAIT_POLICY=PASSIVE`; by default OpenMP spin-waits, which collapses on a busy machine).
 * - `--profile`: times every kernel of `--profile-steps` (3) joint steps (`tf.profile`) at the
 *   first thread count and lists the top kernels per step (and PyTorch's top operators with
 *   `--pytorch`, from its autograd profiler).
 * - `--idle C`: before each turn, wait (at most `--idle-timeout` seconds) until other
 *   processes use fewer than C cores.
 * - `--json`: one JSON object per line on stdout (`type`: `"result"`, `"ratio"`, `"profile"`,
 *   then `"meta"`). `--save FILE` writes the same lines to FILE (with either output).
 *
 * Every bench runs in fresh worker processes, one per engine variant and thread count (wasm
 * threads are fixed per process, and the peak RSS is the process's own high-water mark).
 * Workers take turns `--block` steps at a time in rotating order (tfjs, PyTorch, PyTorch, tfjs,
 * ...), so all engines see the same machine load; each row reports the load other processes
 * put on the machine while its steps ran, and the CPU time per step besides the wall time.
 *
 * Files: this driver (options, worker processes, turns, rows), `_engine_worker.ts` (the worker
 * process), `_engine_protocol.ts` (the JSON lines between them), `_engine_report.ts` (the Markdown
 * report).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import os from "node:os";
import { parseArgs } from "node:util";
import type { NativeChoice } from "../engine/native/provider.ts";
import { type BenchName, type GeneratorName, WorkerProcess } from "./_engine_protocol.ts";
import {
  type EngineRatioRow,
  type MachineInfo,
  printReport,
  type ProfileRow,
  type RatioRow,
  type Row,
} from "./_engine_report.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    steps: { type: "string", default: "7" },
    warmup: { type: "string", default: "1" },
    block: { type: "string", default: "1" },
    threads: { type: "string", default: "1,2" },
    backend: { type: "string", default: "wasm" },
    native: { type: "string", default: "auto" },
    size: { type: "string", default: "128" },
    batch: { type: "string", default: "4" },
    generator: { type: "string", default: "resunet" },
    pytorch: { type: "boolean", default: false },
    python: { type: "string" },
    "pytorch-env": { type: "string", default: "" },
    profile: { type: "boolean", default: false },
    top: { type: "string", default: "20" },
    "profile-steps": { type: "string", default: "3" },
    idle: { type: "string", default: "0" },
    "idle-timeout": { type: "string", default: "60" },
    save: { type: "string" },
    worker: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const USAGE = "deno task bench:engine [--json] [--steps 7] [--threads 1,2] " +
  "[--native auto|off|onednn[,...]] [--generator resunet[,resnet]] " +
  "[--pytorch [--python /usr/bin/python3] [--pytorch-env K=V,...]] " +
  "[--profile [--profile-steps 3] [--top 20]] " +
  "[--idle 0.3 " +
  "[--idle-timeout 60]] [--warmup 1] [--block 1] [--backend wasm|webgpu|cpu|tensorflow[,...]] " +
  "[--size 128] " +
  "[--batch 4] [--save results.jsonl]";

if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}

function usageError(message: string): never {
  console.error(`bench:engine: ${message}\nusage: ${USAGE}`);
  Deno.exit(2);
}

function positiveInt(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    usageError(`--${name} must be an integer >= ${min} (got ${text})`);
  }
  return n;
}

const steps = positiveInt("steps", values.steps);
const warmup = positiveInt("warmup", values.warmup, 0);
const block = positiveInt("block", values.block);
const size = positiveInt("size", values.size);
const batch = positiveInt("batch", values.batch);
const top = positiveInt("top", values.top);
const profileStepCount = positiveInt("profile-steps", values["profile-steps"]);
const idleCores = Number(values.idle);
if (!(idleCores >= 0)) usageError(`--idle must be a number of cores >= 0 (got ${values.idle})`);
const idleTimeoutS = positiveInt("idle-timeout", values["idle-timeout"], 0);
const generators = values.generator.split(",").map((g) => g.trim()) as GeneratorName[];
for (const g of generators) {
  if (g !== "resunet" && g !== "resnet") {
    usageError(`--generator takes resunet and/or resnet (got ${g})`);
  }
}
const pytorchEnv: Record<string, string> = {};
for (const pair of values["pytorch-env"].split(",").filter((p) => p.trim() !== "")) {
  const eq = pair.indexOf("=");
  if (eq <= 0) usageError(`--pytorch-env takes KEY=VALUE pairs (got ${pair})`);
  pytorchEnv[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
}
const natives = values.native.split(",").map((n) => n.trim()) as NativeChoice[];
const backends = values.backend.split(",").map((b) => b.trim());
for (const b of backends) {
  if (!["wasm", "webgpu", "cpu", "tensorflow"].includes(b)) {
    usageError(`--backend takes wasm, webgpu, cpu and/or tensorflow (got ${b})`);
  }
}
for (const n of natives) {
  if (!["auto", "off", "onednn"].includes(n)) {
    usageError(`--native takes auto, off and/or onednn (got ${n})`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

if (values.worker) {
  const { runWorker } = await import("./_engine_worker.ts");
  await runWorker(Number(values.threads), values.native as NativeChoice, values.backend);
  Deno.exit(0);
}

// ------------------------------------------------------------------------------------------
// The orchestrator

/** Machine-wide busy CPU time (all cores) in milliseconds since boot, from `os.cpus()`. */
function machineBusyMs(): number {
  try {
    return os.cpus().reduce(
      (n, c) => n + c.times.user + c.times.nice + c.times.sys + c.times.irq,
      0,
    );
  } catch {
    return 0;
  }
}

let waitedS = 0;

/**
 * With `--idle C`: waits (1-second samples, at most `--idle-timeout` seconds) until other
 * processes use fewer than C cores, so that turns start on a quiet machine.
 */
async function waitForIdle(): Promise<void> {
  const start = performance.now();
  for (;;) {
    const b0 = machineBusyMs();
    await new Promise((r) => setTimeout(r, 1000));
    const load = (machineBusyMs() - b0) / 1000;
    const elapsed = (performance.now() - start) / 1000;
    if (load < idleCores || elapsed >= idleTimeoutS) {
      waitedS += elapsed;
      return;
    }
  }
}

function defaultPython(): string {
  try {
    // Debian's interpreter has python3-torch; a pyenv/venv python3 on PATH usually does not.
    Deno.statSync("/usr/bin/python3");
    return "/usr/bin/python3";
  } catch {
    return "python3";
  }
}

/** CPU model, logical cores and memory of this machine. */
function machineInfo(): MachineInfo {
  let cpu = "unknown", cores = navigator.hardwareConcurrency, memoryGB = 0;
  try {
    const cpus = os.cpus();
    cpu = cpus[0]?.model ?? cpu;
    cores = cpus.length || cores;
    memoryGB = Deno.systemMemoryInfo().total / 2 ** 30;
  } catch {
    // no --allow-sys
  }
  return { cpu, cores, memoryGB };
}

const selfPath = new URL(import.meta.url).pathname;
const pythonScript = new URL("./pytorch_reference.py", import.meta.url).pathname;
const date = new Date().toISOString();
const results: Row[] = [];
const ratios: RatioRow[] = [];
const engineRatios: EngineRatioRow[] = [];
const profiles: ProfileRow[] = [];
const meta: Record<string, unknown> = {
  type: "meta",
  date,
  machine: machineInfo(),
  deno: Deno.version.deno,
  batch,
  size,
  steps,
  warmup,
  block,
  idleCores,
  ...(values.pytorch ? { pytorchEnv } : {}),
};

function progress(text: string): void {
  if (!values.json) console.error(`bench:engine: ${text}`);
}

/** One engine variant taking part in a bench. */
interface Participant {
  /** `"tfjs"` or `"pytorch"`. */
  kind: "tfjs" | "pytorch";
  native?: NativeChoice;
  worker: WorkerProcess;
  engine: string;
  threads: number;
  params: Record<string, number>;
  ms: number[];
  cpuMs: number[];
  turnMedians: number[];
  peak: number;
  tensors: number;
  /** CPU time of other processes during this participant's turns, and those turns' wall time. */
  otherCpuMs: number;
  turnWallMs: number;
}

function spawnWorkers(threads: number): Participant[] {
  // --native applies to wasm; the other backends run once.
  const variants = backends.flatMap((backend) =>
    backend === "wasm"
      ? natives.map((native) => ({ backend, native }))
      : [{ backend, native: "off" as NativeChoice }]
  );
  const list: Participant[] = variants.map(({ backend, native }) => ({
    kind: "tfjs",
    ...(backend === "wasm" ? { native } : {}),
    worker: new WorkerProcess(
      `tfjs ${backend} (native ${native}) ${threads}-thread`,
      Deno.execPath(),
      [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        "--allow-ffi",
        selfPath,
        "--worker",
        `--threads=${threads}`,
        `--backend=${backend}`,
        `--native=${native}`,
      ],
    ),
    engine: "",
    threads,
    params: {},
    ms: [],
    cpuMs: [],
    turnMedians: [],
    peak: 0,
    tensors: 0,
    otherCpuMs: 0,
    turnWallMs: 0,
  }));
  if (values.pytorch) {
    list.push({
      kind: "pytorch",
      worker: new WorkerProcess(
        `pytorch ${threads}-thread`,
        values.python ?? defaultPython(),
        [pythonScript, "--worker", `--threads=${threads}`],
        { OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), ...pytorchEnv },
      ),
      engine: "pytorch",
      threads,
      params: {},
      ms: [],
      cpuMs: [],
      turnMedians: [],
      peak: 0,
      tensors: 0,
      otherCpuMs: 0,
      turnWallMs: 0,
    });
  }
  return list;
}

async function runBench(
  threads: number,
  bench: BenchName,
  generator: GeneratorName | undefined,
  doProfile: boolean,
): Promise<void> {
  const what = `${bench}${generator ? ` (${generator})` : ""}, ${threads} thread(s)`;
  progress(`${what}: warm-up ...`);
  const parts = spawnWorkers(threads);
  try {
    for (const p of parts) {
      const info = await p.worker.request({ cmd: "info" });
      p.engine = String(info.engine);
      p.threads = Number(info.threads);
      if (p.kind === "tfjs") {
        meta.tfjs = info.version;
        if (p.native) meta[`native ${p.native}`] = info.native;
        if (info.adapter) meta.webgpuAdapter = info.adapter;
      } else {
        meta.pytorch = info.version;
        meta.onednnInPytorch = info.onednn;
      }
      const r = await p.worker.request({
        cmd: "setup",
        bench,
        generator: generator ?? "resunet",
        batch,
        size,
        warmup,
      });
      p.params = r.params as Record<string, number>;
    }
    const reference = parts[0]!.params;
    const same = (a: Record<string, number>) =>
      Object.keys(a).length === Object.keys(reference).length &&
      Object.keys(a).every((k) => a[k] === reference[k]);
    progress(`${what}: parameters ${parts.map((p) => `${p.engine} ${JSON.stringify(p.params)}`)}`);
    const odd = parts.find((p) => !same(p.params));
    if (odd) {
      throw new Error(
        `${odd.engine} does not mirror the networks of ${parts[0]!.engine}: parameters differ ` +
          `(${JSON.stringify(odd.params)} vs ${JSON.stringify(reference)})`,
      );
    }
    let turn = 0;
    for (let done = 0; done < steps; done += block, turn++) {
      const n = Math.min(block, steps - done);
      // Rotate who goes first: tfjs, torch | torch, tfjs | ...
      const order = parts.map((_, i) => parts[(i + turn) % parts.length]!);
      for (const p of order) {
        if (idleCores > 0) await waitForIdle();
        const busy0 = machineBusyMs();
        const t0 = performance.now();
        const r = await p.worker.request({ cmd: "run", steps: n });
        p.turnWallMs += performance.now() - t0;
        const ms = r.ms as number[], cpuMs = r.cpuMs as number[];
        const own = cpuMs.reduce((a, b) => a + b, 0);
        p.otherCpuMs += Math.max(0, machineBusyMs() - busy0 - own);
        p.ms.push(...ms);
        p.cpuMs.push(...cpuMs);
        p.turnMedians.push(median(ms));
        p.peak = Math.max(p.peak, r.peakRssMB as number);
        p.tensors += (r.tensors as number | null) ?? 0;
      }
      progress(
        `  ${done + n}/${steps}: ` +
          parts.map((p) => `${p.engine} ${p.ms.at(-1)!.toFixed(0)} ms`).join(", "),
      );
    }
    for (const p of parts) {
      const med = median(p.ms);
      const row: Row = {
        type: "result",
        bench,
        ...(generator ? { generator } : {}),
        engine: p.engine,
        ...(p.native ? { native: p.native } : {}),
        threads: p.threads,
        batch,
        size,
        steps: p.ms.length,
        medianMs: med,
        minMs: Math.min(...p.ms),
        maxMs: Math.max(...p.ms),
        cpuMedianMs: median(p.cpuMs),
        ...(bench === "unet-inference" ? { imagesPerSecond: batch / (med / 1000) } : {}),
        peakRssMB: p.peak,
        leakedTensorsPerStep: p.kind === "tfjs" ? p.tensors / p.ms.length : null,
        otherLoadCores: p.otherCpuMs / p.turnWallMs,
        params: p.params,
        date,
      };
      results.push(row);
      if (values.json) console.log(JSON.stringify(row));
    }
    const tfjsParts = parts.filter((p) => p.kind === "tfjs");
    for (const p of tfjsParts.slice(1)) {
      const b = tfjsParts[0]!;
      const paired = p.turnMedians.map((m, i) => m / b.turnMedians[i]!);
      const row: EngineRatioRow = {
        type: "engine-ratio",
        bench,
        ...(generator ? { generator } : {}),
        engine: p.engine,
        baseline: b.engine,
        threads,
        medianMs: median(p.ms),
        baselineMedianMs: median(b.ms),
        ratioMedian: median(p.ms) / median(b.ms),
        pairedRatioRange: [Math.min(...paired), Math.max(...paired)],
      };
      engineRatios.push(row);
      if (values.json) console.log(JSON.stringify(row));
    }
    const torch = parts.find((p) => p.kind === "pytorch");
    for (const p of parts.filter((q) => q.kind === "tfjs" && torch)) {
      const b = torch!;
      const paired = p.turnMedians.map((m, i) => m / b.turnMedians[i]!);
      const row: RatioRow = {
        type: "ratio",
        bench,
        ...(generator ? { generator } : {}),
        engine: p.engine,
        threads,
        tfjsMedianMs: median(p.ms),
        pytorchMedianMs: median(b.ms),
        ratioMedian: median(p.ms) / median(b.ms),
        ratioMin: Math.min(...p.ms) / Math.min(...b.ms),
        ratioCpuMedian: median(p.cpuMs) / median(b.cpuMs),
        pairedRatioRange: [Math.min(...paired), Math.max(...paired)],
      };
      ratios.push(row);
      if (values.json) console.log(JSON.stringify(row));
    }
    if (doProfile) {
      progress(`${what}: profiling one step ...`);
      for (const p of parts) {
        const r = await p.worker.request({ cmd: "profile", top, steps: profileStepCount });
        const row: ProfileRow = {
          type: "profile",
          engine: p.engine,
          bench,
          ...(generator ? { generator } : {}),
          threads: p.threads,
          stepMs: Number(r.stepMs),
          kernelMs: Number(r.kernelMs),
          kernels: r.kernels as ProfileRow["kernels"],
          ...(r.calls ? { calls: r.calls as ProfileRow["calls"] } : {}),
        };
        profiles.push(row);
        if (values.json) console.log(JSON.stringify(row));
      }
    }
  } finally {
    for (const p of parts) await p.worker.close();
  }
}

const threadCounts = values.threads.split(",").map((t) => positiveInt("threads", t.trim()));
try {
  for (const [i, threads] of threadCounts.entries()) {
    progress(
      `${backends.join(", ")} (native ${natives.join(", ")})${
        values.pytorch ? " vs PyTorch" : ""
      }, ` +
        `${threads} thread(s)`,
    );
    await runBench(threads, "unet-step", undefined, false);
    await runBench(threads, "unet-inference", undefined, false);
    for (const [j, g] of generators.entries()) {
      await runBench(threads, "joint-step", g, values.profile && i === 0 && j === 0);
    }
  }
} catch (error) {
  console.error(`bench:engine: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
}

meta.waitedForIdleS = waitedS;
if (values.save) {
  const lines = [...results, ...engineRatios, ...ratios, ...profiles, meta].map((r) =>
    JSON.stringify(r) + "\n"
  );
  Deno.writeTextFileSync(values.save, lines.join(""));
}
if (values.json) {
  console.log(JSON.stringify(meta));
  Deno.exit(0);
}

printReport({
  results,
  engineRatios,
  ratios,
  profiles,
  meta,
  batch,
  size,
  steps,
  date,
  profileStepCount,
  top,
});
