/**
 * The built-in method definitions: GRN, its ablations, and every method the paper compares
 * against, as configurations of the one `GRN` trainer plus consistency plug-ins.
 * @module
 */
import { augmentBatch } from "../data/augment.ts";
import type { DiceLossOptions } from "../losses/dice_loss.ts";
import { type ConsistencyLoss, pluginParts } from "../losses/consistency_loss.ts";
import {
  InterpolationConsistency,
  type InterpolationConsistencyOptions,
} from "../losses/interpolation_consistency.ts";
import { MeanTeacher, type MeanTeacherOptions } from "../losses/mean_teacher.ts";
import {
  PyramidConsistency,
  type PyramidConsistencyOptions,
} from "../losses/pyramid_consistency.ts";
import {
  RegularizedDropout,
  type RegularizedDropoutOptions,
} from "../losses/regularized_dropout.ts";
import {
  SegmentationAdversarial,
  type SegmentationAdversarialOptions,
} from "../losses/segmentation_adversarial.ts";
import {
  ShapeAwareAdversarial,
  type ShapeAwareAdversarialOptions,
} from "../losses/shape_aware_adversarial.ts";
import {
  UncertaintyAwareMeanTeacher,
  type UncertaintyAwareMeanTeacherOptions,
} from "../losses/uncertainty_aware_mean_teacher.ts";
import type { Module } from "../networks/module.ts";
import { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import { PyramidUNet } from "../networks/pyramid_unet.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { SdmUNet } from "../networks/sdm_unet.ts";
import type { Segmentor } from "../networks/segmentor.ts";
import { UNet } from "../networks/unet.ts";
import { GRN, type GRNOptions, type SegmentationFeedback } from "./grn.ts";
import type {
  MethodBuildContext,
  MethodDefinition,
  MethodStage,
  ResolvedMethodOptions,
  TrainingPlan,
} from "./method.ts";
import { learningRateFactor, sigmoidConsistencyWeight, sigmoidRampup } from "./schedules.ts";

/** SSL4MIS's Dice loss: squared denominators, sums over the batch, background included. */
const SSL4MIS_DICE: DiceLossOptions = { squared: true, reduce: "batch" };

type SegmentorKind = "unet" | "pyramid" | "sdm";

function segmentor(o: ResolvedMethodOptions, kind: SegmentorKind = "unet"): Segmentor {
  const settings = { ...o.unet, numClasses: o.numClasses, inChannels: o.inChannels, seed: o.seed };
  if (kind === "pyramid") return new PyramidUNet(settings);
  if (kind === "sdm") return new SdmUNet(settings);
  return new UNet(settings);
}

function generator(o: ResolvedMethodOptions): ResUNetGenerator {
  return new ResUNetGenerator({ ...o.generator, channels: o.inChannels, seed: o.seed + 1 });
}

function discriminator(o: ResolvedMethodOptions): PatchGANDiscriminator {
  return new PatchGANDiscriminator({
    ...o.discriminator,
    channels: o.inChannels,
    seed: o.seed + 2,
  });
}

/** Builds a trainer, freeing its networks and plug-in when the constructor refuses them. */
function trainer(options: GRNOptions): GRN {
  try {
    return new GRN(options);
  } catch (e) {
    const owned: (Module | null | undefined)[] = [
      options.segmentor,
      options.generator,
      options.discriminator,
    ];
    for (const m of owned) m?.dispose?.();
    const parts = options.consistency ? pluginParts(options.consistency) : [];
    for (const part of parts) part.dispose?.();
    throw e;
  }
}

/**
 * `w(t) = λ·sigmoidRampup(floor(t / P), 200)` over `rampFraction × plan.iterations`
 * iterations (SSL4MIS's schedule scaled to the planned run), rebuilt when the plan changes.
 */
function rampedWeight(
  o: ResolvedMethodOptions,
  plan: TrainingPlan,
  defaultWeight: number,
): (step: number) => number {
  const weight = o.consistencyWeight ?? defaultWeight;
  let planned = NaN;
  let w: (step: number) => number = () => weight;
  return (step) => {
    if (plan.iterations !== planned) {
      planned = plan.iterations;
      w = sigmoidConsistencyWeight({ weight, rampIterations: planned * o.rampFraction });
    }
    return w(step);
  };
}

/**
 * The learning-rate factor of `o.lrSchedule` as a function of the step, reading the plan
 * lazily (it is set per stage when training starts).
 */
function learningRateSchedule(
  o: ResolvedMethodOptions,
  plan: TrainingPlan,
): (step: number) => number {
  const name = o.lrSchedule;
  if (name === "none") return () => 1;
  return (step) =>
    learningRateFactor(name, step, {
      iterationsPerEpoch: plan.iterationsPerEpoch,
      totalIterations: plan.iterations,
    });
}

function stage(trainer: GRN, ramped = false): MethodStage[] {
  return [{ name: "train", trainer, epochShare: 1, validate: true, ramped }];
}

function supervisedTrainer(o: ResolvedMethodOptions, plan: TrainingPlan): GRN {
  return trainer({
    segmentor: segmentor(o),
    mode: "sel",
    supervisedLoss: o.supervisedLoss ?? "dice",
    dice: o.dice ?? {},
    adam: o.adam,
    learningRateSchedule: learningRateSchedule(o, plan),
    seed: o.seed + 100,
  });
}

/**
 * A classic semi-supervised baseline: the segmentor alone, one update per iteration on
 * `L_sup(B_l) + w(t)·L_cons(B_u)` (SSL4MIS's loop), SSL4MIS's `0.5·(CE + Dice)`.
 */
function classic(
  { options: o, plan }: MethodBuildContext,
  kind: SegmentorKind,
  consistency: ConsistencyLoss,
  defaultWeight: number,
): MethodStage[] {
  return stage(
    trainer({
      segmentor: segmentor(o, kind),
      mode: "ssl",
      unlabeledPhase: "combined",
      consistency,
      consistencyWeight: rampedWeight(o, plan, defaultWeight),
      supervisedLoss: o.supervisedLoss ?? "dice-ce",
      dice: o.dice ?? SSL4MIS_DICE,
      adam: o.adam,
      learningRateSchedule: learningRateSchedule(o, plan),
      seed: o.seed + 100,
    }),
    true,
  );
}

/** GRN-SEL / GRN-SSL with the paper's settings (λcus = 1, no ramp). */
function grn(
  { options: o, plan }: MethodBuildContext,
  mode: "sel" | "ssl",
  feedback: SegmentationFeedback,
  consistency?: ConsistencyLoss,
  kind: SegmentorKind = "unet",
): MethodStage[] {
  const weight = o.consistencyWeight ?? 1;
  return stage(trainer({
    segmentor: segmentor(o, kind),
    generator: generator(o),
    discriminator: discriminator(o),
    mode,
    feedback,
    ...(consistency ? { consistency } : {}),
    lambdas: o.lambdas,
    consistencyWeight: () => weight,
    supervisedLoss: o.supervisedLoss ?? "dice",
    dice: o.dice ?? {},
    adam: o.adam,
    learningRateSchedule: learningRateSchedule(o, plan),
    seed: o.seed + 100,
  }));
}

function grnSel(
  name: string,
  feedback: SegmentationFeedback,
  reference: string,
  description: string,
  report: Pick<MethodDefinition, "label" | "ablation" | "paperRows">,
): MethodDefinition {
  return {
    name,
    ...report,
    proposed: true,
    description,
    reference,
    usesUnlabeled: false,
    hasGenerator: true,
    build: (ctx) => grn(ctx, "sel", feedback),
  };
}

/**
 * The built-in methods, in the order of the paper's tables (Tables 2-6).
 *
 * Shared by every method, so that a table compares methods and nothing else: the same
 * segmentor backbone (the SSL4MIS UNet, or its pyramid / signed-distance variant where the
 * method needs extra heads) with the same initial weights for one seed; the same optimizer for
 * every network (Adam with the paper's lr 2e-4 and betas 0.5/0.999) and one learning-rate
 * schedule (`lrSchedule`: `"none"` by default for every method; `"step"` is the public GRN
 * code's StepLR(10, 0.1), `"poly"` SSL4MIS's); the same `fit()` loop (epochs of
 * `ceil(labeled / batchSize)` iterations, validation by the soft Dice loss after each epoch,
 * the best `S(x)` epoch and, for methods with a generator, the best `S(G(x))` epoch kept
 * separately, early stopping once neither improved for 5 epochs); equal labeled and
 * unlabeled batch sizes. `equalSegmentorUpdates` doubles the iterations of every method that
 * takes one segmentor update per iteration, to match GRN-SSL's two.
 *
 * Deviations from the SSL4MIS reference settings, the same for every classic baseline:
 * - Adam as above instead of SGD (lr 0.01, momentum 0.9, weight decay 1e-4), and no
 *   learning-rate schedule by default (SSL4MIS: poly 0.9, available as `lrSchedule:
 *   "poly"`): the paper gives Adam for its networks and no optimizer for the baselines, and
 *   one optimizer keeps the comparison about the methods.
 * - Epoch-based training with early stopping instead of 30000 iterations with validation every
 *   200 and no early stopping. The consistency ramp keeps SSL4MIS's shape
 *   `λ·sigmoidRampup(floor(t/P), 200)` but spans `rampFraction` (0.4) of the planned run
 *   (`P = rampFraction · plannedIterations / 200`) instead of all of it, and model selection
 *   and early stopping start only in the first epoch at full weight (`fit`'s
 *   `selectFromEpoch`, epoch 21 of 50): SSL4MIS's run always completes its ramp because it
 *   never stops early; here a ramp over the whole planned run would be cut off by early
 *   stopping (w/λ 0.04-0.17 at epochs 10-20 of 50), so the baselines would train almost as
 *   supervised. SASSNet's own ramp (`L = 40` pseudo-epochs over its 6000 iterations) takes
 *   the same 200-pseudo-epoch shape here.
 * - The labeled and unlabeled halves pass through the student separately (SSL4MIS concatenates
 *   them into one batch of 24), so batch norm sees each half's statistics.
 * - No SSL4MIS augmentation (rot90/flip/rotation); `supervised-aug` is the augmented row.
 * - Model selection by the lowest validation soft Dice loss (SSL4MIS: the highest mean
 *   foreground Dice of the 3-D validation volumes).
 * - MT and UAMT teacher noise: std 0.2 clipped to ±0.4 on our `[-1, 1]` images (SSL4MIS's
 *   0.1/±0.2 on `[0, 1]` images, scaled with the range).
 * - One segmentor update per iteration, as in SSL4MIS; GRN-SSL takes two, and
 *   `equalSegmentorUpdates` evens the count out by running the baselines twice as many
 *   iterations (SSL4MIS has no such option: it compares at equal iterations).
 * - The plug-ins' own discriminators (DAN, SASSNet) keep a constant learning rate under every
 *   `lrSchedule`, as in SSL4MIS's DAN and SASSNet; SASSNet's segmentor step decay (×0.1 every
 *   2500 iterations with SGD) is not reproduced (`"step"` decays every 10 epochs).
 *
 * The methods:
 * - `supervised`: labeled data only, the paper's Dice loss (the same as GRN's, since the paper
 *   measures RAug as GRN-SEL minus this row).
 * - `supervised-aug`: as `supervised`, with `augmentBatch` on the labeled stream: flips,
 *   rotation ±15°, scale and shift 0.1, brightness/contrast/gamma 0.2, noise (the
 *   albumentations-like set of GRN's public code; the paper says "geometric and intensity").
 * - `supervised-gan-aug` (Bowles et al. [35]): stage `gan` trains GRN's generator and
 *   discriminator as a reconstruction GAN (`L_G = λadv·LSGAN + λL1·L1`, no segmentation term,
 *   segmentor frozen, no validation) for `round(ganEpochShare · maxEpochs)` (0.5) epochs on
 *   top of the budget; stage `segmentor` then trains the segmentor on `(Dice(S(x)) +
 *   Dice(S(G(x))))/2` with the generator frozen (the joint set of originals and
 *   reconstructions) for the full `maxEpochs`, with validation: the same segmentor budget as
 *   `supervised`.
 * - `mt`: `MeanTeacher`, `λ = 0.1`, EMA 0.99, teacher noise 0.2 clipped to ±0.4 (see above),
 *   no 1000-step gate.
 * - `uamt`: `UncertaintyAwareMeanTeacher`, `λ = 0.1`, 8 MC passes on the batch itself (SSL4MIS:
 *   4 on the duplicated batch), SSL4MIS's entropy threshold scale `ln 2` (written for 2
 *   classes) kept by default: scaling it to `ln C` (`{ consistency: { thresholdEntropy:
 *   "ln-classes" } }`) measured worse on the phantom (docs/training_defaults.md), SSL4MIS's
 *   `2·Σm` normaliser kept (so `λ` keeps its meaning), threshold ramp over the consistency
 *   ramp.
 * - `urpc`: `PyramidConsistency` on a `PyramidUNet` (at least 5 levels), deep supervision,
 *   non-detached pyramid mean (as SSL4MIS), `λ = 0.1`.
 * - `sassnet`: `ShapeAwareAdversarial` on an `SdmUNet` (2-D multi-class adaptation), `β = 0.3`,
 *   `λ = 0.01`, discriminator Adam lr 1e-4.
 * - `rdrop`: `RegularizedDropout` (one model, two passes; not SSL4MIS's two-model variant),
 *   `λ = 4.0` (SSL4MIS).
 * - `ict`: `InterpolationConsistency` with an EMA teacher (0.99), `Beta(0.2, 0.2)` unfolded,
 *   one `λ` per image (`sampling: "image"`, SSL4MIS's per-pair draw), halves pairing, `λ =
 *   0.1`; every image gets a mixture (SSL4MIS mixes the first half with the second only).
 * - `dan`: `SegmentationAdversarial`, `λ = 0.1`, discriminator Adam lr 1e-4, betas 0.9/0.99.
 * The classic baselines use SSL4MIS's supervised term `0.5·(CE + Dice)` with its Dice
 * (squared denominators, batch sums).
 * - `grn-sel`, `grn-sel-no-feedback`, `grn-sel-negated`, `grn-sel-frozen-s`: Algorithm 1 and
 *   the Table 6 ablations (`feedback` joint / none / negated / frozen-segmentor), the paper's
 *   weights (λadv 1, λseg 100, λL1 100).
 * - `grn-ssl`: Algorithm 2 with ICT as in GRN's public code: one `λ ~ Beta(0.75, 0.75)`
 *   folded and one permutation per batch per iteration, shared by the generator term and
 *   both segmentor terms (`sampling: "batch"`), no teacher; λcus 1 and a constant weight (the
 *   paper has no ramp, so selection starts at epoch 1). The public code zeroes S's share of
 *   `L_G` (`optimizer_S.zero_grad()` before S's step: the paper's frozen-S ablation); the SDK
 *   follows the paper's text (`feedback: "joint"`).
 * - `grn-ssl-mt`, `grn-ssl-urpc`: Algorithm 2 with the MT loss (teacher `S'∘G'`) or the URPC
 *   loss (pyramid UNet) as `L_customize`, otherwise as `grn-ssl` (section 4: `L_customize` is
 *   replaceable).
 */
export const BUILTIN_METHODS: readonly MethodDefinition[] = [
  {
    name: "supervised",
    label: "Fully supervised",
    paperRows: { table4: ["plain"], table6: ["plain"] },
    description: "the segmentor on labeled data only, Dice loss (the paper's fully supervised)",
    reference: "Tables 2-6, Fully supervised",
    usesUnlabeled: false,
    hasGenerator: false,
    build: ({ options, plan }) => stage(supervisedTrainer(options, plan)),
  },
  {
    name: "supervised-aug",
    label: "Fully supervised (w. image augmentation)",
    ablation: true,
    paperRows: { table6: ["plain"] },
    description: "supervised with geometric + intensity image augmentation of the labeled stream",
    reference: "Table 6, Fully Supervised (w. image augmentation)",
    usesUnlabeled: false,
    hasGenerator: false,
    labeledAugment: (o) => (batch, rng) => augmentBatch(batch, rng, o.augment),
    build: ({ options, plan }) => stage(supervisedTrainer(options, plan)),
  },
  {
    name: "supervised-gan-aug",
    label: "Fully supervised (w. GAN augmentation)",
    ablation: true,
    paperRows: { table6: ["plain"] },
    description:
      "a reconstruction GAN trained first, then the segmentor on originals + reconstructions",
    reference: "Table 6, Fully Supervised (w. GAN augmentation) [35]",
    usesUnlabeled: false,
    hasGenerator: true,
    build: ({ options: o, plan }) => {
      const s = segmentor(o), g = generator(o), d = discriminator(o);
      const share = o.ganEpochShare;
      const gan = trainer({
        segmentor: s,
        generator: g,
        discriminator: d,
        mode: "sel",
        feedback: "none",
        train: { segmentor: false },
        lambdas: o.lambdas,
        adam: o.adam,
        learningRateSchedule: learningRateSchedule(o, plan),
        seed: o.seed + 100,
      });
      let seg: GRN;
      try {
        seg = new GRN({
          segmentor: s,
          generator: g,
          discriminator: null,
          mode: "sel",
          train: { generator: false, discriminator: false },
          supervisedLoss: o.supervisedLoss ?? "dice",
          dice: o.dice ?? {},
          adam: o.adam,
          learningRateSchedule: learningRateSchedule(o, plan),
          seed: o.seed + 101,
        });
      } catch (e) {
        gan.dispose();
        throw e;
      }
      return [
        { name: "gan", trainer: gan, epochShare: share, validate: false, extraEpochs: true },
        { name: "segmentor", trainer: seg, epochShare: 1, validate: true },
      ];
    },
  },
  {
    name: "mt",
    label: "MT",
    description: "mean teacher: MSE to an EMA teacher on noisy unlabeled images",
    reference: "Table 2, MT [25]",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) =>
      classic(
        ctx,
        "unet",
        new MeanTeacher({ ...ctx.options.consistency } as MeanTeacherOptions),
        0.1,
      ),
  },
  {
    name: "uamt",
    label: "UAMT",
    description: "uncertainty-aware mean teacher (8 MC-dropout teacher passes, entropy mask)",
    reference: "Table 2, UAMT [26]",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) => {
      const { options: o, plan } = ctx;
      return classic(
        ctx,
        "unet",
        new UncertaintyAwareMeanTeacher({
          thresholdRamp: (t) => sigmoidRampup(t, plan.iterations * o.rampFraction),
          ...o.consistency,
        } as UncertaintyAwareMeanTeacherOptions),
        0.1,
      );
    },
  },
  {
    name: "urpc",
    label: "URPC",
    description: "uncertainty-rectified pyramid consistency on a pyramid UNet",
    reference: "Table 2, URPC [32]",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) =>
      classic(
        ctx,
        "pyramid",
        new PyramidConsistency({ ...ctx.options.consistency } as PyramidConsistencyOptions),
        0.1,
      ),
  },
  {
    name: "sassnet",
    label: "SASSNet",
    description: "shape-aware: signed-distance head (tanh) and a discriminator on it",
    reference: "Table 2, SASSNet [33] (2-D multi-class adaptation)",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) => {
      const o = ctx.options;
      return classic(
        ctx,
        "sdm",
        new ShapeAwareAdversarial({
          discriminator: o.auxiliaryDiscriminator,
          seed: o.seed + 3,
          ...o.consistency,
        } as ShapeAwareAdversarialOptions),
        0.01,
      );
    },
  },
  {
    name: "rdrop",
    label: "R-Drop",
    description: "R-Drop: symmetric KL between two dropout passes of one model",
    reference: "Table 2, R-drop [34]",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) =>
      classic(
        ctx,
        "unet",
        new RegularizedDropout({ ...ctx.options.consistency } as RegularizedDropoutOptions),
        4.0,
      ),
  },
  {
    name: "ict",
    label: "ICT",
    description: "interpolation consistency with an EMA teacher (Beta(0.2, 0.2), halves)",
    reference: "Table 2, ICT [30]",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) =>
      classic(
        ctx,
        "unet",
        new InterpolationConsistency({
          alpha: 0.2,
          foldLambda: false,
          pairing: "halves",
          sampling: "image",
          teacher: true,
          ...ctx.options.consistency,
        } as InterpolationConsistencyOptions),
        0.1,
      ),
  },
  {
    name: "dan",
    label: "DAN",
    description: "deep adversarial network: discriminator on [softmax, image], labeled = real",
    reference: "Table 2, DAN [27]",
    usesUnlabeled: true,
    hasGenerator: false,
    build: (ctx) => {
      const o = ctx.options;
      return classic(
        ctx,
        "unet",
        new SegmentationAdversarial({
          discriminator: o.auxiliaryDiscriminator,
          seed: o.seed + 3,
          ...o.consistency,
        } as SegmentationAdversarialOptions),
        0.1,
      );
    },
  },
  grnSel(
    "grn-sel",
    "joint",
    "Tables 2-6, GRN-SEL (Algorithm 1)",
    "GRN-SEL: generator and segmentor with joint segmentation feedback (labeled data only)",
    { label: "GRN-SEL", paperRows: { table4: ["plain", "sge"], table6: ["plain", "sge"] } },
  ),
  grnSel(
    "grn-sel-no-feedback",
    "none",
    "Table 6, GRN-SEL (w/o L_seg feedback)",
    "GRN-SEL ablation: no segmentation term in the generator loss",
    {
      label: "GRN-SEL (w/o L_seg feedback)",
      ablation: true,
      paperRows: { table6: ["plain"] },
    },
  ),
  grnSel(
    "grn-sel-negated",
    "negated",
    "Table 6, GRN-SEL (w. -L_seg feedback)",
    "GRN-SEL ablation: negated segmentation term (adversarial augmentation)",
    {
      label: "GRN-SEL (w. -L_seg feedback)",
      ablation: true,
      paperRows: { table6: ["plain"] },
    },
  ),
  grnSel(
    "grn-sel-frozen-s",
    "frozen-segmentor",
    "Table 6, GRN-SEL (Freeze S for back-propagating L_G)",
    "GRN-SEL ablation: S held fixed while L_G is back-propagated",
    {
      label: "GRN-SEL (freeze S for L_G)",
      ablation: true,
      paperRows: { table6: ["plain"] },
    },
  ),
  {
    name: "grn-ssl",
    label: "GRN-SSL",
    proposed: true,
    paperRows: { table4: ["plain", "sge"], table6: ["sge"] },
    description: "GRN-SSL: GRN with an unlabeled phase, ICT as L_customize (Algorithm 2)",
    reference: "Tables 2-6, GRN-SSL (Algorithm 2)",
    usesUnlabeled: true,
    hasGenerator: true,
    build: (ctx) =>
      grn(
        ctx,
        "ssl",
        "joint",
        new InterpolationConsistency(
          { ...ctx.options.consistency } as InterpolationConsistencyOptions,
        ),
      ),
  },
  {
    name: "grn-ssl-mt",
    label: "GRN-SSL (MT L_customize)",
    proposed: true,
    description: "GRN-SSL with a mean-teacher L_customize (teacher S'∘G')",
    reference: "Section 4 (L_customize is replaceable)",
    usesUnlabeled: true,
    hasGenerator: true,
    build: (ctx) =>
      grn(
        ctx,
        "ssl",
        "joint",
        new MeanTeacher({ ...ctx.options.consistency } as MeanTeacherOptions),
      ),
  },
  {
    name: "grn-ssl-urpc",
    label: "GRN-SSL (URPC L_customize)",
    proposed: true,
    description: "GRN-SSL with the URPC loss as L_customize (pyramid UNet segmentor)",
    reference: "Section 4 (rectified pyramid consistency as L_customize [32])",
    usesUnlabeled: true,
    hasGenerator: true,
    build: (ctx) =>
      grn(
        ctx,
        "ssl",
        "joint",
        new PyramidConsistency({ ...ctx.options.consistency } as PyramidConsistencyOptions),
        "pyramid",
      ),
  },
];
