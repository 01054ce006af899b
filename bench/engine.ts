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
 *   [--profile [--profile-steps 3] [--top 20]] [--idle 0.3 [--idle-timeout 60]] [--warmup 1] [--block 1] [--backend wasm] [--size 128]
 *   [--batch 4] [--save results.jsonl]
 * ```
 *
 * - `--steps`: timed steps per bench, engine and thread count (after `--warmup` untimed ones).
 * - `--native`: the engine's native kernel provider (`initEngine({ native })`); a list runs one
 *   tfjs variant per entry, e.g. `off,onednn` for the pure-wasm kernels and wasm + oneDNN.
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
 * @module
 */
// deno-lint-ignore-file no-console
import os from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import type { Generator } from "../networks/generator.ts";
import { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import { ResNetGenerator } from "../networks/resnet_generator.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { UNet } from "../networks/unet.ts";
import { GRN } from "../trainers/grn.ts";

type BenchName = "unet-step" | "unet-inference" | "joint-step";
type GeneratorName = "resunet" | "resnet";

/** One measured configuration (`type: "result"` in JSON). */
interface Row {
  type: "result";
  bench: BenchName;
  /** Generator of the joint step; absent for the UNet benches. */
  generator?: GeneratorName;
  /** `tfjs-wasm`, `tfjs-wasm+onednn` (native kernels), ... or `pytorch`. */
  engine: string;
  /** The `--native` choice of a tfjs row (absent for PyTorch). */
  native?: string;
  threads: number;
  batch: number;
  size: number;
  steps: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /**
   * Median CPU time (user + system, all threads) per step. At 1 thread it is nearly immune to
   * other processes taking turns on the cores; at 2 threads it includes spin-waiting.
   */
  cpuMedianMs: number;
  /** Images per second at the median (inference only). */
  imagesPerSecond?: number;
  /** Peak resident set size of the worker process (`getrusage` max RSS). */
  peakRssMB: number;
  /** Tensors left behind per timed step (tfjs only; `null` for PyTorch). */
  leakedTensorsPerStep: number | null;
  /**
   * Mean number of cores used by other processes (machine-wide busy time minus this worker's
   * CPU time) while this row's steps ran: the noise indicator.
   */
  otherLoadCores: number;
  /** Trainable parameters per network (S, G, D). */
  params: Record<string, number>;
  date: string;
}

/** A tfjs variant / PyTorch for one configuration (`type: "ratio"` in JSON). */
interface RatioRow {
  type: "ratio";
  bench: BenchName;
  generator?: GeneratorName;
  /** The tfjs variant compared. */
  engine: string;
  threads: number;
  tfjsMedianMs: number;
  pytorchMedianMs: number;
  /** tfjs median / PyTorch median. */
  ratioMedian: number;
  /** tfjs min / PyTorch min. */
  ratioMin: number;
  /** tfjs median CPU time / PyTorch median CPU time (robust to load at 1 thread). */
  ratioCpuMedian: number;
  /** Smallest and largest ratio of the per-turn medians of the same turn. */
  pairedRatioRange: [number, number];
}

/** Time per kernel of a profiled step (`type: "profile"` in JSON). */
interface ProfileRow {
  type: "profile";
  engine: string;
  bench: BenchName;
  generator?: GeneratorName;
  threads: number;
  /** Wall time of a profiled step (mean; profiling adds overhead). */
  stepMs: number;
  /** Sum of the kernel times (wrappers excluded). */
  kernelMs: number;
  /**
   * Per kernel name, largest first. `wrapper`: not a kernel but an op made of other ops
   * (`tf.customGrad`, shown as "unnamed scope"); its time includes the kernels it ran.
   */
  kernels: { name: string; ms: number; count: number; wrapper?: boolean }[];
  /** Per kernel name and input shapes, largest first (tfjs only). */
  calls?: { name: string; shapes: string; ms: number; count: number }[];
}

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
  "[--idle-timeout 60]] [--warmup 1] [--block 1] [--backend wasm|cpu|tensorflow] [--size 128] " +
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

/** Peak RSS of this process in MiB (`getrusage`'s max RSS, in KiB on Linux). */
function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

// ------------------------------------------------------------------------------------------
// Line-oriented JSON protocol between the orchestrator and its workers

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
  if (buffer.length > 0) yield buffer;
}

const encoder = new TextEncoder();

function writeLine(value: unknown): void {
  const bytes = encoder.encode(JSON.stringify(value) + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

type Message = Record<string, unknown> & { cmd: string };
type Reply = Record<string, unknown> & { reply: string; error?: string };

// ------------------------------------------------------------------------------------------
// The tfjs worker

interface Setup {
  step: () => void | Promise<void>;
  params: Record<string, number>;
  dispose: () => void;
}

function countParams(variables: readonly tf.Variable[]): number {
  return variables.reduce((n, v) => n + v.size, 0);
}

function makeGenerator(name: GeneratorName): Generator {
  return name === "resnet" ? new ResNetGenerator({ seed: 2 }) : new ResUNetGenerator({ seed: 2 });
}

/** Builds the networks and data of one bench. */
function setupBench(bench: BenchName, generator: GeneratorName, b: number, s: number): Setup {
  const images = tf.randomUniform([b, s, s, 1], -1, 1, "float32", 1) as tf.Tensor4D;
  const labels = tf.randomUniform([b, s, s], 0, 7, "int32", 2) as tf.Tensor3D;
  const data = { images, labels };
  const segmentor = new UNet({ seed: 1 });
  const params: Record<string, number> = { S: countParams(segmentor.trainableVariables) };
  let grn: GRN;
  let step: Setup["step"];
  if (bench === "joint-step") {
    const g = makeGenerator(generator);
    const discriminator = new PatchGANDiscriminator({ seed: 3 });
    params.G = countParams(g.trainableVariables);
    params.D = countParams(discriminator.trainableVariables);
    grn = new GRN({ segmentor, generator: g, discriminator, mode: "sel", seed: 1 });
    step = () => void grn.step(data);
  } else {
    grn = new GRN({ segmentor, seed: 1 });
    step = bench === "unet-step" ? () => void grn.step(data) : async () => {
      const out = grn.predict(images);
      await out.data();
      out.dispose();
    };
  }
  return { step, params, dispose: () => (grn.dispose(), tf.dispose([images, labels])) };
}

/**
 * Times every kernel of `n` steps with `tf.profile`, grouped by name and by input shapes;
 * times and call counts are per step (means over the `n` steps).
 */
async function profileSteps(step: Setup["step"], n: number, topCalls: number) {
  const t0 = performance.now();
  const kernels: Awaited<ReturnType<typeof tf.profile>>["kernels"] = [];
  for (let i = 0; i < n; i++) {
    const info = await tf.profile(async () => {
      await step();
    });
    kernels.push(...info.kernels);
  }
  const stepMs = (performance.now() - t0) / n;
  const byName = new Map<string, { name: string; ms: number; count: number; wrapper?: boolean }>();
  const backend = tf.getBackend();
  const byCall = new Map<string, { name: string; shapes: string; ms: number; count: number }>();
  let kernelMs = 0;
  for (const k of kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    // Ops made of other ops (customGrad) are profiled around their inner kernels, which are
    // listed too: keep them out of the total.
    const wrapper = tf.getKernel(k.name, backend) === undefined;
    if (!wrapper) kernelMs += ms;
    const a = byName.get(k.name) ??
      { name: k.name, ms: 0, count: 0, ...(wrapper ? { wrapper } : {}) };
    a.ms += ms;
    a.count++;
    byName.set(k.name, a);
    const shapes = k.inputShapes.map((s) => `[${s}]`).join(" ");
    const key = `${k.name} ${shapes}`;
    const c = byCall.get(key) ?? { name: k.name, shapes, ms: 0, count: 0 };
    c.ms += ms;
    c.count++;
    byCall.set(key, c);
  }
  const perStep = <T extends { ms: number; count: number }>(x: T): T => ({
    ...x,
    ms: x.ms / n,
    count: x.count / n,
  });
  return {
    stepMs,
    kernelMs: kernelMs / n,
    kernels: [...byName.values()].sort((a, b) => b.ms - a.ms).map(perStep),
    calls: [...byCall.values()].sort((a, b) => b.ms - a.ms).slice(0, topCalls).map(perStep),
  };
}

async function runWorker(threads: number, native: NativeChoice): Promise<void> {
  const engine = await initEngine({
    backend: values.backend as "wasm",
    threads,
    native,
    log: () => {},
  });
  let current: Setup | null = null;
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    const msg = JSON.parse(line) as Message;
    const reply: Reply = { reply: msg.cmd };
    try {
      switch (msg.cmd) {
        case "info":
          Object.assign(reply, {
            engine: engine.native
              ? `tfjs-${engine.backend}+${engine.native.library}`
              : `tfjs-${engine.backend}`,
            threads: engine.threads,
            version: tf.version.tfjs,
            deno: Deno.version.deno,
            native: engine.native
              ? `${engine.native.library} ${engine.native.version}`
              : engine.skipped.join("; ") || null,
          });
          break;
        case "setup": {
          current?.dispose();
          current = setupBench(
            msg.bench as BenchName,
            msg.generator as GeneratorName,
            Number(msg.batch),
            Number(msg.size),
          );
          const warm: number[] = [];
          for (let i = 0; i < Number(msg.warmup ?? 1); i++) {
            const t0 = performance.now();
            await current.step();
            warm.push(performance.now() - t0);
          }
          Object.assign(reply, { params: current.params, warmupMs: warm });
          break;
        }
        case "run": {
          if (!current) throw new Error("run before setup");
          const ms: number[] = [];
          const cpuMs: number[] = [];
          const before = tf.memory().numTensors;
          for (let i = 0; i < Number(msg.steps); i++) {
            const c0 = process.cpuUsage();
            const t0 = performance.now();
            await current.step();
            ms.push(performance.now() - t0);
            const c = process.cpuUsage(c0);
            cpuMs.push((c.user + c.system) / 1000);
          }
          Object.assign(reply, {
            ms,
            cpuMs,
            peakRssMB: peakRssMB(),
            tensors: tf.memory().numTensors - before,
          });
          break;
        }
        case "profile":
          if (!current) throw new Error("profile before setup");
          Object.assign(
            reply,
            await profileSteps(current.step, Number(msg.steps ?? 1), Number(msg.top ?? 20)),
          );
          break;
        case "exit":
          current?.dispose();
          writeLine(reply);
          return;
        default:
          throw new Error(`unknown command ${JSON.stringify(msg.cmd)}`);
      }
    } catch (error) {
      reply.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    writeLine(reply);
  }
}

if (values.worker) {
  await runWorker(Number(values.threads), values.native as NativeChoice);
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

/** A long-lived worker process answering one JSON line per command. */
class WorkerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncGenerator<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly label: string;

  constructor(label: string, command: string, args: string[], env: Record<string, string> = {}) {
    this.label = label;
    this.#child = new Deno.Command(command, {
      args,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = readLines(this.#child.stdout);
    this.#stdin = this.#child.stdin.getWriter();
  }

  async request(msg: Message): Promise<Reply> {
    await this.#stdin.write(encoder.encode(JSON.stringify(msg) + "\n"));
    for (;;) {
      const next = await this.#lines.next();
      if (next.done) {
        const status = await this.#child.status;
        throw new Error(
          `the ${this.label} worker exited during "${msg.cmd}" (exit code ${status.code}${
            status.signal ? `, signal ${status.signal}` : ""
          }; out of memory, or a missing interpreter or library?)`,
        );
      }
      let reply: Reply | null = null;
      try {
        reply = JSON.parse(next.value) as Reply;
      } catch {
        reply = null;
      }
      if (reply && typeof reply === "object" && reply.reply === msg.cmd) {
        if (reply.error) throw new Error(`the ${this.label} worker failed: ${reply.error}`);
        return reply;
      }
      // Anything else a library printed goes to stderr, not into the results.
      console.error(`[${this.label}] ${next.value}`);
    }
  }

  async close(): Promise<void> {
    try {
      await this.request({ cmd: "exit" });
      await this.#stdin.close();
    } catch {
      // already gone
    }
    await this.#child.status;
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
function machineInfo(): { cpu: string; cores: number; memoryGB: number } {
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
  const list: Participant[] = natives.map((native) => ({
    kind: "tfjs",
    native,
    worker: new WorkerProcess(`tfjs (native ${native}) ${threads}-thread`, Deno.execPath(), [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-ffi",
      selfPath,
      "--worker",
      `--threads=${threads}`,
      `--backend=${values.backend}`,
      `--native=${native}`,
    ]),
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
        meta[`native ${p.native}`] = info.native;
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
      `${values.backend} (native ${natives.join(", ")})${values.pytorch ? " vs PyTorch" : ""}, ` +
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
  const lines = [...results, ...ratios, ...profiles, meta].map((r) => JSON.stringify(r) + "\n");
  Deno.writeTextFileSync(values.save, lines.join(""));
}
if (values.json) {
  console.log(JSON.stringify(meta));
  Deno.exit(0);
}

// ------------------------------------------------------------------------------------------
// Markdown report

const fmt = (x: number, digits = 0) => x.toFixed(digits);
const name = (r: { bench: string; generator?: string }) =>
  r.generator ? `${r.bench} (${r.generator})` : r.bench;
const machine = meta.machine as ReturnType<typeof machineInfo>;
console.log(
  `\nEngine benchmark, batch ${batch}, 1x${size}x${size}, 7 classes, ${steps} timed steps per ` +
    `row (${date.slice(0, 10)}; ${machine.cpu}, ${machine.cores} cores, ${
      fmt(machine.memoryGB)
    } GB; Deno ${Deno.version.deno}, tfjs ${meta.tfjs ?? "?"}${
      meta.pytorch ? `, PyTorch ${meta.pytorch}` : ""
    })`,
);
console.log(
  "| bench | engine | threads | median ms | min ms | CPU ms (median) | images/s | peak RSS MB " +
    "| leaked tensors/step | other load (cores) |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${name(r)} | ${r.engine} | ${r.threads} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${
      fmt(r.cpuMedianMs)
    } | ${r.imagesPerSecond !== undefined ? fmt(r.imagesPerSecond, 1) : "-"} | ${
      fmt(r.peakRssMB)
    } | ${r.leakedTensorsPerStep ?? "-"} | ${fmt(r.otherLoadCores, 2)} |`,
  );
}
if (ratios.length > 0) {
  console.log("\nRatio tfjs / PyTorch (same run, interleaved)");
  console.log(
    "| bench | engine | threads | tfjs median | PyTorch median | ratio of medians | ratio of mins " +
      "| per-turn range | ratio of CPU medians |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of ratios) {
    console.log(
      `| ${name(r)} | ${r.engine} | ${r.threads} | ${fmt(r.tfjsMedianMs)} | ${
        fmt(r.pytorchMedianMs)
      } | ${fmt(r.ratioMedian, 2)}x | ${fmt(r.ratioMin, 2)}x | ${fmt(r.pairedRatioRange[0], 2)}-${
        fmt(r.pairedRatioRange[1], 2)
      }x | ${fmt(r.ratioCpuMedian, 2)}x |`,
    );
  }
}
for (const p of profiles) {
  console.log(
    `\nProfile of a ${name(p)} step (mean of ${profileStepCount}), ${p.engine}, ${p.threads} ` +
      `thread(s): step ${fmt(p.stepMs)} ms, kernels ${fmt(p.kernelMs)} ms`,
  );
  console.log("| kernel | ms | share | calls |");
  console.log("|---|---|---|---|");
  for (const k of p.kernels.slice(0, top)) {
    const label = k.wrapper ? `${k.name} (wrapper, includes its kernels)` : k.name;
    const share = k.wrapper ? "-" : `${fmt((100 * k.ms) / p.kernelMs, 1)} %`;
    console.log(`| ${label} | ${fmt(k.ms)} | ${share} | ${fmt(k.count)} |`);
  }
  if (p.calls) {
    console.log(`\nTop ${p.calls.length} kernel calls by input shapes (${p.engine})`);
    console.log("| kernel | input shapes | ms | calls |");
    console.log("|---|---|---|---|");
    for (const c of p.calls) {
      console.log(`| ${c.name} | ${c.shapes} | ${fmt(c.ms)} | ${fmt(c.count)} |`);
    }
  }
}
