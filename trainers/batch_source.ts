import type { ImageBatch, LabelBatch } from "../engine/tensor_types.ts";

/** A batch drawn from a {@linkcode BatchSource}; the receiver disposes its tensors. */
export interface SourceBatch {
  /** Images, NHWC `[batch, height, width, channels]`, in `[-1, 1]`. */
  images: ImageBatch;
  /** Class indices `[batch, height, width]` (int32), when the source is labeled. */
  labels?: LabelBatch;
}

/**
 * Where a trainer gets its batches: a labeled, unlabeled or validation stream of 2-D slices.
 * `data/`'s `BatchStream` implements it; any object with these members works.
 */
export interface BatchSource {
  /** Number of items (slices) in the source. */
  readonly size: number;
  /** Whether batches carry labels. */
  readonly hasLabels: boolean;
  /**
   * The next `batchSize` items of a shuffled stream that cycles forever, reshuffled on every
   * pass (seeded).
   */
  next(batchSize: number): SourceBatch;
  /** One pass over every item in a fixed order (for validation and evaluation). */
  batches(batchSize: number): Iterable<SourceBatch>;
  /** Position and RNG state of the shuffled stream, JSON-serialisable (for checkpoints). */
  state(): unknown;
  /** Restores a state captured with `state()`. */
  setState(state: unknown): void;
}
