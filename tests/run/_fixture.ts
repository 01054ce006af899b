/**
 * A tiny phantom dataset and a tiny trained run for the tests of run folders, the comparison
 * grid and the CLI.
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

/** Trains a tiny `supervised` run (one epoch of two iterations) on a tiny dataset in `dir`. */
export async function trainTinyRun(dir: string, method = "supervised"): Promise<string> {
  const { trainRun } = await import("../../run/train_run.ts");
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
