import { join } from "node:path";
import type { AdamOptions } from "../engine/adam.ts";
import type { ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import type { AugmentBorder } from "../data/augment.ts";
import type { AugmentOptions } from "../data/augment_params.ts";
import type { BatchAugment } from "../data/batches.ts";
import type { DiceLossOptions } from "../losses/dice_loss.ts";
import type { PatchGANDiscriminatorOptions } from "../networks/patchgan_discriminator.ts";
import type { ResUNetGeneratorOptions } from "../networks/resunet_generator.ts";
import type { UNetOptions } from "../networks/unet.ts";
import { AugmentedSource } from "./augmented_source.ts";
import { fit, type FitData, type FitOptions, type FitResult, type ProgressEvent } from "./fit.ts";
import type { GRN, GRNLambdas, GRNOptions } from "./grn.ts";
import type { LearningRateScheduleName } from "./schedules.ts";

/**
 * Settings shared by every method of a comparison: one backbone, one seed, one optimizer, one
 * training budget. Methods fill in their own defaults (loss, consistency weight, plug-in
 * options) for what is left out; see each method's description in `methodNames()` /
 * `getMethodDefinition()`.
 */
export interface MethodOptions {
  /** Output classes, background included. @default {7} (the paper's 6 layers + background) */
  numClasses?: number;
  /** Image channels. @default {1} */
  inChannels?: number;
  /**
   * Seed of everything: the segmentor's initial weights (the same for every method with the
   * same seed), the generator (`seed + 1`), the discriminators (`seed + 2`, plug-ins
   * `seed + 3`) and the trainer's generator (`seed + 100`).
   * @default {0}
   */
  seed?: number;
  /**
   * The segmentor backbone (also used by the pyramid and signed-distance variants).
   * @default {{}} (the SSL4MIS UNet: channels 16…256, encoder dropout 0.05…0.5)
   */
  unet?: Omit<UNetOptions, "numClasses" | "inChannels" | "seed">;
  /** GRN's generator. @default {{}} (`ResUNetGenerator` defaults) */
  generator?: Omit<ResUNetGeneratorOptions, "channels" | "seed">;
  /** GRN's image discriminator. @default {{}} (`PatchGANDiscriminator` defaults) */
  discriminator?: Omit<PatchGANDiscriminatorOptions, "channels" | "seed">;
  /**
   * The discriminators the DAN and SASSNet plug-ins own.
   * @default {{ ndf: 64, nLayers: 3, norm: "none" }}
   */
  auxiliaryDiscriminator?: Omit<PatchGANDiscriminatorOptions, "channels" | "seed">;
  /**
   * Adam of every trained network, for every method (one optimizer for the whole table).
   * @default {{}} (the paper's lr 2e-4, betas 0.5/0.999)
   */
  adam?: AdamOptions;
  /** GRN's loss weights. @default {{}} (the paper's: adv 1, seg 100, L1 100, cus 1) */
  lambdas?: GRNLambdas;
  /**
   * The supervised loss. @default {per method: "dice" for GRN and the supervised baselines,
   *   "dice-ce" (SSL4MIS's 0.5·(CE + Dice)) for the classic semi-supervised baselines}
   */
  supervisedLoss?: GRNOptions["supervisedLoss"];
  /**
   * Dice options of the supervised loss. @default {per method: MONAI-like for GRN and the
   *   supervised baselines, SSL4MIS's `{ squared: true, reduce: "batch" }` for the classic
   *   semi-supervised baselines}
   */
  dice?: DiceLossOptions;
  /**
   * Final weight `λ` of the unlabeled term. @default {per method: 0.1 (MT, UAMT, URPC, ICT,
   *   DAN), 4.0 (R-Drop), 0.01 (SASSNet), 1 and no ramp for GRN-SSL}
   */
  consistencyWeight?: number;
  /**
   * Fraction of the planned iterations (the stage's `maxEpochs × iterationsPerEpoch`) the
   * sigmoid ramp-up of `λ` (and UAMT's threshold) spans. {@linkcode Method.fit} lets model
   * selection and early stopping start only in the first epoch that trains at the full
   * weight (`fit`'s `selectFromEpoch`; see {@linkcode Method.selectFromEpoch}), so a ramped
   * baseline always reaches its full weight and is selected at it. SSL4MIS's ramp ends with
   * its 30000-iteration run, but SSL4MIS never stops early; with `fit`'s early stopping a
   * ramp over the whole planned run would either be cut off (w/λ at 0.04-0.17 when a run
   * stops at epoch 10-20 of 50) or, counted from its end, leave no epoch to select from. 0.4
   * ends the ramp with epoch 20 of 50, about where the supervised baseline stops improving,
   * and leaves 60 % of the budget at full weight (selection from epoch 21).
   * @default {0.4}
   */
  rampFraction?: number;
  /**
   * Planned number of training iterations, for the ramps.
   * @default {from `Method.fit`: epochs of the stage × iterations per epoch; 30000 (SSL4MIS's
   *   run) when steps are taken without `fit`}
   */
  plannedIterations?: number;
  /** Options merged over the method's plug-in options (e.g. `{ decay: 0.999 }`). @default {{}} */
  consistency?: Record<string, unknown>;
  /**
   * Image augmentation of `supervised-aug` (geometric + intensity).
   * @default {{}} (`augmentBatch` defaults: flips, rotation ±15°, scale/shift 0.1, brightness,
   *   contrast, gamma, noise)
   */
  augment?: AugmentOptions & { border?: AugmentBorder };
  /**
   * Epochs of the reconstruction-GAN stage of `supervised-gan-aug` as a fraction of
   * `maxEpochs` (`max(1, round(share × maxEpochs))`), run *before and on top of* the
   * segmentor stage, which gets the full `maxEpochs` like the `supervised` baseline (so the
   * two rows differ only by the GAN copies).
   * @default {0.5}
   */
  ganEpochShare?: number;
  /**
   * Learning-rate schedule of every optimizer the trainers own (G, S, D; plug-in
   * discriminators keep their constant rate, as in SSL4MIS's DAN and SASSNet):
   * `"none"`; `"step"`: ×0.1 every 10 epochs (GRN's public code: `StepLR(10, 0.1)` on G, S
   * and D); `"poly"`: `(1 - t/T)^0.9` over the stage's planned iterations `T` (SSL4MIS).
   * See `learningRateFactor`. The default is `"none"` for every method: on the phantom at the
   * quick preset's budget `"none"` beat `"step"` and `"poly"` for the supervised baseline in
   * each of 3 seeds, and neither helped MT or GRN-SSL (docs/training_defaults.md).
   * @default {"none"}
   */
  lrSchedule?: LearningRateScheduleName;
  /**
   * Equal segmentor-update budgets: GRN-SSL takes two segmentor updates per iteration (its
   * labeled and unlabeled phases), every other method one. With `true`, a stage whose
   * trainer takes one segmentor update per iteration runs twice the iterations per epoch
   * (so twice the labeled and unlabeled batches), giving it as many segmentor updates per
   * epoch as GRN-SSL; ramps and `"poly"` plan for the doubled count, `"step"` still decays
   * per epoch. Use it for a table that compares GRN-SSL with baselines at equal numbers of
   * segmentor updates; the default compares them at equal iterations (equal data draws).
   * @default {false}
   */
  equalSegmentorUpdates?: boolean;
}

/** {@linkcode MethodOptions} with the shared defaults filled in (method defaults stay open). */
export interface ResolvedMethodOptions extends
  Required<
    Pick<
      MethodOptions,
      | "numClasses"
      | "inChannels"
      | "seed"
      | "unet"
      | "generator"
      | "discriminator"
      | "auxiliaryDiscriminator"
      | "adam"
      | "lambdas"
      | "rampFraction"
      | "consistency"
      | "augment"
      | "ganEpochShare"
      | "lrSchedule"
      | "equalSegmentorUpdates"
    >
  >,
  Pick<MethodOptions, "supervisedLoss" | "dice" | "consistencyWeight" | "plannedIterations"> {}

/** The planned length of a run, resolved when training starts (read by ramp schedules). */
export interface TrainingPlan {
  /** Planned iterations of the current stage. */
  iterations: number;
  /**
   * Iterations per epoch of the current stage (for per-epoch schedules).
   * @default {150 before training (SSL4MIS's pseudo-epoch); set by `Method.fit`}
   */
  iterationsPerEpoch: number;
  /** Whether `iterations` was given by the user (then `fit` leaves it alone). */
  readonly fixed: boolean;
}

/** One training stage of a method: a trainer and its share of the epoch budget. */
export interface MethodStage {
  /** Stage name (e.g. `"train"`, `"gan"`, `"segmentor"`), also the checkpoint sub-folder. */
  name: string;
  /** The trainer of the stage. */
  trainer: GRN;
  /** Share of the epoch budget (shares of a method sum to 1; the last stage gets the rest). */
  epochShare: number;
  /**
   * Whether the stage validates (model selection, early stopping). A stage whose segmentor is
   * frozen (a GAN pre-training) must not: its validation score would never improve.
   */
  validate: boolean;
  /**
   * The stage runs `max(1, round(epochShare × maxEpochs))` epochs *on top of* the budget
   * instead of taking a share of it (the GAN stage of `supervised-gan-aug`).
   * @default {false}
   */
  extraEpochs?: boolean;
  /**
   * The stage's unlabeled weight ramps up over `rampFraction` of its planned iterations;
   * {@linkcode Method.fit} then starts model selection and early stopping in the first epoch
   * at full weight (see {@linkcode Method.selectFromEpoch}).
   * @default {false}
   */
  ramped?: boolean;
}

/** What a method definition's `build` gets. */
export interface MethodBuildContext {
  /** The resolved shared options. */
  options: ResolvedMethodOptions;
  /** The planned run length, for ramps; read it lazily (inside schedules), not at build time. */
  plan: TrainingPlan;
}

/** A prediction path of a trained method: `S(x)` (`"plain"`) or SGE `S(G(x))` (`"sge"`). */
export type MethodVariant = "plain" | "sge";

/**
 * The rows a method has in the paper's tables with fixed rows, by prediction path: Table 4
 * (the GRN variants across labeled fractions) and Table 6 (the ablation study). Tables 2 and
 * 3 list every method of a grid but the ablations (see {@linkcode MethodDefinition.ablation}).
 */
export interface MethodPaperRows {
  /** Prediction paths shown in Table 4, in row order (e.g. `["plain", "sge"]`). */
  table4?: readonly MethodVariant[];
  /** Prediction paths shown in Table 6, in row order. */
  table6?: readonly MethodVariant[];
}

/** A training method: how to build its trainer(s) from shared options. */
export interface MethodDefinition {
  /** Registry name (e.g. `"mt"`). */
  name: string;
  /**
   * Row label in tables and reports (the paper's row name, e.g. `"GRN-SEL (w/o L_seg
   * feedback)"`); the SGE row appends `" (w SGE)"`.
   * @default {the name}
   */
  label?: string;
  /** One line for help texts. */
  description: string;
  /** Where the method appears in the paper (e.g. `"Table 2, MT [25]"`). */
  reference: string;
  /**
   * Whether the method is one of the proposed GRN variants: the reports never take it as the
   * best baseline, and bold it where it is significantly better than the best baseline.
   * @default {false}
   */
  proposed?: boolean;
  /**
   * Whether the method belongs to the ablation study only (Table 6): the reports leave it out
   * of Tables 2 and 3 and never take it as the best baseline.
   * @default {false}
   */
  ablation?: boolean;
  /** Its rows in Tables 4 and 6. @default {{}} (in neither) */
  paperRows?: MethodPaperRows;
  /** Whether training draws unlabeled batches (the trainer runs in `"ssl"` mode). */
  usesUnlabeled: boolean;
  /** Whether the method has a generator (so SGE, `S(G(x))`, can be evaluated). */
  hasGenerator: boolean;
  /** The augmentation of the labeled stream, if any. */
  labeledAugment?: (options: ResolvedMethodOptions) => BatchAugment;
  /** Builds the stages (trainers share networks where stages hand over). */
  build(context: MethodBuildContext): MethodStage[];
}

/** A progress event of {@linkcode Method.fit}: `fit`'s event plus the stage. */
export interface MethodProgressEvent extends ProgressEvent {
  /** Name of the running stage. */
  stage: string;
  /** 0-based index of the stage. */
  stageIndex: number;
  /** Number of stages. */
  stages: number;
}

/** Options of {@linkcode Method.fit}: `fit`'s options, with per-stage progress events. */
export interface MethodFitOptions extends Omit<FitOptions, "progress"> {
  /**
   * `true` writes progress lines to stderr, `false` is silent, a function receives every
   * event with its stage.
   * @default {true}
   */
  progress?: boolean | ((event: MethodProgressEvent) => void);
}

/** What {@linkcode Method.fit} returns: the last stage's result plus every stage's. */
export interface MethodFitResult extends FitResult {
  /** Every stage's name, epochs and result, in order. */
  stages: { name: string; epochs: number; result: FitResult }[];
}

/**
 * A built method (see `createMethod`): its stages' trainers, ready to train with
 * {@linkcode Method.fit} on the same data, budget and evaluation as every other method.
 *
 * The last stage's trainer is {@linkcode Method.trainer}: its segmentor is the model that is
 * validated, selected and evaluated.
 */
export class Method {
  /** The definition the method was built from. */
  readonly definition: MethodDefinition;
  /** The resolved shared options. */
  readonly options: ResolvedMethodOptions;
  /** The stages, in training order. */
  readonly stages: readonly MethodStage[];
  /**
   * The labeled stream's augmentation (`supervised-aug`), else `null`. {@linkcode Method.fit}
   * applies it; pass it to `BatchStream`'s `augment` option only when driving the trainer
   * yourself.
   */
  readonly labeledAugment: BatchAugment | null;
  readonly #plan: TrainingPlan;
  #disposed = false;

  /**
   * Builds the stages of a definition (normally through `createMethod`).
   * @throws {RangeError} When the definition builds no stage or its shares are invalid.
   */
  constructor(definition: MethodDefinition, options: ResolvedMethodOptions) {
    this.definition = definition;
    this.options = options;
    this.#plan = {
      iterations: options.plannedIterations ?? 30000,
      iterationsPerEpoch: 150,
      fixed: options.plannedIterations !== undefined,
    };
    const stages = definition.build({ options, plan: this.#plan });
    if (stages.length === 0) {
      throw new RangeError(`Cannot build method "${definition.name}": it has no stage (got 0)`);
    }
    for (const s of stages) {
      if (!(s.epochShare > 0 && s.epochShare <= 1)) {
        for (const t of stages) t.trainer.dispose();
        throw new RangeError(
          `Cannot build method "${definition.name}": stage "${s.name}" must have an epoch share in (0, 1] (got ${s.epochShare})`,
        );
      }
    }
    this.stages = stages;
    this.labeledAugment = definition.labeledAugment?.(options) ?? null;
  }

  /** Registry name. */
  get name(): string {
    return this.definition.name;
  }

  /** The trainer whose segmentor is evaluated (the last stage's). */
  get trainer(): GRN {
    return this.stages[this.stages.length - 1]!.trainer;
  }

  /** Whether training needs an unlabeled source. */
  get usesUnlabeled(): boolean {
    return this.definition.usesUnlabeled;
  }

  /** Whether the method has a generator (SGE can be evaluated). */
  get hasGenerator(): boolean {
    return this.definition.hasGenerator;
  }

  /** Whether the labeled stream is augmented. */
  get augmentsLabeled(): boolean {
    return this.labeledAugment !== null;
  }

  /** Planned iterations the ramps currently use. */
  get plannedIterations(): number {
    return this.#plan.iterations;
  }

  /**
   * The number of epochs of each stage for a budget of `maxEpochs`: a stage with
   * `extraEpochs` runs `max(1, round(share · maxEpochs))` on top of the budget; of the others,
   * every stage but the last gets `max(1, round(share · maxEpochs))` and the last the rest.
   *
   * @throws {RangeError} When the budget leaves the last stage no epoch.
   */
  stageEpochs(maxEpochs: number): number[] {
    const share = (s: MethodStage) => Math.max(1, Math.round(s.epochShare * maxEpochs));
    const last = this.stages.length - 1;
    const budgeted = this.stages.slice(0, -1).filter((s) => !s.extraEpochs);
    const rest = maxEpochs - budgeted.reduce((a, s) => a + share(s), 0);
    if (rest < 1) {
      throw new RangeError(
        `Cannot split the epoch budget of method "${this.name}": its ${this.stages.length} stages need at least ${
          budgeted.length + 1
        } epochs (got maxEpochs ${maxEpochs})`,
      );
    }
    return this.stages.map((s, k) => (k === last ? rest : share(s)));
  }

  /**
   * Iterations per epoch of a stage for a nominal `iterationsPerEpoch`: doubled for a stage
   * whose trainer takes one segmentor update per iteration when `equalSegmentorUpdates` is
   * on (see {@linkcode MethodOptions.equalSegmentorUpdates}), else unchanged.
   */
  stageIterationsPerEpoch(stage: MethodStage, iterationsPerEpoch: number): number {
    const updates = stage.trainer.segmentorUpdatesPerIteration;
    return this.options.equalSegmentorUpdates && updates === 1
      ? 2 * iterationsPerEpoch
      : iterationsPerEpoch;
  }

  /**
   * The first epoch a stage's model selection and early stopping consider: for a ramped
   * stage, the epoch that holds the ramp's first full-weight iteration `R = rampFraction ×
   * plannedIterations` (0-based), `floor(R / iterationsPerEpoch) + 1`, at most `epochs`;
   * else 1. Every epoch from it on ends at `w = λ`, so the selected model has been trained at
   * the full weight (e.g. 50 epochs, `rampFraction` 0.4: epoch 21).
   */
  selectFromEpoch(stage: MethodStage, epochs: number): number {
    if (!stage.ramped) return 1;
    const rampIterations = this.options.rampFraction * this.#plan.iterations;
    const first = Math.floor(rampIterations / this.#plan.iterationsPerEpoch + 1e-9) + 1;
    return Math.min(epochs, first);
  }

  /**
   * Trains every stage in order with `fit()` (validation, model selection per inference
   * path, early stopping, checkpoints and resume), on one shared budget: `maxEpochs` is split
   * between the stages (see {@linkcode Method.stageEpochs}). With several stages, each
   * checkpoints into `checkpointDir/<stage>`; a stage that does not validate trains all its
   * epochs.
   *
   * The labeled source is wrapped with the method's augmentation when it has one; unless
   * `plannedIterations` was set, the ramps and the `"poly"` schedule plan for the running
   * stage's `epochs × iterationsPerEpoch` (iterations doubled with
   * `equalSegmentorUpdates`, see {@linkcode Method.stageIterationsPerEpoch}). A ramped stage
   * is selected and stopped early only from its first epoch at full weight (see
   * {@linkcode Method.selectFromEpoch}); an explicit `selectFromEpoch` option overrides it.
   *
   * @throws {RangeError} When the method needs unlabeled data and none is given, or on bad
   *   options (see `fit`).
   */
  async fit(data: FitData, options: MethodFitOptions = {}): Promise<MethodFitResult> {
    this.#check();
    if (this.usesUnlabeled && (!data.unlabeled || data.unlabeled.size < 1)) {
      throw new RangeError(
        `Cannot train method "${this.name}": it needs an unlabeled source with at least one item (got none)`,
      );
    }
    const { maxEpochs = 50, batchSize = 4, checkpointDir, progress = true } = options;
    const epochs = this.stageEpochs(maxEpochs);
    const labeled = this.labeledAugment
      ? new AugmentedSource(data.labeled, this.labeledAugment, this.options.seed)
      : data.labeled;
    const nominalIterations = options.iterationsPerEpoch ??
      Math.ceil(data.labeled.size / batchSize);
    const results: MethodFitResult["stages"] = [];
    for (let k = 0; k < this.stages.length; k++) {
      const stage = this.stages[k]!;
      const iterationsPerEpoch = this.stageIterationsPerEpoch(stage, nominalIterations);
      this.#plan.iterationsPerEpoch = iterationsPerEpoch;
      if (!this.#plan.fixed) this.#plan.iterations = epochs[k]! * iterationsPerEpoch;
      const report = typeof progress === "function"
        ? (e: ProgressEvent) =>
          progress({ ...e, stage: stage.name, stageIndex: k, stages: this.stages.length })
        : progress;
      const stageData: FitData = {
        labeled,
        ...(stage.trainer.mode === "ssl" ? { unlabeled: data.unlabeled } : {}),
        ...(stage.validate && data.validation ? { validation: data.validation } : {}),
      };
      const result = await fit(stage.trainer, stageData, {
        ...options,
        maxEpochs: epochs[k]!,
        iterationsPerEpoch,
        selectFromEpoch: options.selectFromEpoch ?? this.selectFromEpoch(stage, epochs[k]!),
        progress: report,
        ...(checkpointDir && this.stages.length > 1
          ? { checkpointDir: join(checkpointDir, stage.name) }
          : {}),
      });
      results.push({ name: stage.name, epochs: epochs[k]!, result });
    }
    return { ...results[results.length - 1]!.result, stages: results };
  }

  /**
   * Segments images with the evaluated trainer: `S(x)`, or `S(G(x))` with `sge` (methods with
   * a generator).
   * @param images `[batch, height, width, channels]`.
   * @returns Logits `[batch, height, width, classes]` (caller disposes).
   */
  predict(images: ImageBatch, options: { sge?: boolean } = {}): LogitBatch {
    this.#check();
    return this.trainer.predict(images, options);
  }

  /** Frees every stage's trainer (networks, optimizers, plug-in state). Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const s of this.stages) s.trainer.dispose();
  }

  /** Same as {@linkcode Method.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #check(): void {
    if (this.#disposed) throw new Error(`Cannot use method "${this.name}": it was disposed`);
  }
}
