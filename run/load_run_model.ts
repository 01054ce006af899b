/**
 * `loadRunModel`: a trained model from a run folder or one of its checkpoints.
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { Method } from "../trainers/method.ts";
import { createMethod } from "../trainers/method_registry.ts";
import { readRunConfig, RUN_FILES, type RunConfig } from "./run_config.ts";

/** A model loaded from a run. */
export interface LoadedRunModel {
  /** The run folder. */
  dir: string;
  /** Its config. */
  config: RunConfig;
  /** The checkpoint the weights came from. */
  checkpoint: string;
  /** The method with the weights restored into its evaluated trainer (the caller disposes it). */
  method: Method;
}

/** Options of {@linkcode loadRunModel}. */
export interface LoadRunModelOptions {
  /**
   * Load the model selected for SGE `S(G(x))` (`model_sge.ckpt`; while training is unfinished
   * `best_sge.ckpt`) instead of the one selected for `S(x)`. Runs without an SGE checkpoint
   * (methods without a generator, runs trained before SGE selection) fall back to the `S(x)`
   * model. Ignored when `path` is a checkpoint file.
   * @default {false}
   */
  sge?: boolean;
}

/**
 * Loads a trained model: from a run folder (its `model.ckpt`, or with `sge` its
 * `model_sge.ckpt`; while training is unfinished, the best or last checkpoint of the last
 * stage) or from a checkpoint file inside a run folder (its `config.json` says how to build
 * the networks). Start the engine first.
 *
 * @param path A run folder or a `.ckpt` file in one.
 * @param options See {@linkcode LoadRunModelOptions}.
 * @returns The run, the checkpoint used and the restored method.
 * @throws {Error} When the path does not exist, is not a run folder, holds no checkpoint, or
 *   the checkpoint does not fit the run's networks (the message names the path).
 */
export async function loadRunModel(
  path: string,
  options: LoadRunModelOptions = {},
): Promise<LoadedRunModel> {
  const stat = await Deno.stat(path).catch(() => null);
  if (!stat) throw new Error(`Cannot load a model: no such run folder or checkpoint (got ${path})`);
  let dir: string;
  let checkpoint: string | undefined;
  if (stat.isDirectory) {
    dir = path;
  } else {
    dir = dirname(path);
    checkpoint = path;
    if (!basename(path).endsWith(".ckpt")) {
      throw new Error(`Cannot load a model: expected a run folder or a .ckpt file (got ${path})`);
    }
  }
  if (
    checkpoint !== undefined &&
    !await Deno.stat(join(dir, RUN_FILES.config)).then(() => true, () => false) &&
    await Deno.stat(join(dirname(dir), RUN_FILES.config)).then(() => true, () => false)
  ) {
    dir = dirname(dir); // a stage checkpoint: <run>/<stage>/best.ckpt
  }
  const config = await readRunConfig(dir);
  const method = createMethod(config.method, config.methodOptions);
  try {
    if (checkpoint === undefined) {
      // A multi-stage method checkpoints each stage into its own sub-folder while training.
      const stages = method.stages;
      const last = stages.length > 1 ? stages[stages.length - 1]!.name : null;
      const sge = options.sge === true && method.hasGenerator;
      const candidates = [
        ...(sge
          ? [
            RUN_FILES.modelSge,
            ...(last ? [join(last, RUN_FILES.bestSge)] : []),
            RUN_FILES.bestSge,
          ]
          : []),
        RUN_FILES.model,
        ...(last ? [join(last, RUN_FILES.best), join(last, RUN_FILES.last)] : []),
        RUN_FILES.best,
        RUN_FILES.last,
      ];
      for (const name of candidates) {
        const candidate = join(dir, name);
        if (await Deno.stat(candidate).then(() => true, () => false)) {
          checkpoint = candidate;
          break;
        }
      }
      if (checkpoint === undefined) {
        throw new Error(
          `Cannot load a model from ${dir}: no checkpoint (got none of ${
            candidates.join(", ")
          }); train it first`,
        );
      }
    }
    await method.trainer.restore(checkpoint);
  } catch (error) {
    method.dispose();
    throw error;
  }
  return { dir, config, checkpoint, method };
}
