/**
 * grn: the Generative Reinforcement Network (GRN) for tissue-layer segmentation of 3-D B-mode
 * ultrasound, with the semi-supervised methods it competes with, on TensorFlow.js for Deno.
 *
 * This root module holds what a research script needs first: {@linkcode initEngine}; the
 * {@linkcode GRN} trainer, {@linkcode fit} and the method registry ({@linkcode createMethod},
 * {@linkcode registerMethod}, {@linkcode methodNames}) that builds GRN and every baseline by
 * name; the networks ({@linkcode UNet}, {@linkcode PyramidUNet}, {@linkcode ResUNetGenerator},
 * {@linkcode ResNetGenerator}, {@linkcode PatchGANDiscriminator}); {@linkcode diceLoss},
 * {@linkcode crossEntropyLoss} and the {@linkcode ConsistencyLoss} plug-ins with their registry
 * ({@linkcode createConsistencyLoss}; ICT, MT, URPC); scan files ({@linkcode readVolume},
 * {@linkcode writeVolume}: NIfTI, NRRD, 3D Slicer `.seg.nrrd`, MATLAB), dataset loading,
 * participant splits, slices and batch streams ({@linkcode prepareTrainingData}); the synthetic
 * phantom;
 * {@linkcode dicePerClass}, {@linkcode evaluateScan}, {@linkcode meanCI} and
 * {@linkcode pairedTTest}; and the NHWC tensor names of the signatures ({@linkcode ImageBatch}
 * `[batch, height, width, channels]`, {@linkcode LogitBatch} `[batch, height, width, classes]`,
 * {@linkcode LabelBatch} `[batch, height, width]`, ...), with every type these signatures use.
 *
 * Everything else is in the package modules, one subpath export each:
 *
 * - `@grn/grn/engine`: backend choice and training kernels, wasm threads, the memory guard,
 *   seeded randomness (`Rng`), Adam, checkpoints, dropout, normalisation and `stopGradient`,
 *   atomic writes, the tensor names (`AnyTensor`, `ImageBatch`, ...).
 * - `@grn/grn/data`: volumes, scan files (NIfTI, NRRD and `.seg.nrrd`, MATLAB v5 and v7.3,
 *   PNG stacks) read and written by content or extension, the dataset folder
 *   (manifest, loading, writing, validation, fingerprints), slicing, fitting and normalisation,
 *   splits, augmentation, batch streams, `prepareTrainingData`, `predictVolume`.
 * - `@grn/grn/phantom`: the synthetic lumbar phantom (scans, cohorts, dataset folders, label
 *   names and palette, montages).
 * - `@grn/grn/networks`: the `Segmentor`/`Generator`/`Discriminator` interfaces, `ModuleBase`
 *   for your own networks, UNet, PyramidUNet, SdmUNet, ResUNetGenerator, ResNetGenerator,
 *   PatchGANDiscriminator.
 * - `@grn/grn/metrics`: Dice per class and per slice, HD95 on an exact distance transform,
 *   signed distance maps, Student-t and bootstrap intervals, the paired t-test, layer
 *   read-outs, CSV/JSON writers.
 * - `@grn/grn/losses`: Dice, cross-entropy, L1, MSE, least-squares adversarial, every
 *   consistency plug-in (ICT, MT, UAMT, URPC, R-Drop, DAN, SASSNet), the EMA teacher.
 * - `@grn/grn/trainers`: the `GRN` trainer, the `Trainable` contract, `fit` and
 *   `evaluateDice`, `AugmentedSource`, the schedules (ramp-ups, consistency weights, learning
 *   rates), training guards, the method registry with `BUILTIN_METHODS`.
 * - `@grn/grn/run`: the run folder (one owner of its file names), `trainRun`, `evaluateRun`,
 *   `predictScan`, `loadRunModel`, run fingerprints and the folder lock.
 * - `@grn/grn/comparison`: the method comparison grid (presets, overrides, cells, the
 *   resumable bench folder) that `grn bench` runs.
 * - `@grn/grn/report`: statistics over a bench folder (per-unit Dice, paired comparisons over
 *   common seeds), the paper's tables, the findings on its claims, `report.html`.
 * - `@grn/grn/web`: a run as a static web page that segments scans in the browser
 *   (`exportWeb`, `serveWeb`; `grn export --web`, `grn web`), and the page's model and
 *   segmentation code (`WebModel`, `segmentScan`).
 *
 * @example Train GRN-SSL on a batch and segment with SGE
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { GRN, initEngine, PatchGANDiscriminator, ResUNetGenerator, UNet } from "./mod.ts";
 *
 * await initEngine(); // tfjs-node if installed, else WebAssembly with our training kernels
 * const grn = new GRN({
 *   mode: "ssl", // Algorithm 2; the default consistency loss is ICT
 *   segmentor: new UNet(), // 16-32-64-128-256, 1 channel in, 7 classes
 *   generator: new ResUNetGenerator(),
 *   discriminator: new PatchGANDiscriminator(),
 * });
 * // Batches are NHWC: images [2, 32, 32, 1] in [-1, 1], labels [2, 32, 32] class indices.
 * const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 1) as tf.Tensor4D;
 * const labels = tf.zeros([2, 32, 32], "int32") as tf.Tensor3D;
 * const unlabeledImages = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 2) as tf.Tensor4D;
 * const losses = grn.step({ images, labels }, { images: unlabeledImages });
 * assert.ok(losses.consistencyReal !== undefined); // the unlabeled phase ran
 * const logits = grn.predict(images, { sge: true }); // S(G(x))
 * assert.deepEqual(logits.shape, [2, 32, 32, 7]);
 * grn.dispose();
 * ```
 *
 * @module
 */

// The tensor engine and the NHWC tensor names of the public signatures.
export { currentEngine, initEngine, Rng } from "./engine/mod.ts";
export type {
  AdamOptions,
  AnyTensor,
  AnyVariable,
  BackendChoice,
  BackendName,
  EngineInfo,
  EngineOptions,
  FeatureBatch,
  ImageBatch,
  LabelBatch,
  LogitBatch,
  NativeChoice,
  NativeInfo,
  RngState,
  Scalar,
} from "./engine/mod.ts";

// Training: the GRN trainer, the loop, the method registry.
export {
  createMethod,
  fit,
  getMethodDefinition,
  GRN,
  learningRateFactor,
  Method,
  methodDefinitions,
  methodNames,
  NonFiniteLossError,
  registerMethod,
} from "./trainers/mod.ts";
export type {
  BatchSource,
  EpochRecord,
  FitData,
  FitOptions,
  FitResult,
  GRNLambdas,
  GRNMode,
  GRNOptions,
  InferencePath,
  LabeledBatch,
  LearningRateScheduleName,
  LearningRateScheduleOptions,
  MethodBuildContext,
  MethodDefinition,
  MethodFitOptions,
  MethodFitResult,
  MethodOptions,
  MethodPaperRows,
  MethodProgressEvent,
  MethodStage,
  MethodVariant,
  NonFiniteLossInfo,
  ProgressEvent,
  ResolvedMethodOptions,
  SegmentationFeedback,
  SourceBatch,
  StepLosses,
  StepReport,
  Trainable,
  TrainingPlan,
  UnlabeledBatch,
  ValidationResult,
} from "./trainers/mod.ts";

// Networks: the segmentors, the generators, the discriminator.
export {
  PatchGANDiscriminator,
  PyramidUNet,
  ResNetGenerator,
  ResUNetGenerator,
  UNet,
} from "./networks/mod.ts";
export type {
  Discriminator,
  ForwardOptions,
  Generator,
  Module,
  ModuleBase,
  MultiScaleSegmentor,
  NormKind,
  ParamScope,
  PatchGANDiscriminatorConfig,
  PatchGANDiscriminatorOptions,
  PyramidConfig,
  ResNetGeneratorConfig,
  ResNetGeneratorOptions,
  ResUNetGeneratorConfig,
  ResUNetGeneratorOptions,
  Segmentor,
  UNetConfig,
  UNetOptions,
} from "./networks/mod.ts";

// Losses: the supervised terms and the consistency-loss plug-ins with their registry.
export {
  consistencyLossNames,
  createConsistencyLoss,
  crossEntropyLoss,
  diceLoss,
  EmaTeacherPart,
  InterpolationConsistency,
  MeanTeacher,
  PyramidConsistency,
  registerConsistencyLoss,
} from "./losses/mod.ts";
export type {
  AuxiliaryContext,
  BuiltinConsistencyLossOptions,
  ConsistencyContext,
  ConsistencyHost,
  ConsistencyLoss,
  ConsistencyLossDefinition,
  ConsistencyRequirement,
  DiceLossOptions,
  EmaTeacher,
  EmaTeacherOptions,
  InterpolationConsistencyOptions,
  MeanTeacherOptions,
  NoisyTeacherOptions,
  OptimizerStepEvent,
  PluginDiscriminatorOptions,
  PluginPart,
  PredictionPath,
  PyramidConsistencyOptions,
  RegularizedDropoutOptions,
  SegmentationAdversarialOptions,
  ShapeAwareAdversarialOptions,
  SupervisedContext,
  UncertaintyAwareMeanTeacherOptions,
} from "./losses/mod.ts";

// Data: dataset folders, splits, slices and batch streams, whole-volume prediction.
export {
  BatchStream,
  chooseLabeled,
  extractSlices,
  loadDataset,
  predictVolume,
  prepareTrainingData,
  readVolume,
  SliceSet,
  splitParticipants,
  validateDataset,
  writeVolume,
} from "./data/mod.ts";
export type {
  AugmentBatch,
  AugmentBorder,
  AugmentOptions,
  Axis,
  Batch,
  BatchAugment,
  BatchStreamState,
  ChooseLabeledOptions,
  DatasetFileEnding,
  DatasetManifest,
  DatasetScanEntry,
  FitMode,
  LabeledChoice,
  LoadDatasetOptions,
  ParticipantSplit,
  PredictVolumeOptions,
  PrepareTrainingDataOptions,
  ReadVolumeOptions,
  ScanRecord,
  SliceDirection,
  SliceInfo,
  SliceOptions,
  SlicePredictor,
  SplitOptions,
  TrainingData,
  TrainingDataRecord,
  TrainingSliceOptions,
  TrainingStreams,
  UnlabeledSource,
  ValidateDatasetOptions,
  ValidationReport,
  Volume,
  VolumeArray,
  WriteVolumeOptions,
} from "./data/mod.ts";

// The synthetic phantom.
export {
  generatePhantomCohort,
  phantomToScanRecord,
  writePhantomDataset,
} from "./data/phantom/mod.ts";
export type {
  AttenuationParameters,
  EchoParameters,
  EchoTissue,
  LayerThicknessesMm,
  PhantomCohort,
  PhantomCohortOptions,
  PhantomOptions,
  PhantomParticipant,
  PhantomScan,
  ThicknessLayer,
  ThicknessRangesMm,
  WritePhantomDatasetOptions,
} from "./data/phantom/mod.ts";

// Metrics and statistics.
export { dicePerClass, evaluateScan, meanCI, pairedTTest } from "./metrics/mod.ts";
export type {
  DiceOptions,
  DiceResult,
  EvaluateScanOptions,
  HausdorffOptions,
  Hd95Result,
  MeanCI,
  MeanCIOptions,
  MemoryOrder,
  PairedTTestResult,
  ScanEvaluation,
} from "./metrics/mod.ts";
