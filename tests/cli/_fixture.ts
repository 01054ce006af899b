/**
 * A tiny phantom dataset and tiny network settings for the CLI tests.
 * @module
 */
import { writePhantomDataset } from "../../data/phantom/write_phantom_dataset.ts";

/** Writes a 5-participant, 1-scan-each phantom of 16x16x32 voxels into `dir`. */
export async function writeTinyDataset(dir: string, seed = 3): Promise<void> {
  await writePhantomDataset(dir, {
    participants: 5,
    scansPerParticipant: 1,
    shape: [16, 16, 32],
    seed,
  });
}

/** `grn train` options for a run of a few seconds: 2 test, 1 validation participant. */
export const TINY_TRAIN_ARGS: readonly string[] = [
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
  "1",
  "--iterations",
  "2",
  "--batch-size",
  "2",
  "--every",
  "4",
  "--test",
  "2",
  "--validation",
  "1",
  "--backend",
  "wasm",
  "--quiet",
];

/** Trains a tiny `supervised` run (one epoch of two iterations) on a tiny dataset in `dir`. */
export async function trainTinyRun(dir: string, method = "supervised"): Promise<string> {
  const { trainRun } = await import("../../cli/core/train_run.ts");
  await writeTinyDataset(`${dir}/ds`);
  const out = `${dir}/run-${method}`;
  await trainRun({
    dataset: `${dir}/ds`,
    method,
    out,
    fraction: 1,
    test: 2,
    validation: 1,
    inputSize: [32, 32],
    every: 4,
    networks: { width: 4, depth: 2, generatorWidth: 4, discriminatorWidth: 4 },
    epochs: 1,
    iterationsPerEpoch: 2,
    batchSize: 2,
    backend: "wasm",
    progress: false,
  });
  return out;
}
