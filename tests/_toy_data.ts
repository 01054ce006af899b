/**
 * Tiny synthetic segmentation data for trainer tests: horizontal tissue bands whose
 * boundaries move per image, with class-dependent brightness and noise.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../engine/rng.ts";
import type { BatchSource, SourceBatch } from "../trainers/batch_source.ts";

/** Images `[n, size, size]` in [-1, 1] and labels `[n, size, size]` with `classes` bands. */
export function toyBands(n: number, size: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const images = new Float32Array(n * size * size);
  const labels = new Int32Array(n * size * size);
  for (let k = 0; k < n; k++) {
    const cuts: number[] = [];
    for (let c = 1; c < classes; c++) {
      cuts.push(Math.round((c * size) / classes + rng.uniform(-1.5, 1.5)));
    }
    for (let y = 0; y < size; y++) {
      let cls = 0;
      while (cls < cuts.length && y >= cuts[cls]!) cls++;
      for (let x = 0; x < size; x++) {
        const i = (k * size + y) * size + x;
        labels[i] = cls;
        images[i] = Math.max(
          -1,
          Math.min(1, -0.8 + (1.6 * cls) / (classes - 1) + rng.normal(0, 0.25)),
        );
      }
    }
  }
  return { images, labels, n, size };
}

/** An in-memory {@linkcode BatchSource} over toy data, shuffled with a seeded Rng. */
export class ToySource implements BatchSource {
  readonly size: number;
  readonly hasLabels: boolean;
  #data: ReturnType<typeof toyBands>;
  #rng: Rng;
  #order: number[] = [];
  #pos = 0;

  constructor(data: ReturnType<typeof toyBands>, seed: number, labeled = true) {
    this.#data = data;
    this.size = data.n;
    this.hasLabels = labeled;
    this.#rng = new Rng(seed);
  }

  #make(indices: number[]): SourceBatch {
    const s = this.#data.size;
    const px = s * s;
    const img = new Float32Array(indices.length * px);
    const lab = new Int32Array(indices.length * px);
    indices.forEach((j, k) => {
      img.set(this.#data.images.subarray(j * px, (j + 1) * px), k * px);
      lab.set(this.#data.labels.subarray(j * px, (j + 1) * px), k * px);
    });
    const images = tf.tensor4d(img, [indices.length, s, s, 1]);
    return this.hasLabels
      ? { images, labels: tf.tensor3d(lab, [indices.length, s, s], "int32") }
      : { images };
  }

  next(batchSize: number): SourceBatch {
    const picked: number[] = [];
    while (picked.length < batchSize) {
      if (this.#pos >= this.#order.length) {
        this.#order = this.#rng.permutation(this.size);
        this.#pos = 0;
      }
      picked.push(this.#order[this.#pos++]!);
    }
    return this.#make(picked);
  }

  *batches(batchSize: number): Iterable<SourceBatch> {
    for (let i = 0; i < this.size; i += batchSize) {
      const idx = [];
      for (let j = i; j < Math.min(this.size, i + batchSize); j++) idx.push(j);
      yield this.#make(idx);
    }
  }

  state(): unknown {
    return { rng: this.#rng.state(), order: this.#order, pos: this.#pos };
  }

  setState(state: unknown): void {
    const s = state as { rng: ReturnType<Rng["state"]>; order: number[]; pos: number };
    this.#rng = Rng.fromState(s.rng);
    this.#order = [...s.order];
    this.#pos = s.pos;
  }
}
