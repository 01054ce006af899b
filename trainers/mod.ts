/**
 * Trainers: the one `GRN` trainer (GRN-SEL, GRN-SSL, ablations, baselines without a
 * generator), its training loop, schedules, and the method registry that builds GRN and every
 * baseline of the paper's tables by name.
 * @module
 */
export * from "./augmented_source.ts";
export * from "./batch_source.ts";
export * from "./builtin_methods.ts";
export * from "./fit.ts";
export * from "./grn.ts";
export * from "./method.ts";
export * from "./method_registry.ts";
export * from "./schedules.ts";
export * from "./trainable.ts";
export * from "./training_guards.ts";

// Types of other packages that the trainers' signatures use.
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
export type { AugmentBatch, AugmentBorder } from "../data/augment.ts";
export type { AugmentOptions } from "../data/augment_params.ts";
export type { BatchAugment } from "../data/batches.ts";
export type {
  AuxiliaryContext,
  ConsistencyContext,
  ConsistencyHost,
  ConsistencyLoss,
  ConsistencyRequirement,
  OptimizerStepEvent,
  PluginPart,
  PredictionPath,
  SupervisedContext,
} from "../losses/consistency_loss.ts";
export type { DiceLossOptions } from "../losses/dice_loss.ts";
export type { Discriminator } from "../networks/discriminator.ts";
export type { Generator } from "../networks/generator.ts";
export type { ForwardOptions, Module } from "../networks/module.ts";
export type { NormKind } from "../networks/norm_kind.ts";
export type { PatchGANDiscriminatorOptions } from "../networks/patchgan_discriminator.ts";
export type { ResUNetGeneratorOptions } from "../networks/resunet_generator.ts";
export type { Segmentor } from "../networks/segmentor.ts";
export type { UNetOptions } from "../networks/unet.ts";
