/**
 * The rows the engine benchmark measures and its Markdown report.
 * @module
 */
// deno-lint-ignore-file no-console
import type { BenchName, GeneratorName } from "./_engine_protocol.ts";

/** One measured configuration (`type: "result"` in JSON). */
export interface Row {
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
export interface RatioRow {
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

/**
 * One tfjs engine against the first engine of the same run (`type: "engine-ratio"` in JSON),
 * e.g. webgpu against wasm, their steps interleaved.
 */
export interface EngineRatioRow {
  type: "engine-ratio";
  bench: BenchName;
  generator?: GeneratorName;
  /** The engine compared, e.g. `tfjs-webgpu [software adapter: llvmpipe ...]`. */
  engine: string;
  /** The first engine of the run, e.g. `tfjs-wasm+onednn`. */
  baseline: string;
  threads: number;
  medianMs: number;
  baselineMedianMs: number;
  /** engine median / baseline median. */
  ratioMedian: number;
  /** Smallest and largest ratio of the per-turn medians of the same turn. */
  pairedRatioRange: [number, number];
}

/** Time per kernel of a profiled step (`type: "profile"` in JSON). */
export interface ProfileRow {
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

/** CPU model, logical cores and memory of a machine. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGB: number;
}

/** What {@linkcode printReport} prints. */
export interface EngineReport {
  results: readonly Row[];
  /** Each tfjs engine after the first against the first (empty with one engine). */
  engineRatios: readonly EngineRatioRow[];
  ratios: readonly RatioRow[];
  profiles: readonly ProfileRow[];
  /** The `type: "meta"` record (`machine`, `tfjs`, `pytorch`, ...). */
  meta: Readonly<Record<string, unknown>>;
  batch: number;
  size: number;
  steps: number;
  /** ISO date of the run. */
  date: string;
  /** Profiled steps per profile (their mean is shown). */
  profileStepCount: number;
  /** Kernels listed per profile. */
  top: number;
}

const fmt = (x: number, digits = 0) => x.toFixed(digits);
const name = (r: { bench: string; generator?: string }) =>
  r.generator ? `${r.bench} (${r.generator})` : r.bench;

/** Prints the Markdown report of a run on stdout: results, ratios to PyTorch, profiles. */
export function printReport(report: EngineReport): void {
  const {
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
  } = report;
  const machine = meta.machine as MachineInfo;
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
  if (meta.webgpuAdapter) console.log(`\nWebGPU adapter: ${meta.webgpuAdapter}`);
  if (engineRatios.length > 0) {
    console.log(`\nTime relative to ${engineRatios[0]!.baseline} (same run, interleaved)`);
    console.log(
      "| bench | engine | threads | median ms | baseline median ms | ratio | per-turn range |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of engineRatios) {
      console.log(
        `| ${name(r)} | ${r.engine} | ${r.threads} | ${fmt(r.medianMs)} | ${
          fmt(r.baselineMedianMs)
        } | ${fmt(r.ratioMedian, 2)}x | ${fmt(r.pairedRatioRange[0], 2)}-${
          fmt(r.pairedRatioRange[1], 2)
        }x |`,
      );
    }
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
}
