/**
 * The worker process of the engine benchmark: builds the networks of one bench and times its
 * steps on the command of the driver (`bench/engine.ts`), over the line protocol of
 * `_engine_protocol.ts`.
 * @module
 */
import process from "node:process";
import * as tf from "@tensorflow/tfjs";
import { type EngineInfo, initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { describeAdapter } from "../engine/webgpu/adapter.ts";
import type { Generator } from "../networks/generator.ts";
import { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import { ResNetGenerator } from "../networks/resnet_generator.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { UNet } from "../networks/unet.ts";
import { GRN } from "../trainers/grn.ts";
import {
  type BenchName,
  type GeneratorName,
  type Message,
  readLines,
  type Reply,
  writeLine,
} from "./_engine_protocol.ts";

/** Peak RSS of this process in MiB (`getrusage`'s max RSS, in KiB on Linux). */
function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export interface Setup {
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

/**
 * The engine's label in the rows: `tfjs-wasm`, `tfjs-wasm+onednn`, and for webgpu the adapter
 * and whether it is software (its times then say nothing about a GPU).
 */
function engineLabel(engine: EngineInfo): string {
  if (engine.native) return `tfjs-${engine.backend}+${engine.native.library}`;
  const gpu = engine.backend === "webgpu" ? engine.webgpu : null;
  if (gpu?.found) {
    const name = gpu.description || gpu.device || "unnamed adapter";
    return `tfjs-webgpu [${gpu.software ? "software adapter" : "GPU"}: ${name}]`;
  }
  return `tfjs-${engine.backend}`;
}

/** Builds the networks and data of one bench (also used by `_engine_adam.ts`). */
export function setupBench(
  bench: BenchName,
  generator: GeneratorName,
  b: number,
  s: number,
  asyncSteps: boolean,
): Setup {
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
    step = asyncSteps ? async () => void await grn.stepAsync(data) : () => void grn.step(data);
  } else {
    grn = new GRN({ segmentor, seed: 1 });
    const train = asyncSteps
      ? async () => void await grn.stepAsync(data)
      : () => void grn.step(data);
    step = bench === "unet-step" ? train : async () => {
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

/**
 * Serves the commands of the driver on stdin (`info`, `setup`, `run`, `profile`, `exit`) until
 * `exit`, on an engine initialised with `backend`, `threads` and `native`.
 */
export async function runWorker(
  threads: number,
  native: NativeChoice,
  backend: string,
): Promise<void> {
  const engine = await initEngine({
    backend: backend as "wasm",
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
            engine: engineLabel(engine),
            ...(engine.webgpu?.found && engine.backend === "webgpu"
              ? { adapter: describeAdapter(engine.webgpu) }
              : {}),
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
            // webgpu in Deno has no synchronous read-back; GRN.stepAsync also waits for the
            // device, so that a timed step includes its work.
            engine.backend === "webgpu",
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
