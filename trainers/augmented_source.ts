import * as tf from "@tensorflow/tfjs";
import { Rng, type RngState } from "../engine/rng.ts";
import type { BatchAugment } from "../data/batches.ts";
import type { BatchSource, SourceBatch } from "./batch_source.ts";

/**
 * A {@linkcode BatchSource} whose shuffled batches (`next`) are augmented on the fly by a
 * {@linkcode BatchAugment} (e.g. `data/augment.ts`'s `augmentBatch`), with its own seeded
 * generator; `batches` (validation passes) is not augmented. Its state holds the wrapped
 * source's state and the generator's, so resuming is exact.
 *
 * It does to any source what `BatchStream`'s `augment` option does to a stream; wrap a plain
 * stream only (augmenting twice is not detected).
 *
 * @example Flip and jitter a labeled source
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { augmentBatch, BatchStream, SliceSet } from "../data/mod.ts";
 * import { initEngine } from "../engine/mod.ts";
 * import { AugmentedSource } from "./mod.ts";
 *
 * await initEngine();
 * // Four 8 x 8 slices, each a ramp from left (0) to right (7/8).
 * const slices = new SliceSet({
 *   images: Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => (i % 8) / 8),
 *   labels: new Uint8Array(4 * 8 * 8),
 *   height: 8,
 *   width: 8,
 *   info: [0, 1, 2, 3].map((index) => ({
 *     scanId: "s", participant: "p", direction: "coronal" as const, index, rows: 8, cols: 8,
 *   })),
 * });
 * const labeled = new BatchStream(slices, { seed: 1, name: "labeled" });
 * const source = new AugmentedSource(labeled, (b, rng) => augmentBatch(b, rng), 1);
 * const batch = source.next(2); // randomly flipped, rotated, scaled, shifted, jittered
 * assert.deepEqual(batch.images.shape, [2, 8, 8, 1]);
 *
 * // Only flips: every image comes out mirrored, right to left.
 * const flips = { flipProbability: 1, affineProbability: 0, intensityProbability: 0, noiseProbability: 0 };
 * const stream = new BatchStream(slices, { seed: 1, name: "labeled" });
 * const flipped = new AugmentedSource(stream, (b, rng) => augmentBatch(b, rng, flips), 1);
 * const mirrored = tf.reverse(tf.tensor4d(slices.image(0), [1, 8, 8, 1]), 2);
 * const { images } = flipped.next(2);
 * assert.equal(tf.max(tf.abs(tf.sub(images, mirrored))).dataSync()[0], 0);
 * ```
 */
export class AugmentedSource implements BatchSource {
  /** The wrapped source. */
  readonly source: BatchSource;
  readonly #augment: BatchAugment;
  #rng: Rng;

  /**
   * Wraps a source.
   *
   * @param source The source to wrap (its batches are `[b, h, w, 1]` images).
   * @param augment The augmentation of a typed-array batch; must draw from the given `rng` only.
   * @param seed Seed of the augmentation generator.
   */
  constructor(source: BatchSource, augment: BatchAugment, seed: number) {
    this.source = source;
    this.#augment = augment;
    this.#rng = new Rng(seed).fork("augment");
  }

  /** Number of items of the wrapped source. */
  get size(): number {
    return this.source.size;
  }

  /** Whether batches carry labels. */
  get hasLabels(): boolean {
    return this.source.hasLabels;
  }

  /**
   * The wrapped source's next batch, augmented.
   * @throws {RangeError} When the images have more than one channel.
   */
  next(batchSize: number): SourceBatch {
    const batch = this.source.next(batchSize);
    try {
      const [size, height, width, channels] = batch.images.shape;
      if (channels !== 1) {
        throw new RangeError(
          `Cannot augment a batch: augmentation takes single-channel images (got ${channels} channels)`,
        );
      }
      const out = this.#augment({
        images: batch.images.dataSync() as Float32Array,
        labels: batch.labels ? Int32Array.from(batch.labels.dataSync()) : undefined,
        size,
        height,
        width,
      }, this.#rng);
      const images = tf.tensor4d(out.images, [size, height, width, 1]);
      return out.labels
        ? { images, labels: tf.tensor3d(out.labels, [size, height, width], "int32") }
        : { images };
    } finally {
      batch.images.dispose();
      batch.labels?.dispose();
    }
  }

  /** The wrapped source's fixed-order pass, not augmented. */
  batches(batchSize: number): Iterable<SourceBatch> {
    return this.source.batches(batchSize);
  }

  /** `{ source, augmentRng }`. */
  state(): unknown {
    return { source: this.source.state(), augmentRng: this.#rng.state() };
  }

  /**
   * Restores a state captured with {@linkcode AugmentedSource.state}.
   * @throws {TypeError} When the state is malformed.
   */
  setState(state: unknown): void {
    const s = state as { source?: unknown; augmentRng?: RngState } | null;
    if (!s || typeof s !== "object" || !s.augmentRng || !("source" in s)) {
      throw new TypeError(
        `Cannot restore AugmentedSource state: expected { source, augmentRng } (got ${
          JSON.stringify(s)?.slice(0, 200)
        })`,
      );
    }
    this.source.setState(s.source);
    this.#rng = Rng.fromState(s.augmentRng);
  }
}
