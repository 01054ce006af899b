/**
 * Losses: Dice, cross-entropy, L1, MSE, least-squares adversarial, and the `ConsistencyLoss`
 * plug-ins (the paper's `L_customize` and the baselines' unlabeled terms: ICT, GRN-SSL's
 * default; MT, UAMT, URPC, R-Drop, DAN, SASSNet) with their registry and EMA teacher.
 * @module
 */
export * from "./consistency_loss.ts";
export * from "./consistency_registry.ts";
export * from "./cross_entropy.ts";
export * from "./dice_loss.ts";
export * from "./ema_teacher.ts";
export * from "./interpolation_consistency.ts";
export * from "./l1_loss.ts";
export * from "./least_squares_adversarial_loss.ts";
export * from "./mean_teacher.ts";
export * from "./mse_loss.ts";
export * from "./one_hot.ts";
export * from "./plugin_discriminator_options.ts";
export * from "./pyramid_consistency.ts";
export * from "./regularized_dropout.ts";
export * from "./segmentation_adversarial.ts";
export * from "./shape_aware_adversarial.ts";
export * from "./uncertainty_aware_mean_teacher.ts";

// Types of other packages that the losses' signatures use.
export { Rng, type RngState } from "../engine/rng.ts";
export type {
  AnyTensor,
  AnyVariable,
  FeatureBatch,
  ImageBatch,
  LabelBatch,
  LogitBatch,
  Scalar,
} from "../engine/tensor_types.ts";
export type { AdamOptions } from "../engine/adam.ts";
export type { Discriminator } from "../networks/discriminator.ts";
export type { Generator } from "../networks/generator.ts";
export type { ForwardOptions, Module } from "../networks/module.ts";
export type { NormKind } from "../networks/norm_kind.ts";
export type { PatchGANDiscriminatorOptions } from "../networks/patchgan_discriminator.ts";
export type { Segmentor } from "../networks/segmentor.ts";
