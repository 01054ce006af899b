import * as tf from "@tensorflow/tfjs";
import { Adam, type AdamOptions } from "../engine/adam.ts";
import { withMemoryGuard, withMemoryGuardAsync } from "../engine/memory.ts";
import { assignFromCheckpoint, readCheckpoint, writeCheckpoint } from "../engine/checkpoint.ts";
import { Rng, type RngState } from "../engine/rng.ts";
import { stopGradient } from "../engine/stop_gradient.ts";
import type {
  AnyVariable,
  ImageBatch,
  LabelBatch,
  LogitBatch,
  Scalar,
} from "../engine/tensor_types.ts";
import {
  type ConsistencyContext,
  type ConsistencyLoss,
  type OptimizerStepEvent,
  type PluginPart,
  pluginParts,
  type PredictionPath,
} from "../losses/consistency_loss.ts";
import { crossEntropyLoss } from "../losses/cross_entropy.ts";
import { diceLoss, type DiceLossOptions } from "../losses/dice_loss.ts";
import { InterpolationConsistency } from "../losses/interpolation_consistency.ts";
import { l1Loss } from "../losses/l1_loss.ts";
import { leastSquaresAdversarialLoss } from "../losses/least_squares_adversarial_loss.ts";
import type { Discriminator } from "../networks/discriminator.ts";
import type { Generator } from "../networks/generator.ts";
import type { Module } from "../networks/module.ts";
import { isMultiScaleSegmentor, type Segmentor } from "../networks/segmentor.ts";
import type { InferencePath, LabeledBatch, Trainable, UnlabeledBatch } from "./trainable.ts";
import { checkBatchValues, checkBatchValuesAsync, checkStepLosses } from "./training_guards.ts";

/** GRN-SEL (Algorithm 1, labeled data only) or GRN-SSL (Algorithm 2, labeled + unlabeled). */
export type GRNMode = "sel" | "ssl";

/**
 * How the segmentation term reaches the generator's loss `L_G` (the ablations of the paper's
 * Table 6). With `λ` the segmentation weight (`λseg`, or `λcus` in GRN-SSL's unlabeled phase)
 * and `L` the segmentation term (`Dice(S(G(x)), M)`, or `L_customize` on `S∘G`):
 *
 * - `"joint"` (the paper's GRN): `L_G` contains `+λ·L`. Its gradient reaches G *through* S,
 *   and S's weights are not frozen while `L_G` is back-propagated: S's update in the same
 *   iteration uses `∂L_S/∂θ_S + ∂L_G/∂θ_S` (one Adam step on the summed gradient).
 * - `"none"` ("w/o L_seg feedback"): `L_G` has no segmentation term; the generator is a plain
 *   reconstruction GAN whose images S also trains on. The generator's gradient from the
 *   segmentation term is exactly zero.
 * - `"negated"` ("w. −L_seg feedback"): `L_G` contains `−λ·L`, so G learns to make images the
 *   segmentor gets wrong (adversarial augmentation). S's weights are held fixed during this
 *   backward pass, so S itself is never trained to fail; S learns from `L_S` only.
 * - `"frozen-segmentor"` ("Freeze S for back-propagating L_G"): `L_G` contains `+λ·L` and its
 *   gradient reaches G through S, but S's weights are held fixed during that backward pass;
 *   S learns from `L_S` only.
 */
export type SegmentationFeedback = "joint" | "none" | "negated" | "frozen-segmentor";

/** Loss weights of {@linkcode GRN}. */
export interface GRNLambdas {
  /** Adversarial term `MSE(D(G(x)), 1)` in `L_G`. @default {1} */
  adv?: number;
  /** Segmentation term `Dice(S(G(x)), M)` in `L_G` (labeled data). @default {100} */
  seg?: number;
  /** Reconstruction term `L1(G(x), x)` in `L_G`. @default {100} */
  l1?: number;
  /** Consistency term `L_customize` in `L_G` (GRN-SSL unlabeled phase). @default {1} */
  cus?: number;
}

/** Options of {@linkcode GRN}. */
export interface GRNOptions {
  /** The segmentor S (e.g. `UNet`). Owned by the caller; `dispose()` on the trainer frees it. */
  segmentor: Segmentor;
  /**
   * The generator G (e.g. `ResUNetGenerator`), or `null` to train the segmentor alone (the
   * supervised and classic semi-supervised baselines are GRN configurations without G).
   * @default {null}
   */
  generator?: Generator | null;
  /**
   * The discriminator D (e.g. `PatchGANDiscriminator`), or `null` to drop the adversarial
   * terms. Ignored without a generator.
   * @default {null}
   */
  discriminator?: Discriminator | null;
  /** `"sel"` = Algorithm 1, `"ssl"` = Algorithm 2. @default {"sel"} */
  mode?: GRNMode;
  /**
   * The paper's `L_customize` for the unlabeled phase of GRN-SSL.
   * @default {new InterpolationConsistency()} (ICT, section 2.3)
   */
  consistency?: ConsistencyLoss;
  /** Segmentation feedback into the generator; see {@linkcode SegmentationFeedback}. @default {"joint"} */
  feedback?: SegmentationFeedback;
  /** Loss weights; see {@linkcode GRNLambdas} (the paper's values are the defaults). */
  lambdas?: GRNLambdas;
  /**
   * Weight of the consistency term as a function of the global step (e.g. a sigmoid ramp-up
   * for the classic SSL baselines). Multiplies `L_customize` in both the G and S updates.
   * @default {() => 1}
   */
  consistencyWeight?: (step: number) => number;
  /**
   * Learning-rate factor as a function of the global step (0-based): before every iteration
   * each of the trainer's optimizers (G, S, D) runs at `adam.learningRate × factor(step)`
   * (e.g. `(t) => learningRateFactor("step", t, { iterationsPerEpoch })`, GRN's public
   * StepLR). A pure function of the step, so a restored trainer resumes on the same rates.
   * Optimizers that plug-ins own (the DAN and SASSNet discriminators) keep their own rate.
   * @default {() => 1}
   */
  learningRateSchedule?: (step: number) => number;
  /** Options of the Dice loss used everywhere (see `diceLoss`). @default {{}} (MONAI-like) */
  dice?: DiceLossOptions;
  /**
   * The supervised loss on labeled data, used in `L_S` and in the generator's `λseg` term:
   * `"dice"` (the paper), `"dice-ce"` (`(CE + Dice) / 2`, SSL4MIS's baselines) or a function
   * of logits `[batch, height, width, classes]` and labels `[batch, height, width]`.
   * @default {"dice"}
   */
  supervisedLoss?: "dice" | "dice-ce" | ((logits: LogitBatch, labels: LabelBatch) => Scalar);
  /**
   * GRN-SSL's two-phase iteration (`"separate"`: a labeled update, then an unlabeled update,
   * Algorithm 2) or one segmentor update on `L_sup + w(t)·L_customize` (`"combined"`, how the
   * classic SSL baselines train). `"combined"` needs `generator: null`.
   * @default {"separate"}
   */
  unlabeledPhase?: "separate" | "combined";
  /**
   * Which networks are updated. Freezing lets one trainer express staged methods, e.g. GAN
   * augmentation: first a reconstruction GAN (`segmentor: false`, `feedback: "none"`), then a
   * segmentor trained on original and generated images (`generator: false`).
   * @default {{ generator: true, segmentor: true, discriminator: true }}
   */
  train?: { generator?: boolean; segmentor?: boolean; discriminator?: boolean };
  /** Adam settings shared by G, S and D (separate optimizers). @default {lr 2e-4, betas 0.5/0.999} */
  adam?: AdamOptions;
  /** Seed of the trainer's generator (dropout, mixing, ...). @default {0} */
  seed?: number;
}

export type { LabeledBatch, UnlabeledBatch } from "./trainable.ts";

/** Loss values of one training iteration (absent terms are omitted). */
export interface StepLosses {
  /** Extra terms reported by plug-ins (e.g. an auxiliary discriminator's loss). */
  [term: string]: number | undefined;
  /** Generator loss `L_G` (labeled phase). */
  lossG?: number;
  /** Discriminator loss `L_D`. */
  lossD?: number;
  /** Segmentor loss `L_S` (labeled phase; absent when the segmentor is frozen). */
  lossS?: number;
  /** The supervised loss (e.g. `Dice(S(x), M)`) on the labeled batch. */
  diceReal?: number;
  /** `Dice(S(G(x)), M)` on the labeled batch. */
  diceFake?: number;
  /** `MSE(D(G(x)), 1)` in the generator loss. */
  adv?: number;
  /** `L1(G(x), x)` (labeled phase). */
  l1?: number;
  /** Generator loss of the unlabeled phase. */
  lossGUnlabeled?: number;
  /** Segmentor loss of the unlabeled phase (weighted consistency). */
  lossSUnlabeled?: number;
  /** `L_customize` on `S(G(x))` in the generator update. */
  consistencyG?: number;
  /** `L_customize` on `S(G(x))` in the segmentor update. */
  consistencyFake?: number;
  /** `L_customize` on `S(x)` in the segmentor update. */
  consistencyReal?: number;
  /** `L1(G(x), x)` of the unlabeled phase. */
  l1Unlabeled?: number;
  /** Consistency weight used in this step. */
  consistencyWeight?: number;
  /** The segmentor optimizer's learning rate in this step (after the schedule). */
  learningRate?: number;
}

/** What a trainer checkpoint's metadata holds. */
export interface TrainerCheckpointMeta {
  /** Always `"grn-trainer"`. */
  format: "grn-trainer";
  /** Global iteration counter. */
  step: number;
  /** The trainer's RNG state. */
  rng: RngState;
  /** Adam step counters by network. */
  adamSteps: Record<string, number>;
  /** Trainer configuration, for checks and for the record. */
  config: { mode: GRNMode; feedback: SegmentationFeedback; lambdas: Required<GRNLambdas> };
  /** Anything the caller stores with it (fit state, history, ...). */
  extra?: unknown;
}

interface Part {
  key: "G" | "S" | "D";
  module: Module;
  adam: Adam;
}

/**
 * A loss value while a step runs: a kept scalar tensor, read once all of the step's work is
 * queued (one read-back per step, and an asynchronous one on backends that have no other, such
 * as webgpu in Deno), or a number known without reading.
 */
type LossValue = number | tf.Tensor;
type PendingLosses = Record<string, LossValue>;

/** Stacks the tensors among `pending` for one read; the numbers go straight to `out`. */
function stackPending(
  pending: PendingLosses,
): { keys: string[]; stacked: tf.Tensor | null; out: StepLosses } {
  const keys = Object.keys(pending).filter((k) => pending[k] instanceof tf.Tensor);
  const out: StepLosses = {};
  // Every key in its place (the order of the terms is kept); tensors are filled in after the read.
  for (const [k, v] of Object.entries(pending)) out[k] = typeof v === "number" ? v : NaN;
  const stacked = keys.length === 0
    ? null
    : tf.tidy(() => tf.stack(keys.map((k) => tf.reshape(pending[k] as tf.Tensor, []))));
  return { keys, stacked, out };
}

/** Reads the tensors among `pending` with one synchronous read and returns the numbers. */
function readLossesSync(pending: PendingLosses): StepLosses {
  const { keys, stacked, out } = stackPending(pending);
  if (stacked === null) return out;
  try {
    const values = stacked.dataSync();
    keys.forEach((k, i) => (out[k] = values[i]!));
  } finally {
    stacked.dispose();
  }
  return out;
}

/** Reads the tensors among `pending` with one asynchronous read and returns the numbers. */
async function readLossesAsync(pending: PendingLosses): Promise<StepLosses> {
  const { keys, stacked, out } = stackPending(pending);
  if (stacked === null) return out;
  try {
    const values = await stacked.data();
    keys.forEach((k, i) => (out[k] = values[i]!));
  } finally {
    stacked.dispose();
  }
  return out;
}

/**
 * The Generative Reinforcement Network trainer: one class for GRN-SEL (Algorithm 1), GRN-SSL
 * (Algorithm 2), their ablations (`feedback`), and — without a generator — the plain and
 * consistency-based segmentor baselines.
 *
 * One call to {@linkcode GRN.step} is one iteration of the algorithm. All losses of an
 * iteration are computed at the parameters the iteration starts from (as in the paper's
 * pseudo-code, where `Ĩ = G(I)` and `D(Ĩ)` are computed once at the top), and the updates run
 * in the order G, D, S:
 *
 * Algorithm 1 (`mode: "sel"`), for a labeled batch `(I, M)`:
 * 1. `Ĩ = G(I)`; `L_G = λadv·MSE(D(Ĩ), 1) + λseg·Dice(S(Ĩ), M) + λL1·L1(Ĩ, I)`; update G
 *    (the Dice gradient reaches G through S; see `feedback`);
 * 2. `L_D = (MSE(D(I), 1) + MSE(D(Ĩ), 0)) / 2`; update D;
 * 3. `L_S = (Dice(S(I), M) + Dice(S(Ĩ), M)) / 2`; update S.
 *
 * Algorithm 2 (`mode: "ssl"`): the labeled phase is steps 1 and 3 without the adversarial term
 * and without D; then for an unlabeled batch `U` of the same size:
 * 1. `Ũ = G(U)`; `L_G = λadv·MSE(D(Ũ), 1) + λcus·L_customize(S∘G on U) + λL1·L1(Ũ, U)`; update G;
 * 2. `L_D = (MSE(D(U), 1) + MSE(D(Ũ), 0)) / 2`; update D;
 * 3. `L_S = (L_customize(S∘G on U) + L_customize(S on U)) / 2` (eq. 8); update S.
 *
 * Segmentation-guided enhancement (SGE) is {@linkcode GRN.predict} with `sge: true`: `S(G(x))`.
 *
 * `GRN` is a `Trainable`: `fit(trainer, data, options)` runs it for epochs with validation,
 * model selection, early stopping and checkpoints.
 *
 * @example Train GRN-SSL on one batch
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { GRN, initEngine, PatchGANDiscriminator, ResUNetGenerator, UNet } from "../mod.ts";
 *
 * await initEngine();
 * // Small networks for a quick run; the paper's are the defaults (`new UNet()`, ...).
 * const segmentor = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 1 });
 * const generator = new ResUNetGenerator({ ngf: 4, downsamplings: 2, seed: 2 });
 * const discriminator = new PatchGANDiscriminator({ ndf: 4, seed: 3 });
 * const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 1) as tf.Tensor4D; // NHWC
 * const labels = tf.zeros([2, 32, 32], "int32") as tf.Tensor3D;
 * const unlabeled = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 2) as tf.Tensor4D;
 *
 * const grn = new GRN({ segmentor, generator, discriminator, mode: "ssl" });
 * const losses = grn.step({ images, labels }, { images: unlabeled });
 * assert.ok(losses.lossS! > 0 && losses.lossG! > 0); // a labeled and an unlabeled phase ran
 * assert.ok(losses.lossDUnlabeled! > 0);
 * const logits = grn.predict(images, { sge: true }); // S(G(x))
 * assert.deepEqual(logits.shape, [2, 32, 32, 7]);
 * grn.dispose();
 * ```
 */
export class GRN implements Trainable {
  /** The segmentor S. */
  readonly segmentor: Segmentor;
  /** The generator G, or `null`. */
  readonly generator: Generator | null;
  /** The discriminator D, or `null`. */
  readonly discriminator: Discriminator | null;
  /** The consistency loss (`L_customize`) used in the unlabeled phase, or `null` in SEL mode. */
  readonly consistency: ConsistencyLoss | null;
  /** Algorithm 1 or 2. */
  readonly mode: GRNMode;
  /** Feedback of the segmentation term into G. */
  readonly feedback: SegmentationFeedback;
  /** Effective loss weights. */
  readonly lambdas: Readonly<Required<GRNLambdas>>;
  readonly #consistencyWeight: (step: number) => number;
  readonly #learningRateSchedule: (step: number) => number;
  readonly #baseLoss: (logits: tf.Tensor4D, labels: tf.Tensor3D) => tf.Scalar;
  readonly #combined: boolean;
  readonly #trainG: boolean;
  readonly #trainS: boolean;
  readonly #trainD: boolean;
  readonly #parts: Map<"G" | "S" | "D", Part> = new Map();
  /** The consistency loss's plug-in parts (teacher, discriminator, checks), in call order. */
  readonly #pluginParts: readonly PluginPart[];
  #rng: Rng;
  #step = 0;
  #disposed = false;

  /**
   * Creates the trainer: checks the configuration, attaches the consistency loss and builds one
   * Adam optimizer per trained network.
   *
   * @param options See {@linkcode GRNOptions}.
   * @throws {RangeError} On an unknown mode or feedback, a negative weight, or a consistency
   *   loss whose requirements the networks cannot meet (e.g. a pyramid loss with a plain UNet).
   */
  constructor(options: GRNOptions) {
    const {
      segmentor,
      generator = null,
      discriminator = null,
      mode = "sel",
      feedback = "joint",
      lambdas = {},
      consistencyWeight = () => 1,
      learningRateSchedule = () => 1,
      dice = {},
      supervisedLoss = "dice",
      unlabeledPhase = "separate",
      train = {},
      adam = {},
      seed = 0,
    } = options;
    if (mode !== "sel" && mode !== "ssl") {
      throw new RangeError(
        `Cannot create GRN: mode must be "sel" or "ssl" (got ${JSON.stringify(mode)})`,
      );
    }
    const feedbacks: SegmentationFeedback[] = ["joint", "none", "negated", "frozen-segmentor"];
    if (!feedbacks.includes(feedback)) {
      throw new RangeError(
        `Cannot create GRN: feedback must be one of ${feedbacks.join(", ")} (got ${
          JSON.stringify(feedback)
        })`,
      );
    }
    const resolved = { adv: 1, seg: 100, l1: 100, cus: 1, ...lambdas };
    for (const [key, value] of Object.entries(resolved)) {
      if (!(value >= 0) || !Number.isFinite(value)) {
        throw new RangeError(
          `Cannot create GRN: lambdas.${key} must be a finite number >= 0 (got ${value})`,
        );
      }
    }
    this.segmentor = segmentor;
    this.generator = generator;
    this.discriminator = generator ? discriminator : null;
    this.mode = mode;
    this.feedback = feedback;
    this.lambdas = resolved;
    this.#consistencyWeight = consistencyWeight;
    this.#learningRateSchedule = learningRateSchedule;
    if (typeof supervisedLoss === "function") {
      this.#baseLoss = supervisedLoss;
    } else if (supervisedLoss === "dice") {
      this.#baseLoss = (logits, labels) => diceLoss(logits, labels, dice);
    } else if (supervisedLoss === "dice-ce") {
      this.#baseLoss = (logits, labels) =>
        tf.tidy(() =>
          tf.div(tf.add(crossEntropyLoss(logits, labels), diceLoss(logits, labels, dice)), 2)
        ) as tf.Scalar;
    } else {
      throw new RangeError(
        `Cannot create GRN: supervisedLoss must be "dice", "dice-ce" or a function (got ${
          JSON.stringify(supervisedLoss)
        })`,
      );
    }
    if (unlabeledPhase !== "separate" && unlabeledPhase !== "combined") {
      throw new RangeError(
        `Cannot create GRN: unlabeledPhase must be "separate" or "combined" (got ${
          JSON.stringify(unlabeledPhase)
        })`,
      );
    }
    if (unlabeledPhase === "combined" && generator) {
      throw new RangeError(
        'Cannot create GRN: unlabeledPhase "combined" trains the segmentor alone and needs generator: null (got a generator)',
      );
    }
    this.#combined = mode === "ssl" && unlabeledPhase === "combined";
    this.#trainG = train.generator ?? true;
    this.#trainS = train.segmentor ?? true;
    this.#trainD = train.discriminator ?? true;
    this.#rng = new Rng(seed);
    this.consistency = mode === "ssl"
      ? (options.consistency ?? new InterpolationConsistency())
      : null;

    if (generator && generator.channels !== segmentor.inChannels) {
      throw new RangeError(
        `Cannot create GRN: generator channels must equal segmentor input channels (got ${generator.channels} and ${segmentor.inChannels})`,
      );
    }
    if (this.consistency) {
      for (const need of this.consistency.requires) {
        if (need === "pyramid" && !isMultiScaleSegmentor(segmentor)) {
          throw new RangeError(
            `Cannot create GRN: consistency loss "${this.consistency.name}" needs a multi-scale segmentor with pyramid outputs (got ${segmentor.name}, which has none)`,
          );
        }
      }
    }
    this.#pluginParts = this.consistency ? pluginParts(this.consistency) : [];
    try {
      for (const part of this.#pluginParts) part.attach?.({ segmentor, generator });
    } catch (e) {
      for (const part of this.#pluginParts) part.dispose?.();
      throw e;
    }
    this.#parts.set("S", {
      key: "S",
      module: segmentor,
      adam: new Adam(segmentor.trainableVariables, this.#trainableNames(segmentor), adam),
    });
    if (generator) {
      this.#parts.set("G", {
        key: "G",
        module: generator,
        adam: new Adam(generator.trainableVariables, this.#trainableNames(generator), adam),
      });
    }
    if (this.discriminator) {
      const d = this.discriminator;
      this.#parts.set("D", {
        key: "D",
        module: d,
        adam: new Adam(d.trainableVariables, this.#trainableNames(d), adam),
      });
    }
  }

  #trainableNames(module: Module): string[] {
    const byVar = new Map(module.variables.map((v, i) => [v, module.variableNames[i]!] as const));
    return module.trainableVariables.map((v) => byVar.get(v) ?? v.name);
  }

  /** Number of iterations taken so far. */
  get iteration(): number {
    return this.#step;
  }

  /**
   * Segmentor updates per iteration: 2 for GRN-SSL's separate labeled and unlabeled phases, 1
   * for Algorithm 1 and the combined (classic SSL) loop, 0 while the segmentor is frozen.
   */
  get segmentorUpdatesPerIteration(): number {
    if (!this.#trainS) return 0;
    return this.mode === "ssl" && !this.#combined ? 2 : 1;
  }

  /** The paths the trainer can be selected on: `S(x)`, and `S(G(x))` with a generator. */
  get inferencePaths(): readonly InferencePath[] {
    return this.generator ? ["segmentor", "sge"] : ["segmentor"];
  }

  /** The trainer's generator (its state is saved in checkpoints). */
  get rng(): Rng {
    return this.#rng;
  }

  #check(): void {
    if (this.#disposed) throw new Error("Cannot use GRN: the trainer was disposed");
  }

  /** Loss tensors kept during the running step (disposed by the step, also on errors). */
  readonly #held: tf.Tensor[] = [];

  /** Keeps a scalar loss for the step's single read-back (inside tidy scopes too). */
  #hold(t: tf.Tensor): tf.Tensor {
    const kept = tf.keep(tf.clone(t));
    this.#held.push(kept);
    return kept;
  }

  #checkBatch(what: string, images: tf.Tensor4D, labels?: tf.Tensor3D): void {
    this.#checkShapes(what, images, labels);
    checkBatchValues(what, images, labels, this.segmentor.numClasses);
  }

  #checkShapes(what: string, images: tf.Tensor4D, labels?: tf.Tensor3D): void {
    if (images.rank !== 4 || images.shape[3] !== this.segmentor.inChannels) {
      throw new TypeError(
        `Cannot train on the ${what} batch: images must be [batch, height, width, ${this.segmentor.inChannels}] (got [${images.shape}])`,
      );
    }
    if (labels && (labels.rank !== 3 || labels.shape.some((d, i) => d !== images.shape[i]))) {
      throw new TypeError(
        `Cannot train on the ${what} batch: labels must be [batch, height, width] matching images [${images.shape}] (got [${labels.shape}])`,
      );
    }
  }

  /**
   * One training iteration: Algorithm 1 for `mode: "sel"`, Algorithm 2 for `mode: "ssl"`.
   *
   * @param labeled The labeled batch `(I, M)`.
   * @param unlabeled The unlabeled batch (required in SSL mode; should have the labeled batch's
   *   size, as the paper samples equal batches).
   * @returns The loss values of the iteration.
   * @throws {TypeError} On malformed batches; {@linkcode RangeError} when SSL lacks unlabeled data,
   *   labels are not integers in `0..numClasses−1` or images are not finite.
   * @throws {NonFiniteLossError} When a loss term of the step is `NaN` or `±Infinity` (names the
   *   step and the term; the update has been applied, so the weights should not be saved).
   */
  step(labeled: LabeledBatch, unlabeled?: UnlabeledBatch): StepLosses {
    this.#check();
    this.#checkBatch("labeled", labeled.images, labeled.labels);
    if (this.mode === "ssl") {
      this.#checkBatch("unlabeled", this.#requireUnlabeled(unlabeled).images);
    }
    let losses: StepLosses;
    try {
      losses = readLossesSync(
        withMemoryGuard(() => this.#iteration(labeled, unlabeled), this.#guard(labeled)),
      );
    } finally {
      this.#releaseHeld();
    }
    this.#step++;
    checkStepLosses(losses, this.#step);
    return losses;
  }

  /**
   * {@linkcode GRN.step} for backends that cannot read values back synchronously (webgpu in
   * Deno has no synchronous GPU read-back): the same iteration and the same values, with the
   * batch checks and the loss values read asynchronously, once per step. On the webgpu backend
   * it also turns an out-of-memory the device reports into a `MemoryLimitError`. `fit` uses it
   * on every backend.
   *
   * @param labeled The labeled batch `(I, M)`.
   * @param unlabeled The unlabeled batch (required in SSL mode).
   * @returns The loss values of the iteration.
   * @throws {TypeError} On malformed batches; {@linkcode RangeError} when SSL lacks unlabeled data,
   *   labels are not integers in `0..numClasses−1` or images are not finite.
   * @throws {NonFiniteLossError} When a loss term of the step is `NaN` or `±Infinity`.
   */
  async stepAsync(labeled: LabeledBatch, unlabeled?: UnlabeledBatch): Promise<StepLosses> {
    this.#check();
    this.#checkShapes("labeled", labeled.images, labeled.labels);
    await checkBatchValuesAsync(
      "labeled",
      labeled.images,
      labeled.labels,
      this.segmentor.numClasses,
    );
    if (this.mode === "ssl") {
      const images = this.#requireUnlabeled(unlabeled).images;
      this.#checkShapes("unlabeled", images);
      await checkBatchValuesAsync("unlabeled", images, undefined, this.segmentor.numClasses);
    }
    // Plug-ins that compute targets on the CPU from the labels (SASSNet's signed distances)
    // read them synchronously: a read now keeps a CPU copy they can use on any backend.
    await labeled.labels.data();
    let losses: StepLosses;
    try {
      losses = await withMemoryGuardAsync(
        () => readLossesAsync(this.#iteration(labeled, unlabeled)),
        this.#guard(labeled),
      );
    } finally {
      this.#releaseHeld();
    }
    this.#step++;
    checkStepLosses(losses, this.#step);
    return losses;
  }

  #releaseHeld(): void {
    for (const t of this.#held.splice(0)) t.dispose();
  }

  #requireUnlabeled(unlabeled: UnlabeledBatch | undefined): UnlabeledBatch {
    if (!unlabeled) {
      throw new RangeError(
        "Cannot run a GRN-SSL iteration: an unlabeled batch is required (got none)",
      );
    }
    if (this.consistency?.requires.includes("batch-pairs") && unlabeled.images.shape[0] < 2) {
      throw new RangeError(
        `Cannot run a GRN-SSL iteration: consistency loss "${this.consistency.name}" pairs images within the unlabeled batch, which needs at least 2 images (got ${
          unlabeled.images.shape[0]
        })`,
      );
    }
    return unlabeled;
  }

  /** What the memory guard says about a step on `labeled`. */
  #guard(labeled: LabeledBatch) {
    const [batchSize, height, width] = labeled.images.shape;
    return {
      batchSize,
      height,
      width,
      what: `run a ${
        this.generator
          ? this.mode === "sel" ? "GRN-SEL" : "GRN-SSL"
          : this.mode === "sel"
          ? "supervised segmentor"
          : "semi-supervised segmentor"
      } training step`,
    };
  }

  /** Sets every optimizer's learning rate for the current step; returns the segmentor's. */
  #applyLearningRateSchedule(): number {
    const factor = this.#learningRateSchedule(this.#step);
    if (!(factor >= 0) || !Number.isFinite(factor)) {
      throw new RangeError(
        `Cannot run a training step: the learning-rate schedule must return a finite factor >= 0 (got ${factor} at step ${this.#step})`,
      );
    }
    for (const part of this.#parts.values()) {
      part.adam.learningRate = part.adam.initialLearningRate * factor;
    }
    return this.#parts.get("S")!.adam.learningRate;
  }

  /** The body of {@linkcode GRN.step}: the phases of one iteration and the plug-in's step. */
  #iteration(labeled: LabeledBatch, unlabeled?: UnlabeledBatch): PendingLosses {
    const learningRate = this.#applyLearningRateSchedule();
    const combined = this.#combined && unlabeled ? unlabeled : null;
    const losses = this.#labeledPhase(labeled, this.mode === "sel", combined);
    if (this.mode === "ssl" && unlabeled && !combined) {
      Object.assign(losses, this.#unlabeledPhase(unlabeled));
    }
    if (this.mode === "ssl" && unlabeled) {
      for (const part of this.#pluginParts) {
        const extra = part.auxiliaryStep?.({
          labeled,
          unlabeled,
          segmentor: this.segmentor,
          rng: this.#rng,
          step: this.#step,
        });
        for (const [key, value] of Object.entries(extra ?? {})) {
          // A tensor is the trainer's now: read with the step's losses, then disposed.
          if (value instanceof tf.Tensor) this.#held.push(tf.keep(value));
          losses[key] = value;
        }
      }
    }
    losses.learningRate = learningRate;
    return losses;
  }

  /** Forward options for training passes. */
  #train() {
    return { training: true, rng: this.#rng };
  }

  /** Forward options of the segmentor: inference mode while it is frozen. */
  #segmentorMode() {
    return this.#trainS ? this.#train() : { training: false };
  }

  /** Forward options of the generator: inference mode while it is frozen. */
  #generatorMode() {
    return this.#trainG ? this.#train() : { training: false };
  }

  /**
   * Runs one generator update on `images`, returning the generated images (detached, kept)
   * and the gradient share of S when feedback is "joint".
   */
  #generatorUpdate(
    images: tf.Tensor4D,
    withAdversarial: boolean,
    segmentationTerm: ((fake: tf.Tensor4D) => tf.Scalar) | null,
    segmentationWeight: number,
    record: PendingLosses,
    names: { adv: string; seg: string; l1: string; total: string },
  ): { fake: tf.Tensor4D; segmentorGrads: (tf.Tensor | null)[] | null } {
    if (!this.#trainG) {
      // Frozen generator: its images are inputs only (e.g. GAN augmentation, stage 2).
      return {
        fake: tf.tidy(() => this.generator!.apply(images, { training: false })),
        segmentorGrads: null,
      };
    }
    const G = this.#parts.get("G")!;
    const S = this.#parts.get("S")!;
    const D = this.discriminator;
    const useSeg = segmentationTerm !== null && this.feedback !== "none" && segmentationWeight > 0;
    const sign = this.feedback === "negated" ? -1 : 1;
    const jointS = useSeg && this.feedback === "joint" && this.#trainS;
    const gVars = G.module.trainableVariables as tf.Variable[];
    const sVars = S.module.trainableVariables as tf.Variable[];
    const varList = jointS ? [...gVars, ...sVars] : gVars;
    let fake: tf.Tensor4D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const generated = this.generator!.apply(images, this.#train());
      fake = tf.keep(stopGradient(generated));
      const l1 = l1Loss(generated, images);
      record[names.l1] = this.#hold(l1);
      let total = tf.mul(l1, this.lambdas.l1) as tf.Scalar;
      if (withAdversarial && D && this.lambdas.adv > 0) {
        const adv = leastSquaresAdversarialLoss(D.apply(generated, this.#train()), 1);
        record[names.adv] = this.#hold(adv);
        total = tf.add(total, tf.mul(adv, this.lambdas.adv));
      }
      if (useSeg) {
        const seg = segmentationTerm!(generated);
        record[names.seg] = this.#hold(seg);
        total = tf.add(total, tf.mul(seg, sign * segmentationWeight));
      }
      return total;
    }, varList);
    record[names.total] = this.#hold(value);
    value.dispose();
    G.adam.apply(gVars.map((v) => grads[v.name] ?? null));
    for (const v of gVars) grads[v.name]?.dispose();
    this.#afterOptimizerStep({ step: this.#step, updated: "generator" });
    const segmentorGrads = jointS ? sVars.map((v) => grads[v.name] ?? null) : null;
    return { fake: fake!, segmentorGrads };
  }

  #discriminatorUpdate(real: tf.Tensor4D, fake: tf.Tensor4D): LossValue {
    const D = this.#parts.get("D")!;
    const dVars = D.module.trainableVariables as tf.Variable[];
    const { value, grads } = tf.variableGrads(() => {
      const d = this.discriminator!;
      const realLoss = leastSquaresAdversarialLoss(d.apply(real, this.#train()), 1);
      const fakeLoss = leastSquaresAdversarialLoss(d.apply(fake, this.#train()), 0);
      return tf.div(tf.add(realLoss, fakeLoss), 2) as tf.Scalar;
    }, dVars);
    const loss = this.#hold(value);
    value.dispose();
    D.adam.apply(dVars.map((v) => grads[v.name] ?? null));
    for (const v of dVars) grads[v.name]?.dispose();
    this.#afterOptimizerStep({ step: this.#step, updated: "discriminator" });
    return loss;
  }

  #segmentorUpdate(
    loss: () => tf.Scalar,
    extraGrads: (tf.Tensor | null)[] | null,
  ): LossValue {
    const S = this.#parts.get("S")!;
    const sVars = S.module.trainableVariables as tf.Variable[];
    const { value, grads } = tf.variableGrads(loss, sVars);
    const result = this.#hold(value);
    value.dispose();
    const combined = sVars.map((v, i) => {
      const g = grads[v.name] ?? null;
      const e = extraGrads?.[i] ?? null;
      if (g && e) return tf.add(g, e);
      return g ? g.clone() : e ? e.clone() : null;
    });
    S.adam.apply(combined);
    for (const v of sVars) grads[v.name]?.dispose();
    for (const t of combined) t?.dispose();
    for (const t of extraGrads ?? []) t?.dispose();
    this.#afterOptimizerStep({ step: this.#step, updated: "segmentor" });
    return result;
  }

  /** Tells every plug-in part (e.g. an EMA teacher) that an optimizer stepped. */
  #afterOptimizerStep(event: OptimizerStepEvent): void {
    for (const part of this.#pluginParts) part.afterOptimizerStep?.(event);
  }

  /**
   * The supervised term on a labeled batch along a prediction path; a consistency plug-in may
   * replace it (e.g. URPC's deep supervision).
   */
  #supervised(
    images: tf.Tensor4D,
    labels: tf.Tensor3D,
    path: PredictionPath,
    update: "generator" | "segmentor",
  ): tf.Scalar {
    const ctx = this.#context(images, path, update);
    const plugin = this.consistency;
    if (plugin?.supervised) return plugin.supervised({ ...ctx, labels, baseLoss: this.#baseLoss });
    return this.#baseLoss(ctx.predict(images), labels);
  }

  /**
   * The labeled phase (all of Algorithm 1 when `withDiscriminator`); with `combined`, the
   * segmentor's update also carries the weighted consistency term on `unlabeled`.
   */
  #labeledPhase(
    { images, labels }: LabeledBatch,
    withDiscriminator: boolean,
    combined: UnlabeledBatch | null,
  ): PendingLosses {
    const record: PendingLosses = {};
    let fake: tf.Tensor4D | null = null;
    let segmentorGrads: (tf.Tensor | null)[] | null = null;
    try {
      if (this.generator) {
        ({ fake, segmentorGrads } = this.#generatorUpdate(
          images,
          withDiscriminator,
          (generated) => this.#supervised(generated, labels, "segmentor", "generator"),
          this.lambdas.seg,
          record,
          { adv: "adv", seg: "diceFakeG", l1: "l1", total: "lossG" },
        ));
        if (withDiscriminator && this.discriminator && this.#trainD) {
          record.lossD = this.#discriminatorUpdate(images, fake);
        }
      }
      const out: PendingLosses = {};
      if (this.#trainS) {
        const weight = combined ? this.#consistencyWeight(this.#step) : 0;
        out.lossS = this.#segmentorUpdate(() => {
          const real = this.#supervised(images, labels, "segmentor", "segmentor");
          out.diceReal = this.#hold(real);
          let total: tf.Scalar = real;
          if (fake) {
            const onFake = this.#supervised(fake, labels, "segmentor", "segmentor");
            out.diceFake = this.#hold(onFake);
            total = tf.div(tf.add(real, onFake), 2) as tf.Scalar;
          }
          if (combined) {
            const c = this.consistency!.compute(
              this.#context(combined.images, "segmentor", "segmentor"),
            );
            out.consistencyReal = this.#hold(c);
            out.consistencyWeight = weight;
            total = tf.add(total, tf.mul(c, weight)) as tf.Scalar;
          }
          return total;
        }, segmentorGrads);
        segmentorGrads = null;
      }
      for (const key of ["lossG", "lossD", "adv", "l1", "diceFakeG"] as const) {
        if (record[key] !== undefined) out[key] = record[key];
      }
      return out;
    } finally {
      (fake as tf.Tensor | null)?.dispose();
      for (const t of segmentorGrads ?? []) t?.dispose();
    }
  }

  /**
   * The context of a consistency (or supervised) term. `generated`, when given, is `G(images)`
   * already computed on the same tape; the path reuses it instead of running G again.
   */
  #context(
    images: tf.Tensor4D,
    path: PredictionPath,
    update: "generator" | "segmentor",
    generated?: tf.Tensor4D,
  ): ConsistencyContext {
    const G = this.generator;
    const S = this.segmentor;
    const through = (x: tf.Tensor4D) => {
      if (path !== "generator-segmentor" || !G) return x;
      return x === images && generated ? generated : G.apply(x, this.#generatorMode());
    };
    const ctx: ConsistencyContext = {
      images,
      predict: (x) => S.apply(through(x), this.#segmentorMode()),
      path,
      update,
      rng: this.#rng,
      step: this.#step,
    };
    if (isMultiScaleSegmentor(S)) {
      ctx.predictPyramid = (x) => S.applyPyramid(through(x), this.#segmentorMode());
    }
    return ctx;
  }

  /** The unlabeled phase of Algorithm 2. */
  #unlabeledPhase({ images }: UnlabeledBatch): PendingLosses {
    const consistency = this.consistency!;
    const weight = this.#consistencyWeight(this.#step);
    const record: PendingLosses = {};
    let fake: tf.Tensor4D | null = null;
    let segmentorGrads: (tf.Tensor | null)[] | null = null;
    try {
      if (this.generator) {
        ({ fake, segmentorGrads } = this.#generatorUpdate(
          images,
          true,
          (generated) =>
            consistency.compute(
              this.#context(images, "generator-segmentor", "generator", generated),
            ),
          this.lambdas.cus * weight,
          record,
          { adv: "advUnlabeled", seg: "consistencyG", l1: "l1Unlabeled", total: "lossGUnlabeled" },
        ));
        if (this.discriminator && this.#trainD) {
          record.lossDUnlabeled = this.#discriminatorUpdate(images, fake);
        }
      }
      const out: PendingLosses = { consistencyWeight: weight };
      if (this.#trainS) {
        out.lossSUnlabeled = this.#segmentorUpdate(() => {
          const real = consistency.compute(this.#context(images, "segmentor", "segmentor"));
          out.consistencyReal = this.#hold(real);
          if (!this.generator) return tf.mul(real, weight) as tf.Scalar;
          const generated = consistency.compute(
            this.#context(images, "generator-segmentor", "segmentor"),
          );
          out.consistencyFake = this.#hold(generated);
          return tf.mul(tf.div(tf.add(real, generated), 2), weight) as tf.Scalar;
        }, segmentorGrads);
        segmentorGrads = null;
      }
      for (
        const key of [
          "lossGUnlabeled",
          "advUnlabeled",
          "consistencyG",
          "l1Unlabeled",
          "lossDUnlabeled",
        ]
      ) {
        if (record[key] !== undefined) out[key] = record[key];
      }
      return out;
    } finally {
      (fake as tf.Tensor | null)?.dispose();
      for (const t of segmentorGrads ?? []) t?.dispose();
    }
  }

  /**
   * Segments images: `S(x)`, or with segmentation-guided enhancement (SGE) `S(G(x))`.
   *
   * @param images `[batch, height, width, channels]` in `[-1, 1]`.
   * @param options `sge`: run the generator first (needs a generator). @default {{ sge: false }}
   * @returns Logits `[batch, height, width, classes]` (inference mode; caller disposes).
   * @throws {Error} When `sge` is requested without a generator.
   */
  predict(images: ImageBatch, options: { sge?: boolean } = {}): LogitBatch {
    this.#check();
    const { sge = false } = options;
    if (sge && !this.generator) {
      throw new Error(
        "Cannot predict with SGE: this trainer has no generator (got generator: null)",
      );
    }
    const [batchSize, height, width] = images.shape;
    return withMemoryGuard(() =>
      tf.tidy(() => {
        const input = sge ? this.generator!.apply(images, { training: false }) : images;
        return this.segmentor.apply(input, { training: false });
      }), { batchSize, height, width, what: sge ? "segment with SGE" : "segment" });
  }

  /**
   * Generated (enhanced) images `G(x)` in inference mode.
   * @param images `[batch, height, width, channels]`.
   * @returns `[batch, height, width, channels]` in `[-1, 1]` (caller disposes).
   */
  enhance(images: ImageBatch): ImageBatch {
    this.#check();
    if (!this.generator) {
      throw new Error("Cannot enhance images: this trainer has no generator (got generator: null)");
    }
    return tf.tidy(() => this.generator!.apply(images, { training: false }));
  }

  /** Every module of the trainer with its checkpoint prefix. */
  #modules(): [string, { variables: readonly tf.Variable[]; variableNames: readonly string[] }][] {
    const out: [string, { variables: readonly tf.Variable[]; variableNames: readonly string[] }][] =
      [];
    for (const [key, part] of this.#parts) {
      out.push([key, part.module]);
      out.push([`${key}.adam`, {
        variables: part.adam.stateVariables,
        variableNames: part.adam.stateNames,
      }]);
    }
    for (const part of this.#pluginParts) {
      const variables = part.variables ?? [], variableNames = part.variableNames ?? [];
      if (variables.length !== variableNames.length) {
        throw new TypeError(
          `Cannot list the state of consistency loss "${
            this.consistency!.name
          }": a part has ${variables.length} variables but ${variableNames.length} names (got ${variables.length} != ${variableNames.length})`,
        );
      }
      out.push([`consistency.${this.consistency!.name}`, { variables, variableNames }]);
    }
    return out;
  }

  /** Every stateful tensor of the trainer by checkpoint name (weights, optimizer, teacher). */
  namedState(): Map<string, AnyVariable> {
    const map = new Map<string, AnyVariable>();
    for (const [prefix, m] of this.#modules()) {
      m.variables.forEach((v, i) => {
        const name = `${prefix}/${m.variableNames[i]}`;
        if (map.has(name)) {
          throw new TypeError(
            `Cannot name the trainer's state: two variables are named ${name} (got a plug-in part whose names repeat another part's)`,
          );
        }
        map.set(name, v);
      });
    }
    return map;
  }

  /**
   * The variables of the trained model by checkpoint name: the weights and batch-norm state of
   * S (`S/...`) and G (`G/...`), without optimizer moments, D or a plug-in's state. Both
   * inference paths use this set, so a restored best epoch keeps S and G of one epoch.
   */
  modelState(): Map<string, AnyVariable> {
    const map = new Map<string, AnyVariable>();
    for (const key of ["S", "G"] as const) {
      const module = this.#parts.get(key)?.module;
      module?.variables.forEach((v, i) => map.set(`${key}/${module.variableNames[i]}`, v));
    }
    return map;
  }

  /**
   * Writes a checkpoint (weights of G, S, D, optimizer states, consistency state, RNG state,
   * iteration) atomically to `path`.
   *
   * @param extra JSON-serialisable data stored alongside (e.g. epoch, best score, history).
   */
  async save(path: string, extra?: unknown): Promise<void> {
    this.#check();
    const meta: TrainerCheckpointMeta = {
      format: "grn-trainer",
      step: this.#step,
      rng: this.#rng.state(),
      adamSteps: Object.fromEntries([...this.#parts].map(([k, p]) => [k, p.adam.step])),
      config: { mode: this.mode, feedback: this.feedback, lambdas: { ...this.lambdas } },
      ...(extra !== undefined ? { extra } : {}),
    };
    await writeCheckpoint(path, this.namedState(), meta);
  }

  /**
   * Restores a checkpoint written by {@linkcode GRN.save} into this trainer, so training
   * continues exactly where it stopped.
   *
   * @returns The `extra` data stored with the checkpoint.
   * @throws {Error} When the file is not a trainer checkpoint, or its networks or mode differ
   *   from this trainer's (the message names the file and the mismatch).
   */
  async restore(path: string): Promise<unknown> {
    this.#check();
    const checkpoint = await readCheckpoint<TrainerCheckpointMeta>(path);
    const meta = checkpoint.meta;
    if (!meta || meta.format !== "grn-trainer") {
      throw new Error(
        `Cannot restore ${path}: not a GRN trainer checkpoint (got format ${
          JSON.stringify(meta?.format)
        })`,
      );
    }
    if (meta.config.mode !== this.mode) {
      throw new Error(
        `Cannot restore ${path}: it was written in mode "${meta.config.mode}" but this trainer runs "${this.mode}"`,
      );
    }
    const state = this.namedState();
    assignFromCheckpoint(checkpoint, [...state.values()], [...state.keys()], path);
    for (const [key, part] of this.#parts) part.adam.setStep(meta.adamSteps[key] ?? 0);
    this.#rng = Rng.fromState(meta.rng);
    this.#step = meta.step;
    return meta.extra;
  }

  /**
   * Frees the optimizers and the consistency loss's state, and the networks. Safe to call
   * more than once.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const part of this.#parts.values()) {
      part.adam.dispose();
      part.module.dispose();
    }
    for (const part of this.#pluginParts) part.dispose?.();
  }

  /** Same as {@linkcode GRN.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
