import type { Rng } from "../engine/rng.ts";
import type {
  AnyVariable,
  ImageBatch,
  LabelBatch,
  LogitBatch,
  Scalar,
} from "../engine/tensor_types.ts";
import type { Generator } from "../networks/generator.ts";
import type { Segmentor } from "../networks/segmentor.ts";

/**
 * What a consistency loss needs from the trainer. The trainer checks these at construction
 * and refuses a pairing it cannot serve.
 *
 * - `"pyramid"`: the segmentor must be a `MultiScaleSegmentor` (URPC-style heads); the context
 *   then carries `predictPyramid`.
 * - `"batch-pairs"`: the loss pairs images within the unlabeled batch (ICT mixing), so the
 *   batch size must be at least 2.
 * - `"teacher"`: the loss keeps an EMA teacher (an `EmaTeacherPart` among its
 *   {@linkcode ConsistencyLoss.parts}), which the trainer attaches and updates.
 */
export type ConsistencyRequirement = "pyramid" | "batch-pairs" | "teacher";

/** Which prediction path a consistency term is computed on. */
export type PredictionPath = "segmentor" | "generator-segmentor";

/** Everything a consistency loss sees for one evaluation. */
export interface ConsistencyContext {
  /** Unlabeled images `[batch, height, width, channels]` in `[-1, 1]`. */
  images: ImageBatch;
  /**
   * The prediction path being trained: `S(x)` or `S(G(x))` (GRN's segmentation path), as
   * logits `[batch, height, width, classes]`. Gradients flow through it to the variables the
   * trainer is updating.
   */
  predict: (x: ImageBatch) => LogitBatch;
  /** Pyramid logits of the same path, main first (present when the loss requires "pyramid"). */
  predictPyramid?: (x: ImageBatch) => LogitBatch[];
  /** Which path `predict` is, so a teacher can mirror it. */
  path: PredictionPath;
  /** Which network's update this term is part of. */
  update: "generator" | "segmentor";
  /** Generator of every random draw of this evaluation (mixing coefficients, noise, ...). */
  rng: Rng;
  /** Global iteration counter, starting at 0. */
  step: number;
}

/**
 * What a plug-in's {@linkcode ConsistencyLoss.supervised} override sees: the labeled batch,
 * the prediction path, and the trainer's own supervised loss.
 */
export interface SupervisedContext extends Omit<ConsistencyContext, "images"> {
  /** Labeled images `[batch, height, width, channels]` in `[-1, 1]`. */
  images: ImageBatch;
  /** Class indices `[batch, height, width]` (int32). */
  labels: LabelBatch;
  /** The trainer's supervised loss on logits `[batch, height, width, classes]` (e.g. Dice). */
  baseLoss: (logits: LogitBatch, labels: LabelBatch) => Scalar;
}

/**
 * What {@linkcode PluginPart.auxiliaryStep} sees: both batches of the iteration and the
 * segmentor after its update, so a plug-in can train networks of its own (e.g. the
 * discriminators of DAN and SASSNet).
 */
export interface AuxiliaryContext {
  /** The labeled batch: images `[batch, height, width, channels]`, labels `[batch, height, width]`. */
  labeled: { images: ImageBatch; labels: LabelBatch };
  /** The unlabeled batch: images `[batch, height, width, channels]`. */
  unlabeled: { images: ImageBatch };
  /** The student segmentor (inference or training passes as the plug-in needs). */
  segmentor: Segmentor;
  /** Generator of every random draw of the step. */
  rng: Rng;
  /** Global iteration counter, starting at 0. */
  step: number;
}

/** The networks a consistency loss may attach to (to build a teacher). */
export interface ConsistencyHost {
  /** The student segmentor. */
  segmentor: Segmentor;
  /** The generator, or `null` when the method has none. */
  generator: Generator | null;
}

/** Event passed to {@linkcode PluginPart.afterOptimizerStep}. */
export interface OptimizerStepEvent {
  /** Global iteration counter (0-based) of the step just taken. */
  step: number;
  /** Which network's optimizer just stepped. */
  updated: "generator" | "segmentor" | "discriminator";
}

/**
 * A stateful piece of a consistency plug-in that the trainer drives: an EMA teacher
 * (`EmaTeacherPart`), a discriminator of the plug-in's own (`PluginDiscriminator`), or a check
 * of the host. A loss lists its parts in {@linkcode ConsistencyLoss.parts}; the trainer calls
 * every part's hooks, in that order, and saves every part's variables in its checkpoints as
 * `consistency.<loss name>/<variable name>`. Every hook is optional.
 */
export interface PluginPart {
  /**
   * Called once when a trainer adopts the loss: build state here, and throw a `RangeError`
   * when the networks cannot serve the loss (so the trainer refuses the pairing at
   * construction).
   */
  attach?(host: ConsistencyHost): void;
  /** Called after every optimizer step of the trainer (EMA teachers update here). */
  afterOptimizerStep?(event: OptimizerStepEvent): void;
  /**
   * Called once per iteration after the segmentor's updates, for parts that train networks
   * of their own. Returns loss values to log (e.g. `{ lossDan: 0.69 }`): numbers, or scalar
   * tensors that the trainer then owns (it reads them with the step's other losses, in one
   * read-back, and disposes them; backends without synchronous read-back, such as webgpu in
   * Deno, need tensors).
   */
  auxiliaryStep?(ctx: AuxiliaryContext): Record<string, number | Scalar>;
  /** State the part owns (e.g. teacher weights), saved in checkpoints. */
  readonly variables?: readonly AnyVariable[];
  /** Stable names of `variables`, index for index. */
  readonly variableNames?: readonly string[];
  /** Frees the part's state. Safe to call more than once. */
  dispose?(): void;
}

/**
 * The paper's `L_customize`: a pluggable consistency loss on unlabeled images.
 *
 * A consistency loss declares what it `requires`; the trainer refuses impossible pairings at
 * construction. `compute` runs inside the trainer's gradient tape and must return a scalar
 * built from `ctx.predict` so gradients reach the networks being trained; it runs inside
 * `tf.tidy` and may create temporaries freely. State (an EMA teacher, a discriminator of its
 * own) lives in {@linkcode ConsistencyLoss.parts}, which the trainer attaches, steps, saves and
 * frees.
 *
 * Before parts, a loss carried the hooks itself (`attach`, `afterOptimizerStep`,
 * `auxiliaryStep`, `variables`, `variableNames`, `dispose`). Such a loss still works: the
 * trainer treats it as one more part of its own (see {@linkcode pluginParts}); to migrate, move
 * those members into an object listed in `parts` (same checkpoint names).
 *
 * @example A custom loss: predictions should not change under a horizontal flip
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { type ConsistencyLoss, initEngine, Rng, UNet } from "../mod.ts";
 *
 * await initEngine();
 * const flipConsistency: ConsistencyLoss = {
 *   name: "flip",
 *   requires: [],
 *   compute: ({ images, predict }) => tf.tidy(() => {
 *     const p = tf.softmax(predict(images));
 *     const q = tf.reverse(tf.softmax(predict(tf.reverse(images, 2))), 2);
 *     return tf.mean(tf.squaredDifference(p, q));
 *   }),
 * };
 * // What the trainer passes it: unlabeled images and the prediction path S(x) it trains.
 * const segmentor = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 1 });
 * const loss = flipConsistency.compute({
 *   images: tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 1) as tf.Tensor4D,
 *   predict: (x) => segmentor.apply(x),
 *   path: "segmentor",
 *   update: "segmentor",
 *   rng: new Rng(1),
 *   step: 0,
 * });
 * assert.equal(loss.rank, 0);
 * assert.ok(loss.dataSync()[0]! > 0); // an untrained UNet is not flip-invariant
 * segmentor.dispose();
 * ```
 */
export interface ConsistencyLoss {
  /** Short name, used in logs, histories and checkpoint names. */
  readonly name: string;
  /** What the loss needs from the trainer. */
  readonly requires: readonly ConsistencyRequirement[];
  /**
   * Computes the loss.
   * @returns A scalar; lower means more consistent.
   */
  compute(ctx: ConsistencyContext): Scalar;
  /**
   * Replaces the trainer's supervised term on labeled data (e.g. URPC's deep supervision over
   * every pyramid output, SASSNet's extra signed-distance regression). Runs inside the
   * trainer's gradient tape, like `compute`.
   */
  supervised?(ctx: SupervisedContext): Scalar;
  /** The stateful parts the trainer drives (teacher, discriminator, host checks). @default {[]} */
  readonly parts?: readonly PluginPart[];
}

/** The hooks a loss carried itself before {@linkcode ConsistencyLoss.parts}. */
const OWN_HOOKS = [
  "attach",
  "afterOptimizerStep",
  "auxiliaryStep",
  "variables",
  "variableNames",
  "dispose",
] as const;

/**
 * The parts a trainer drives for a loss: its {@linkcode ConsistencyLoss.parts} and, when the
 * loss still carries hooks of its own (the contract before parts), the loss itself, last.
 *
 * @param loss The consistency loss.
 * @returns The parts, in the order the trainer calls them.
 */
export function pluginParts(loss: ConsistencyLoss): readonly PluginPart[] {
  const own = OWN_HOOKS.some((hook) =>
    (loss as unknown as Record<string, unknown>)[hook] !== undefined
  );
  return [...(loss.parts ?? []), ...(own ? [loss as PluginPart] : [])];
}
