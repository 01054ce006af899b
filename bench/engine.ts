/**
 * Engine benchmark: median milliseconds per training step (forward + backward + Adam) of
 * (a) the paper's 2-D UNet alone and (b) a joint generator + segmentor + discriminator step
 * (one GRN-SEL iteration), batch 4, 1x128x128 input, 7 classes, at 1 and 2 threads; inference
 * images/s; peak RSS; tensors leaked per step.
 *
 * Usage: `deno task bench:engine [--json] [--steps N] [--threads 1,2] [--backend wasm]`
 *
 * Each thread count runs in its own process (wasm threads are fixed per process). With
 * `--json`, one JSON object per line goes to stdout.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../engine/init_engine.ts";
import { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { UNet } from "../networks/unet.ts";
import { GRN } from "../trainers/grn.ts";

interface Row {
  bench: "unet-step" | "joint-step" | "unet-inference";
  backend: string;
  threads: number;
  batch: number;
  size: number;
  steps: number;
  medianMs: number;
  minMs: number;
  imagesPerSecond?: number;
  peakRssMB: number;
  leakedTensorsPerStep: number;
  date: string;
}

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    steps: { type: "string", default: "7" },
    threads: { type: "string", default: "1,2" },
    backend: { type: "string", default: "wasm" },
    size: { type: "string", default: "128" },
    batch: { type: "string", default: "4" },
    child: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "deno task bench:engine [--json] [--steps 7] [--threads 1,2] [--backend wasm|cpu|tensorflow] [--size 128] [--batch 4]",
  );
  Deno.exit(0);
}

const steps = Number(values.steps), size = Number(values.size), batch = Number(values.batch);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function runChild(threads: number): Promise<Row[]> {
  const engine = await initEngine({ backend: values.backend as "wasm", threads, log: () => {} });
  const date = new Date().toISOString();
  let peak = 0;
  const sample = () => (peak = Math.max(peak, Deno.memoryUsage().rss));
  const images = tf.randomUniform([batch, size, size, 1], -1, 1, "float32", 1) as tf.Tensor4D;
  const labels = tf.randomUniform([batch, size, size], 0, 7, "int32", 2) as tf.Tensor3D;
  const rows: Row[] = [];

  const time = (name: Row["bench"], grn: GRN, stepFn: () => void) => {
    stepFn(); // warm-up: builds XNNPACK operators, grows the heap
    sample();
    const before = tf.memory().numTensors;
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      stepFn();
      ms.push(performance.now() - t0);
      sample();
    }
    const leaked = (tf.memory().numTensors - before) / steps;
    rows.push({
      bench: name,
      backend: engine.backend,
      threads: engine.threads,
      batch,
      size,
      steps,
      medianMs: median(ms),
      minMs: Math.min(...ms),
      peakRssMB: peak / 2 ** 20,
      leakedTensorsPerStep: leaked,
      date,
    });
    void grn;
  };

  const unet = new GRN({ segmentor: new UNet({ seed: 1 }), seed: 1 });
  time("unet-step", unet, () => unet.step({ images, labels }));
  // Inference throughput of the segmentor alone.
  const inf: number[] = [];
  tf.dispose(unet.predict(images));
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const out = unet.predict(images);
    await out.data();
    out.dispose();
    inf.push(performance.now() - t0);
  }
  sample();
  rows.push({
    bench: "unet-inference",
    backend: engine.backend,
    threads: engine.threads,
    batch,
    size,
    steps,
    medianMs: median(inf),
    minMs: Math.min(...inf),
    imagesPerSecond: batch / (median(inf) / 1000),
    peakRssMB: peak / 2 ** 20,
    leakedTensorsPerStep: (tf.memory().numTensors - before) / steps,
    date,
  });
  unet.dispose();

  const joint = new GRN({
    segmentor: new UNet({ seed: 1 }),
    generator: new ResUNetGenerator({ seed: 2 }),
    discriminator: new PatchGANDiscriminator({ seed: 3 }),
    mode: "sel",
    seed: 1,
  });
  time("joint-step", joint, () => joint.step({ images, labels }));
  joint.dispose();
  tf.dispose([images, labels]);
  return rows;
}

if (values.child) {
  const rows = await runChild(Number(values.threads));
  console.log(JSON.stringify(rows));
  Deno.exit(0);
}

const all: Row[] = [];
for (const threads of values.threads.split(",").map(Number)) {
  const args = [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    "--allow-ffi",
    new URL(import.meta.url).pathname,
    "--child",
    `--threads=${threads}`,
    `--steps=${steps}`,
    `--backend=${values.backend}`,
    `--size=${size}`,
    `--batch=${batch}`,
  ];
  if (!values.json) {
    console.error(
      `bench:engine: ${values.backend}, ${threads} thread(s), ${steps} timed steps each ...`,
    );
  }
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" })
    .output();
  if (!out.success) {
    console.error(`bench:engine: the ${threads}-thread run failed (exit code ${out.code})`);
    Deno.exit(1);
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const rows = JSON.parse(lines[lines.length - 1]!) as Row[];
  all.push(...rows);
  if (values.json) { for (const r of rows) console.log(JSON.stringify(r)); }
}

if (!values.json) {
  console.log(
    `\nEngine benchmark, batch ${batch}, 1x${size}x${size}, 7 classes (${
      new Date().toISOString().slice(0, 10)
    })`,
  );
  console.log(
    "| bench | backend | threads | median ms | min ms | images/s | peak RSS MB | leaked tensors/step |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of all) {
    console.log(
      `| ${r.bench} | ${r.backend} | ${r.threads} | ${r.medianMs.toFixed(0)} | ${
        r.minMs.toFixed(0)
      } | ${r.imagesPerSecond?.toFixed(1) ?? "-"} | ${
        r.peakRssMB.toFixed(0)
      } | ${r.leakedTensorsPerStep} |`,
    );
  }
}
