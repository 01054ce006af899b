/**
 * Seeded, resumable batch streams over a {@linkcode SliceSet}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, type RngState } from "../engine/rng.ts";
import type { ImageBatch, LabelBatch } from "../engine/tensor_types.ts";
import type { AugmentBatch } from "./augment.ts";
import type { SliceSet } from "./slices.ts";

/** One batch of slices as tensors; the caller disposes `images` and `labels`. */
export interface Batch {
  /** Images `[batch, height, width, 1]` float32 in `[-1, 1]`. */
  images: ImageBatch;
  /** Class indices `[batch, height, width]` int32, when the set is labeled. */
  labels?: LabelBatch;
  /** Indices of the batch items in the slice set. */
  indices: number[];
}

/**
 * On-the-fly augmentation hook applied by {@linkcode BatchStream.next} to the typed-array batch
 * before it becomes tensors, e.g. `(b, rng) => augmentBatch(b, rng, { rotation: 10 })`. It must
 * draw its randomness only from `rng` so that resuming is exact.
 */
export type BatchAugment = (
  batch: AugmentBatch<Int32Array>,
  rng: Rng,
) => AugmentBatch<Int32Array>;

/** Options of {@linkcode BatchStream}. */
export interface BatchStreamOptions {
  /** Seed of the shuffling (and of the augmentation generator). */
  seed: number;
  /**
   * Name of the stream, mixed into the seed (`new Rng(seed).fork(name)`), so that streams
   * built from one seed (e.g. `"labeled"` and `"unlabeled"`) shuffle independently.
   * @default {"batches"}
   */
  name?: string;
  /** Augmentation applied by `next()` (never by `batches()`). @default {none} */
  augment?: BatchAugment;
}

/** JSON-serialisable state of a {@linkcode BatchStream}. */
export interface BatchStreamState {
  /** Size of the slice set the state belongs to. */
  size: number;
  /** Completed passes over the set. */
  pass: number;
  /** Items already taken from the current pass. */
  cursor: number;
  /** Shuffling generator state at the start of the current pass (before its permutation). */
  passRng: RngState;
  /** Augmentation generator state. */
  augmentRng: RngState;
}

/**
 * A seeded batch stream over a slice set.
 *
 * `next(batchSize)` draws from a shuffled order that is reshuffled on every pass and cycles
 * forever; a batch that reaches the end of a pass continues with the next pass's order (so every
 * item is seen once per pass). `batches(batchSize)` walks the set once in its stored order, for
 * validation and evaluation, without touching the shuffled stream. `state()` / `setState()`
 * resume the shuffled stream exactly.
 *
 * One epoch is {@linkcode BatchStream.batchesPerEpoch} batches: `ceil(size / batchSize)`.
 * For GRN-SSL, build one labeled and one unlabeled stream (different `name`s) and call both
 * with the same batch size; the unlabeled stream cycles independently of the labeled epoch.
 *
 * @example Two batches of two
 * ```ts
 * import assert from "node:assert/strict";
 * import { initEngine } from "../mod.ts";
 * import { BatchStream, disposeBatch, SliceSet } from "./mod.ts";
 *
 * await initEngine();
 * // Three labeled 4 x 4 slices (as extractSlices makes them).
 * const trainSlices = new SliceSet({
 *   images: new Float32Array(3 * 16),
 *   labels: new Uint8Array(3 * 16),
 *   height: 4,
 *   width: 4,
 *   info: [0, 1, 2].map((index) => ({
 *     scanId: "s1", participant: "p1", direction: "coronal" as const, index, rows: 4, cols: 4,
 *   })),
 * });
 * const stream = new BatchStream(trainSlices, { seed: 1, name: "labeled" });
 * const { images, labels, indices } = stream.next(2); // [2, H, W, 1] float32, [2, H, W] int32
 * assert.deepEqual([images.shape, labels?.shape], [[2, 4, 4, 1], [2, 4, 4]]);
 * images.dispose();
 * labels?.dispose();
 * const second = stream.next(2); // the last slice of the first pass, then the next pass
 * assert.equal(stream.pass, 1);
 * assert.ok(!indices.includes(second.indices[0]!)); // every slice once per pass
 * disposeBatch(second);
 * ```
 */
export class BatchStream {
  /** The slice set the stream draws from. */
  readonly set: SliceSet;
  #rng: Rng;
  #augmentRng: Rng;
  #augment: BatchAugment | undefined;
  #passRng: RngState;
  #order: number[];
  #cursor = 0;
  #pass = 0;

  /**
   * Creates a stream over `set`, shuffled with a generator seeded from `seed` and `name`.
   *
   * @param set Slices to draw from (at least one).
   * @param options Seed, stream name and optional augmentation.
   * @throws {RangeError} When the set is empty or the seed is not finite.
   */
  constructor(set: SliceSet, options: BatchStreamOptions) {
    const { seed, name = "batches", augment } = options;
    if (set.size < 1) {
      throw new RangeError(`Cannot create a BatchStream: the slice set is empty (got ${set.size})`);
    }
    const root = new Rng(seed);
    this.set = set;
    this.#rng = root.fork(name);
    this.#augmentRng = root.fork(`${name}:augment`);
    this.#augment = augment;
    this.#passRng = this.#rng.state();
    this.#order = this.#rng.permutation(set.size);
  }

  /** Number of slices. */
  get size(): number {
    return this.set.size;
  }

  /** Whether batches carry labels. */
  get hasLabels(): boolean {
    return this.set.hasLabels;
  }

  /** Completed passes of the shuffled stream. */
  get pass(): number {
    return this.#pass;
  }

  /** Batches in one epoch (one pass over the set): `ceil(size / batchSize)`. */
  batchesPerEpoch(batchSize: number): number {
    checkBatchSize(batchSize);
    return Math.ceil(this.size / batchSize);
  }

  /**
   * The next `batchSize` items of the shuffled stream, augmented when a hook is set.
   *
   * @returns Tensors the caller disposes, and the slice indices.
   * @throws {RangeError} When `batchSize` is not a positive integer.
   */
  next(batchSize: number): Batch {
    checkBatchSize(batchSize);
    const indices: number[] = [];
    while (indices.length < batchSize) {
      if (this.#cursor === this.#order.length) {
        this.#pass++;
        this.#passRng = this.#rng.state();
        this.#order = this.#rng.permutation(this.size);
        this.#cursor = 0;
      }
      indices.push(this.#order[this.#cursor++]!);
    }
    return this.#materialise(indices, this.#augment);
  }

  /**
   * One pass over the set in stored order; the last batch may be smaller. No augmentation.
   *
   * @throws {RangeError} When `batchSize` is not a positive integer.
   */
  *batches(batchSize: number): Generator<Batch> {
    checkBatchSize(batchSize);
    for (let start = 0; start < this.size; start += batchSize) {
      const end = Math.min(this.size, start + batchSize);
      yield this.#materialise(
        Array.from({ length: end - start }, (_, i) => start + i),
        undefined,
      );
    }
  }

  /** The shuffled stream's position and generator states (JSON-serialisable). */
  state(): BatchStreamState {
    return {
      size: this.size,
      pass: this.#pass,
      cursor: this.#cursor,
      passRng: this.#passRng,
      augmentRng: this.#augmentRng.state(),
    };
  }

  /**
   * Restores a state captured with {@linkcode BatchStream.state}: the following `next()` calls
   * return exactly what the original stream would have.
   *
   * @throws {TypeError} When the state is malformed or belongs to a set of another size.
   */
  setState(state: unknown): void {
    const s = state as Partial<BatchStreamState> | null;
    if (
      !s || typeof s !== "object" || s.size !== this.size || !Number.isInteger(s.pass) ||
      !Number.isInteger(s.cursor) || s.cursor! < 0 || s.cursor! > this.size || !s.passRng ||
      !s.augmentRng
    ) {
      throw new TypeError(
        `Cannot restore BatchStream state: expected { size: ${this.size}, pass, cursor, passRng, augmentRng } (got ${
          JSON.stringify(s)?.slice(0, 200)
        })`,
      );
    }
    this.#rng.setState(s.passRng);
    this.#passRng = this.#rng.state();
    this.#order = this.#rng.permutation(this.size);
    this.#cursor = s.cursor!;
    this.#pass = s.pass!;
    this.#augmentRng.setState(s.augmentRng);
  }

  #materialise(indices: number[], augment: BatchAugment | undefined): Batch {
    const { height, width } = this.set;
    const pixels = height * width;
    const b = indices.length;
    let images: Float32Array = new Float32Array(b * pixels);
    let labels: Int32Array | undefined = this.set.labels ? new Int32Array(b * pixels) : undefined;
    indices.forEach((src, k) => {
      images.set(this.set.images.subarray(src * pixels, (src + 1) * pixels), k * pixels);
      if (labels) {
        const from = this.set.labels!.subarray(src * pixels, (src + 1) * pixels);
        for (let i = 0; i < pixels; i++) labels[k * pixels + i] = from[i]!;
      }
    });
    if (augment) {
      const out = augment(
        labels ? { images, labels, size: b, height, width } : { images, size: b, height, width },
        this.#augmentRng,
      );
      images = out.images;
      labels = labels ? out.labels : undefined;
    }
    const finalImages = images;
    const finalLabels = labels;
    const tensors = tf.tidy(() =>
      finalLabels
        ? [
          tf.tensor4d(finalImages, [b, height, width, 1], "float32"),
          tf.tensor3d(finalLabels, [b, height, width], "int32"),
        ]
        : [tf.tensor4d(finalImages, [b, height, width, 1], "float32")]
    );
    const batch: Batch = { images: tensors[0] as tf.Tensor4D, indices };
    if (tensors[1]) batch.labels = tensors[1] as tf.Tensor3D;
    return batch;
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot draw a batch: batchSize must be a positive integer (got ${batchSize})`,
    );
  }
}

/** Disposes a batch's tensors. */
export function disposeBatch(batch: Batch): void {
  tf.dispose(batch.labels ? [batch.images, batch.labels] : [batch.images]);
}
