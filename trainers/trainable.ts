/**
 * The narrow contract between the training loop (`fit`) and a trainer: one optimisation step,
 * inference along the paths the trainer can be selected on, the state that defines its model,
 * and checkpoints. `GRN` implements it; `fit` knows nothing else about a trainer.
 * @module
 */
import type { AnyVariable, ImageBatch, LabelBatch, LogitBatch } from "../engine/tensor_types.ts";

/**
 * An inference path a trainer can be evaluated and selected on: `"segmentor"` is `S(x)`,
 * `"sge"` segmentation-guided enhancement `S(G(x))`.
 */
export type InferencePath = "segmentor" | "sge";

/** A labeled training batch. */
export interface LabeledBatch {
  /** Images, NHWC `[batch, height, width, channels]`, in `[-1, 1]`. */
  images: ImageBatch;
  /** Class indices `[batch, height, width]` (int32). */
  labels: LabelBatch;
}

/** An unlabeled training batch. */
export interface UnlabeledBatch {
  /** Images, NHWC `[batch, height, width, channels]`, in `[-1, 1]`. */
  images: ImageBatch;
}

/**
 * What one training step reports: named loss values (non-numbers and non-finite values are
 * ignored by `fit`'s running means) and, for a trainer with a consistency term, the weight it
 * used (recorded per epoch).
 */
export interface StepReport {
  /** Consistency weight `w(t)` used in this step, when the trainer has one. */
  consistencyWeight?: number;
}

/**
 * A trainer `fit` can drive.
 *
 * `fit` calls {@linkcode Trainable.step} once per iteration, validates each path of
 * {@linkcode Trainable.inferencePaths} with {@linkcode Trainable.predict}, keeps an in-memory
 * copy of {@linkcode Trainable.modelState} at the best epoch of each path (to restore at the
 * end), and writes and reads checkpoints with {@linkcode Trainable.save} and
 * {@linkcode Trainable.restore}.
 */
export interface Trainable {
  /**
   * `"sel"`: {@linkcode Trainable.step} takes labeled batches only; `"ssl"`: it also takes an
   * unlabeled batch every iteration.
   */
  readonly mode: "sel" | "ssl";
  /** The segmentor being trained: `numClasses` is the number of output channels. */
  readonly segmentor: { readonly numClasses: number };
  /**
   * The inference paths the trainer can be selected on; always `"segmentor"`, and `"sge"` when
   * the trainer has a generator.
   */
  readonly inferencePaths: readonly InferencePath[];
  /**
   * One training iteration.
   * @param labeled The labeled batch (the caller disposes it).
   * @param unlabeled The unlabeled batch (`"ssl"` mode; the caller disposes it).
   * @returns Loss values to log.
   */
  step(labeled: LabeledBatch, unlabeled?: UnlabeledBatch): StepReport;
  /**
   * The same iteration with values read back asynchronously; `fit` prefers it when present
   * (needed on backends without synchronous read-back, such as webgpu in Deno).
   * @param labeled The labeled batch (the caller disposes it).
   * @param unlabeled The unlabeled batch (`"ssl"` mode; the caller disposes it).
   * @returns Loss values to log.
   */
  stepAsync?(labeled: LabeledBatch, unlabeled?: UnlabeledBatch): Promise<StepReport>;
  /**
   * Segments images in inference mode: `S(x)`, or `S(G(x))` with `sge`.
   * @param images `[batch, height, width, channels]` in `[-1, 1]`.
   * @returns Logits `[batch, height, width, classes]` (caller disposes).
   */
  predict(images: ImageBatch, options?: { sge?: boolean }): LogitBatch;
  /**
   * The variables that define the trained model (for a GRN: the weights and batch-norm state
   * of S and G, without optimizer moments, discriminators or teachers), by their checkpoint
   * names. `fit` copies them at a path's best epoch and assigns the copy back at the end; both
   * inference paths use the same set, so S and G are always restored from one epoch.
   */
  modelState(): Map<string, AnyVariable>;
  /**
   * Writes a checkpoint of the whole training state atomically.
   * @param extra JSON-serialisable data stored alongside (`fit` stores its loop state).
   */
  save(path: string, extra?: unknown): Promise<void>;
  /**
   * Restores a checkpoint written by {@linkcode Trainable.save}.
   * @returns The `extra` data stored with it.
   */
  restore(path: string): Promise<unknown>;
}
