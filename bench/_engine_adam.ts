/**
 * Adam in one call vs Adam per variable, same process, interleaved: times the engine
 * benchmark's joint step (resunet) and UNet step with `setAdamInPlace(true)` and `(false)`
 * alternately (new-old, old-new, …) on the same networks, so that both paths see the same
 * machine load. Both paths give bit-identical weights (`tests/engine/adam_in_place_test.ts`),
 * so alternating does not change what is trained.
 *
 * ```sh
 * deno run -A bench/_engine_adam.ts [--native onednn,off] [--steps 8] [--bench joint-step,unet-step,adam]
 * ```
 *
 * `adam` times `Adam.apply` alone: one optimizer over the variables of the joint step's three
 * networks (UNet, ResUNet generator, PatchGAN discriminator; 162 variables, 8.1 M
 * parameters) with fixed random gradients.
 *
 * Each `--native` value runs in its own process (1 thread, batch 4, 1x128x128, one warm-up
 * step per path). Prints per bench: median wall and CPU ms of each path, the ratio of medians
 * (old / new: above 1 means the one-call path is faster) and the range of the per-pair ratios.
 * @module
 */
// deno-lint-ignore-file no-console
import process from "node:process";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { Adam, setAdamInPlace } from "../engine/adam.ts";
import { initEngine } from "../engine/init_engine.ts";
import type { NativeChoice } from "../engine/native/provider.ts";
import { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { UNet } from "../networks/unet.ts";
import type { BenchName } from "./_engine_protocol.ts";
import { setupBench } from "./_engine_worker.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    native: { type: "string", default: "onednn,off" },
    steps: { type: "string", default: "8" },
    bench: { type: "string", default: "joint-step,unet-step,adam" },
    child: { type: "boolean", default: false },
  },
});
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 2) {
  throw new RangeError(
    `Cannot run the Adam bench: --steps must be an integer >= 2 (got ${values.steps})`,
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  engine: string;
  bench: string;
  newMs: number[];
  oldMs: number[];
  newCpuMs: number[];
  oldCpuMs: number[];
  leaked: number;
}

/** `Adam.apply` alone over the joint step's variables, with fixed gradients. */
function adamSetup(): { step: () => void; dispose: () => void } {
  const nets = [
    new UNet({ seed: 1 }),
    new ResUNetGenerator({ seed: 2 }),
    new PatchGANDiscriminator({ seed: 3 }),
  ];
  const vars = nets.flatMap((n) => n.trainableVariables);
  const adam = new Adam(vars, vars.map((_, i) => `v${i}`));
  const grads = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1e-3, "float32", i + 1));
  return {
    step: () => adam.apply(grads),
    dispose: () => (adam.dispose(), tf.dispose(grads), nets.forEach((n) => n.dispose())),
  };
}

async function child(native: NativeChoice): Promise<void> {
  const engine = await initEngine({ backend: "wasm", threads: 1, native, log: () => {} });
  const label = engine.native ? `tfjs-wasm+${engine.native.library}` : "tfjs-wasm";
  for (const bench of values.bench.split(",") as (BenchName | "adam")[]) {
    const setup = bench === "adam" ? adamSetup() : setupBench(bench, "resunet", 4, 128, false);
    for (const inPlace of [true, false]) {
      setAdamInPlace(inPlace);
      await setup.step();
    }
    const row: Row = {
      engine: label,
      bench,
      newMs: [],
      oldMs: [],
      newCpuMs: [],
      oldCpuMs: [],
      leaked: 0,
    };
    const before = tf.memory().numTensors;
    for (let i = 0; i < steps; i++) {
      for (const inPlace of i % 2 === 0 ? [true, false] : [false, true]) {
        setAdamInPlace(inPlace);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await setup.step();
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        (inPlace ? row.newMs : row.oldMs).push(ms);
        (inPlace ? row.newCpuMs : row.oldCpuMs).push((c.user + c.system) / 1000);
      }
    }
    row.leaked = tf.memory().numTensors - before;
    setAdamInPlace(true);
    setup.dispose();
    console.log(JSON.stringify(row));
  }
}

if (values.child) {
  await child(values.native as NativeChoice);
} else {
  const rows: Row[] = [];
  for (const native of values.native.split(",")) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        import.meta.filename!,
        "--child",
        `--native=${native}`,
        `--steps=${steps}`,
        `--bench=${values.bench}`,
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`Cannot run the Adam bench: the ${native} child failed`);
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      if (line.startsWith("{")) rows.push(JSON.parse(line) as Row);
    }
  }
  console.log(
    "| bench | engine | old ms (median) | new ms (median) | old / new | per-pair range | " +
      "old CPU ms | new CPU ms | old / new (CPU) | leaked tensors |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const pairs = r.oldMs.map((o, i) => o / r.newMs[i]!);
    const f = (x: number) => x.toFixed(0);
    console.log(
      `| ${r.bench} | ${r.engine} | ${f(median(r.oldMs))} | ${f(median(r.newMs))} | ${
        (median(r.oldMs) / median(r.newMs)).toFixed(3)
      }x | ${Math.min(...pairs).toFixed(2)}-${Math.max(...pairs).toFixed(2)}x | ${
        f(median(r.oldCpuMs))
      } | ${f(median(r.newCpuMs))} | ${
        (median(r.oldCpuMs) / median(r.newCpuMs)).toFixed(3)
      }x | ${r.leaked} |`,
    );
  }
}
