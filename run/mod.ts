/**
 * One training run and its folder: train a method into a run folder (`config.json`,
 * `split.json`, checkpoints, `history.json`, `train.json`), resume it, check that its dataset
 * has not changed, evaluate it on its test (or validation) split with and without SGE (Dice and
 * HD95 per 2-D image or per scan, with 95 % intervals), load its model, and segment a scan with
 * it. What `grn train`, `grn eval` and `grn predict` do, for scripts.
 *
 * A run folder is written by one process at a time (its `.grn-lock`, {@linkcode acquireLock});
 * every file is written atomically.
 *
 * @example Train, evaluate and reload a tiny run
 * ```ts
 * import assert from "node:assert/strict";
 * import { writePhantomDataset } from "../data/phantom/mod.ts";
 * import {
 *   evaluateRun,
 *   loadRunModel,
 *   predictScan,
 *   readRunConfig,
 *   RUN_FILES,
 *   trainRun,
 * } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir(); // e.g. "runs"
 * const dataset = `${dir}/phantom`; // your dataset folder, e.g. "datasets/Lumbar"
 * await writePhantomDataset(dataset, { participants: 5, scansPerParticipant: 1, shape: [16, 16, 32] });
 * // One epoch of two iterations with tiny networks (the defaults are the paper's).
 * const summary = await trainRun({
 *   dataset,
 *   method: "supervised",
 *   out: `${dir}/run`,
 *   fraction: 1,
 *   test: 2,
 *   validation: 1,
 *   inputSize: [32, 32],
 *   every: 4,
 *   networks: { width: 4, depth: 2 },
 *   epochs: 1,
 *   iterationsPerEpoch: 2,
 *   batchSize: 2,
 *   backend: "wasm",
 *   progress: false,
 * });
 * assert.equal(summary.epochs, 1);
 * assert.equal((await readRunConfig(`${dir}/run`)).method, "supervised");
 *
 * // Dice and HD95 per 2-D test image (metrics.json, images.csv); no generator, so no SGE.
 * const metrics = await evaluateRun(`${dir}/run`, { backend: "wasm" });
 * assert.deepEqual(metrics.variants.map((v) => v.variant), ["plain"]);
 * assert.equal(metrics.scans.length, 2);
 * const dice = metrics.variants[0]!.dice.overall.mean;
 * assert.ok(dice >= 0 && dice <= 1);
 * await Deno.stat(`${dir}/run/${RUN_FILES.images}`);
 *
 * // The selected model, and a scan segmented with it (labels with the scan's shape and affine).
 * const { method, checkpoint } = await loadRunModel(`${dir}/run`);
 * assert.ok(checkpoint.endsWith("model.ckpt"));
 * method.dispose();
 * const scan = `${dataset}/imagesTr/${metrics.scans[0]!.id}_0000.nii.gz`;
 * const labels = await predictScan({
 *   model: `${dir}/run`,
 *   input: scan,
 *   output: `${dir}/labels.nii.gz`,
 *   backend: "wasm",
 * });
 * assert.deepEqual(labels.shape, [16, 16, 32]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./evaluate_run.ts";
export * from "./file_lock.ts";
export * from "./load_run_model.ts";
export * from "./output_path_error.ts";
export * from "./predict_scan.ts";
export * from "./run_config.ts";
export * from "./run_fingerprint.ts";
export * from "./run_folder.ts";
export * from "./train_run.ts";
export * from "./version.ts";

// Types of other packages that the run's signatures use (LoadedRunModel.method is a trainers
// Method, RunConfig.methodOptions its MethodOptions), and the types those reference.
export type { AdamOptions } from "../engine/adam.ts";
export type { BackendChoice } from "../engine/init_engine.ts";
export type { NativeChoice } from "../engine/native/provider.ts";
export { Rng, type RngState } from "../engine/rng.ts";
export type { LearningRateScheduleName } from "../engine/schedules.ts";
export type {
  AnyVariable,
  FeatureBatch,
  ImageBatch,
  LabelBatch,
  LogitBatch,
  Scalar,
} from "../engine/tensor_types.ts";
export type { AugmentBatch, AugmentBorder } from "../data/augment.ts";
export type { AugmentOptions } from "../data/augment_params.ts";
export type { BatchAugment } from "../data/batches.ts";
export type { DatasetFingerprint, ScanFingerprint } from "../data/dataset_fingerprint.ts";
export type { FitMode } from "../data/slices_fit.ts";
export type { SliceDirection } from "../data/slices_geometry.ts";
export type { Axis } from "../data/volume.ts";
export type {
  Echogenicity,
  LayerReadout,
  ScanReadout,
  ThicknessStats,
} from "../metrics/layer_readout.ts";
export type { MeanCI } from "../metrics/mean_ci.ts";
export type { PairedTTestResult } from "../metrics/paired_t_test.ts";
export type { ClassScoreSummary } from "../metrics/summarize_class_scores.ts";
export type { Discriminator } from "../networks/discriminator.ts";
export type { Generator } from "../networks/generator.ts";
export type { ForwardOptions, Module } from "../networks/module.ts";
export type { NormKind } from "../networks/norm_kind.ts";
export type { PatchGANDiscriminatorOptions } from "../networks/patchgan_discriminator.ts";
export type { ResUNetGeneratorOptions } from "../networks/resunet_generator.ts";
export type { Segmentor } from "../networks/segmentor.ts";
export type { UNetOptions } from "../networks/unet.ts";
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
export type { BatchSource, SourceBatch } from "../trainers/batch_source.ts";
export type {
  EpochRecord,
  FitData,
  FitOptions,
  FitResult,
  ProgressEvent,
  ValidationResult,
} from "../trainers/fit.ts";
export type {
  GRN,
  GRNLambdas,
  GRNMode,
  GRNOptions,
  SegmentationFeedback,
  StepLosses,
} from "../trainers/grn.ts";
export type {
  Method,
  MethodBuildContext,
  MethodDefinition,
  MethodFitOptions,
  MethodFitResult,
  MethodOptions,
  MethodPaperRows,
  MethodProgressEvent,
  MethodStage,
  MethodVariant,
  ResolvedMethodOptions,
  TrainingPlan,
} from "../trainers/method.ts";
export type {
  InferencePath,
  LabeledBatch,
  StepReport,
  Trainable,
  UnlabeledBatch,
} from "../trainers/trainable.ts";
