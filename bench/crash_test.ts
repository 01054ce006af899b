/**
 * Crash test of `grn train`: trains a tiny run without interruption, then trains the same run
 * again while killing it (SIGKILL) at random moments, resuming after each kill with
 * `--resume`, and checks that the interrupted run ends with byte-identical model checkpoints
 * (`model.ckpt`, `best.ckpt`), no temporary files and no lock left behind.
 *
 * ```sh
 * deno run -A bench/crash_test.ts --rounds 20 --seed 1 [--method grn-sel] [--epochs 4] [--kill-within MS]
 * ```
 *
 * Each kill comes at a moment drawn uniformly in `[200, MS]` ms after the process starts, where
 * `MS` is `--kill-within` (default: 200 + the uninterrupted run's duration). When start-up takes
 * most of that time a resumed round rarely gets far, so `--rounds` kills are reached; when it
 * does not (a loaded machine), a round often finishes before its kill and the test ends with
 * fewer kills than rounds: then give more `--epochs` and a `--kill-within` a little above the
 * start-up time, so every round is killed a short way into its training.
 *
 * Exit code 0 when the checkpoints match, 1 otherwise.
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writePhantomDataset } from "../data/phantom/write_phantom_dataset.ts";
import { Rng } from "../engine/rng.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    seed: { type: "string", default: "1" },
    epochs: { type: "string", default: "4" },
    method: { type: "string", default: "grn-sel" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
    "kill-within": { type: "string" },
  },
});
const rounds = Number(values.rounds);
const killWithin = values["kill-within"] === undefined ? null : Number(values["kill-within"]);
if (killWithin !== null && !(killWithin > 200)) {
  throw new RangeError(
    `--kill-within must be a number of milliseconds above 200 (got ${values["kill-within"]})`,
  );
}
const epochs = Number(values.epochs);
const rng = new Rng(Number(values.seed));
const root = values.out ?? await Deno.makeTempDir({ prefix: "grn-crash-" });
const main = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const dataset = join(root, "ds");

function say(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}

const TRAIN_ARGS = [
  "--method",
  values.method!,
  "--dataset",
  dataset,
  "--size",
  "32",
  "--width",
  "4",
  "--depth",
  "2",
  "--generator-width",
  "4",
  "--discriminator-width",
  "4",
  "--epochs",
  String(epochs),
  "--iterations",
  "3",
  "--batch-size",
  "2",
  "--every",
  "4",
  "--test",
  "2",
  "--validation",
  "1",
  "--patience",
  "0",
  "--backend",
  "wasm",
  "--quiet",
];

function train(out: string, resume: boolean): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      main,
      "train",
      ...TRAIN_ARGS,
      "--out",
      out,
      ...(resume ? ["--resume"] : []),
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** How two files compare: `"byte-identical"`, or what differs. */
async function compare(a: string, b: string): Promise<string> {
  const [x, y] = [await readOrNull(a), await readOrNull(b)];
  if (x === null || y === null) {
    return x === y ? "byte-identical (absent in both)" : `DIFFERENT (missing: ${x ? b : a})`;
  }
  return x.length === y.length && x.every((v, i) => v === y[i]) ? "byte-identical" : "DIFFERENT";
}

await writePhantomDataset(dataset, {
  participants: 5,
  scansPerParticipant: 1,
  shape: [16, 16, 32],
  seed: 3,
});
const reference = join(root, "reference");
let t0 = performance.now();
const ref = await finish(train(reference, false));
if (ref.code !== 0) {
  say(`crash test: the reference run failed:\n${ref.stderr}`);
  Deno.exit(1);
}
const seconds = (performance.now() - t0) / 1000;
say(`crash test: reference run in ${seconds.toFixed(1)} s (${root})`);
// Kills come within [200, 200 + span] ms of each start.
const killSpan = killWithin === null ? seconds * 1000 : killWithin - 200;

const crashed = join(root, "crashed");
let kills = 0;
let done = false;
for (let round = 0; round < rounds && !done; round++) {
  const child = train(crashed, true);
  const delay = 200 + rng.float() * killSpan;
  t0 = performance.now();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }, delay);
  const r = await finish(child);
  clearTimeout(timer);
  if (r.code === 0) {
    done = true;
    say(`crash test: round ${round + 1}: finished before the kill at ${delay.toFixed(0)} ms`);
  } else if (r.code === 137 || r.code === 128 + 9) {
    kills++;
    say(`crash test: round ${round + 1}: killed after ${(performance.now() - t0).toFixed(0)} ms`);
  } else {
    say(`crash test: round ${round + 1}: failed with exit ${r.code}:\n${r.stderr}`);
    Deno.exit(1);
  }
}
if (!done) {
  const r = await finish(train(crashed, true));
  if (r.code !== 0) {
    say(`crash test: the final resume failed with exit ${r.code}:\n${r.stderr}`);
    Deno.exit(1);
  }
}
let ok = true;
for (const file of ["model.ckpt", "best.ckpt"]) {
  const result = await compare(join(reference, file), join(crashed, file));
  say(`crash test: ${file}: ${result}`);
  ok &&= result.startsWith("byte-identical");
}
const left = (await Array.fromAsync(Deno.readDir(crashed))).map((e) => e.name).filter((n) =>
  n.endsWith(".tmp") || n === ".grn-lock"
);
if (left.length > 0) {
  say(`crash test: left behind: ${left.join(", ")}`);
  ok = false;
}
say(`crash test: ${kills} kills; ${ok ? "PASS" : "FAIL"}`);
if (!values.keep && values.out === undefined) await Deno.remove(root, { recursive: true });
Deno.exit(ok ? 0 : 1);
