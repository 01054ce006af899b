/**
 * Volume inference throughput: slices/s of `S(x)` and `S(G(x))` over a phantom volume, the
 * reference path (unfolded networks, `grn predict`'s batch of 8, and for SGE a second `G` pass
 * for the `G(x)` output, as the web page does) against the new one (`foldBatchNorm` copies,
 * `--batch` slices per call, `predictVolumeSge` reusing `G(x)`), interleaved in the same run, on
 * the wasm backend with oneDNN and without it (`--native off`), each engine in its own process.
 *
 * Networks: GRN's defaults, `UNet()` (16-32-64-128-256, 7 classes) and `ResUNetGenerator()`
 * (ngf 32), with seeded weights and batch-norm statistics perturbed away from the identity (so
 * the fold folds something). Throughput does not depend on the weights' values.
 *
 * Usage:
 * ```
 * deno task bench:inference [--native onednn,off] [--reps 5] [--batch 16] [--sweep 4,8,16,32]
 *   [--shape 32x32x128] [--size 128x32] [--json]
 * ```
 * `--sweep` also times the new `S(x)` path at each batch size (oneDNN rows only when given).
 * Progress goes to stderr; a Markdown table (or `--json`, one object per line) to stdout.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { predictVolume, predictVolumeSge } from "../data/predict_volume.ts";
import { generatePhantomCohort, phantomToScanRecord } from "../data/phantom/mod.ts";
import { fitImageSlice, unfitChannels } from "../data/slices_fit.ts";
import { readSlice, sliceGeometry, writeSlice } from "../data/slices_geometry.ts";
import { applyWindow, robustWindow } from "../data/slices_normalize.ts";
import type { Volume } from "../data/volume.ts";
import { initEngine } from "../engine/init_engine.ts";
import type { ImageBatch } from "../engine/tensor_types.ts";
import { foldBatchNorm } from "../networks/fold_batch_norm.ts";
import type { ModuleBase } from "../networks/module_base.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { UNet } from "../networks/unet.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    worker: { type: "boolean", default: false },
    native: { type: "string", default: "onednn,off" },
    reps: { type: "string", default: "5" },
    batch: { type: "string", default: "16" },
    sweep: { type: "string", default: "" },
    shape: { type: "string", default: "32x32x128" },
    size: { type: "string", default: "128x32" },
    json: { type: "boolean", default: false },
  },
});

const dims = (s: string, n: number) => {
  const v = s.split("x").map(Number);
  if (v.length !== n || v.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new RangeError(`Cannot run bench/inference.ts: expected ${n} sizes AxB.. (got ${s})`);
  }
  return v;
};

/** One timed measurement of a worker. */
interface Row {
  native: string;
  path: "reference" | "new" | "sweep";
  task: "S(x)" | "S(G(x))+G(x)";
  batch: number;
  folded: boolean;
  seconds: number[];
  slices: number;
}

function perturbNorms(net: ModuleBase, seed: number): void {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  net.variableNames.forEach((name, i) => {
    const leaf = name.slice(name.lastIndexOf(".") + 1);
    const [lo, hi] = leaf === "runningVariance"
      ? [0.2, 2]
      : leaf === "gamma"
      ? [0.5, 1.5]
      : leaf === "beta" || leaf === "runningMean"
      ? [-0.5, 0.5]
      : [NaN, NaN];
    if (Number.isNaN(lo)) return;
    const v = net.variables[i]!;
    const values = Float32Array.from({ length: v.size }, () => lo! + (hi! - lo!) * next());
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  });
}

/** G(x) of every slice of one direction, as the web page's separate pass computes it. */
async function enhancePass(
  image: Volume<Float32Array>,
  g: (x: ImageBatch) => ImageBatch,
  height: number,
  width: number,
  batchSize: number,
): Promise<Float32Array> {
  const windowed = applyWindow(image.data, robustWindow(image.data));
  const geometry = sliceGeometry(image.shape, "coronal", image.depthAxis ?? 2);
  const { rows, cols, count } = geometry;
  const out = new Float32Array(windowed.length);
  const native = new Float32Array(rows * cols);
  const pixels = height * width;
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const batch = new Float32Array(b * pixels);
    for (let k = 0; k < b; k++) {
      readSlice(windowed, geometry, start + k, native);
      fitImageSlice(
        native,
        rows,
        cols,
        height,
        width,
        "resize",
        -1,
        batch.subarray(k * pixels, (k + 1) * pixels),
      );
    }
    const t = tf.tidy(() => g(tf.tensor4d(batch, [b, height, width, 1])));
    const values = (await t.data()) as Float32Array;
    t.dispose();
    for (let k = 0; k < b; k++) {
      const back = unfitChannels(
        values.subarray(k * pixels, (k + 1) * pixels),
        height,
        width,
        1,
        rows,
        cols,
        "resize",
      );
      writeSlice(out, geometry, start + k, back);
    }
  }
  return out;
}

async function worker(): Promise<void> {
  const native = args.native as "onednn" | "off";
  const reps = Number(args.reps);
  const batch = Number(args.batch);
  const sweep = args.sweep ? args.sweep.split(",").map(Number) : [];
  const shape = dims(args.shape!, 3) as [number, number, number];
  const [height, width] = dims(args.size!, 2) as [number, number];
  await initEngine({ backend: "wasm", native, threads: 1, log: (l) => console.error(l) });
  const { scans } = generatePhantomCohort({
    participants: 1,
    scansPerParticipant: 1,
    shape,
    seed: 1,
  });
  const image = phantomToScanRecord(scans[0]!).image;
  const slices = shape[0] + shape[1];
  const s = new UNet({ seed: 1 });
  const g = new ResUNetGenerator({ seed: 2 });
  perturbNorms(s, 3);
  perturbNorms(g, 4);
  const fs = foldBatchNorm(s);
  const fg = foldBatchNorm(g);
  const inputSize = [height, width] as const;
  const unfoldedS = (x: ImageBatch) => s.apply(x);
  const unfoldedG = (x: ImageBatch) => g.apply(x);
  const foldedS = (x: ImageBatch) => fs.apply(x);
  const foldedG = (x: ImageBatch) => fg.apply(x);
  const REF = 8;

  type Job = { row: Row; run: () => Promise<unknown> };
  const job = (
    path: Row["path"],
    task: Row["task"],
    b: number,
    folded: boolean,
    run: () => Promise<unknown>,
  ): Job => ({ row: { native, path, task, batch: b, folded, seconds: [], slices }, run });
  const jobs: Job[] = [
    job(
      "reference",
      "S(x)",
      REF,
      false,
      () => predictVolume(image, unfoldedS, { inputSize, batchSize: REF }),
    ),
    job(
      "new",
      "S(x)",
      batch,
      true,
      () => predictVolume(image, foldedS, { inputSize, batchSize: batch }),
    ),
    job("reference", "S(G(x))+G(x)", REF, false, async () => {
      await predictVolume(image, (x) => unfoldedS(unfoldedG(x)), { inputSize, batchSize: REF });
      await enhancePass(image, unfoldedG, height, width, REF);
    }),
    job(
      "new",
      "S(G(x))+G(x)",
      batch,
      true,
      () =>
        predictVolumeSge(image, { enhance: foldedG, segment: foldedS }, {
          inputSize,
          batchSize: batch,
          enhancedDirection: "coronal",
        }),
    ),
    ...sweep.flatMap((b) => [
      job(
        "sweep",
        "S(x)",
        b,
        false,
        () => predictVolume(image, unfoldedS, { inputSize, batchSize: b }),
      ),
      job(
        "sweep",
        "S(x)",
        b,
        true,
        () => predictVolume(image, foldedS, { inputSize, batchSize: b }),
      ),
    ]),
  ];
  // Warm-up (plans, kernels), then `reps` turns in rotating order.
  for (const j of jobs) await j.run();
  const tensors = tf.memory().numTensors;
  for (let r = 0; r < reps; r++) {
    const order = jobs.map((_, i) => jobs[(i + r) % jobs.length]!);
    for (const j of order) {
      const t0 = performance.now();
      await j.run();
      j.row.seconds.push((performance.now() - t0) / 1000);
    }
    console.error(`bench/inference: ${native} turn ${r + 1}/${reps}`);
  }
  const leaked = tf.memory().numTensors - tensors;
  for (const j of jobs) console.log(JSON.stringify({ ...j.row, leaked }));
  for (const m of [fs, fg, s, g]) m.dispose();
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const rows: (Row & { leaked: number })[] = [];
  for (const native of args.native!.split(",")) {
    const self = new URL(import.meta.url).pathname;
    const pass = ["reps", "batch", "shape", "size"].flatMap((k) => [
      `--${k}`,
      String(args[k as keyof typeof args]),
    ]);
    const sweep = args.sweep ? ["--sweep", args.sweep] : [];
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", self, "--worker", "--native", native, ...pass, ...sweep],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (code !== 0) throw new Error(`Cannot run the ${native} worker: it exited with ${code}`);
    for (const line of new TextDecoder().decode(stdout).split("\n")) {
      if (line.startsWith("{")) rows.push(JSON.parse(line));
    }
  }
  if (args.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  const engine = (n: string) => (n === "off" ? "tfjs-wasm" : "tfjs-wasm+onednn");
  console.log(
    "| engine | task | path | batch | folded | median s | slices/s | new / reference (median) | per-turn range | leaked tensors |",
  );
  console.log("| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const ref = rows.find((q) =>
      q.native === r.native && q.task === r.task && q.path === "reference"
    )!;
    const speed = (sec: number) => r.slices / sec;
    const ratios = r.seconds.map((sec, i) => ref.seconds[i]! / sec);
    const gain = r.path === "reference"
      ? "1.00x"
      : `${(median(ref.seconds) / median(r.seconds)).toFixed(2)}x`;
    console.log(
      `| ${engine(r.native)} | ${r.task} | ${r.path} | ${r.batch} | ${r.folded ? "yes" : "no"} | ${
        median(r.seconds).toFixed(2)
      } | ${speed(median(r.seconds)).toFixed(1)} | ${gain} | ${
        r.path === "reference"
          ? "-"
          : `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x`
      } | ${r.leaked} |`,
    );
  }
}

if (args.worker) await worker();
else await main();
