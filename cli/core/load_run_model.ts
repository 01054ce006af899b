/**
 * `loadRunModel`: a trained model from a run folder or one of its checkpoints.
 * @module
 */
import { basename, dirname, join } from "node:path";
import { createRunMethod, type RunMethod } from "./_method.ts";
import { readRunConfig, RUN_FILES, type RunConfig } from "./run_config.ts";

/** A model loaded from a run. */
export interface LoadedRunModel {
  /** The run folder. */
  dir: string;
  /** Its config. */
  config: RunConfig;
  /** The checkpoint the weights came from. */
  checkpoint: string;
  /** The method with the weights restored (the caller disposes it). */
  method: RunMethod;
}

/**
 * Loads a trained model: from a run folder (its `model.ckpt`, else `best.ckpt`, else
 * `last.ckpt`) or from a checkpoint file inside a run folder (its `config.json` says how to
 * build the networks). Start the engine first.
 *
 * @param path A run folder or a `.ckpt` file in one.
 * @returns The run, the checkpoint used and the restored method.
 * @throws {Error} When the path does not exist, is not a run folder, holds no checkpoint, or
 *   the checkpoint does not fit the run's networks (the message names the path).
 */
export async function loadRunModel(path: string): Promise<LoadedRunModel> {
  const stat = await Deno.stat(path).catch(() => null);
  if (!stat) throw new Error(`Cannot load a model: no such run folder or checkpoint (got ${path})`);
  let dir: string;
  let checkpoint: string | undefined;
  if (stat.isDirectory) {
    dir = path;
    for (const name of [RUN_FILES.model, RUN_FILES.best, RUN_FILES.last]) {
      const candidate = join(dir, name);
      if (await Deno.stat(candidate).then(() => true, () => false)) {
        checkpoint = candidate;
        break;
      }
    }
    if (!checkpoint) {
      throw new Error(
        `Cannot load a model from ${dir}: no checkpoint (got none of ${RUN_FILES.model}, ${RUN_FILES.best}, ${RUN_FILES.last}); train it first`,
      );
    }
  } else {
    dir = dirname(path);
    checkpoint = path;
    if (!basename(path).endsWith(".ckpt")) {
      throw new Error(`Cannot load a model: expected a run folder or a .ckpt file (got ${path})`);
    }
  }
  const config = await readRunConfig(dir);
  const method = createRunMethod(config.method, {
    networks: config.networks,
    seed: config.seed,
  });
  try {
    await method.trainer.restore(checkpoint);
  } catch (error) {
    method.dispose();
    throw error;
  }
  return { dir, config, checkpoint, method };
}
