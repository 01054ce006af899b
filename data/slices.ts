/**
 * A compact in-memory set of fitted 2-D slices with their origin, for training and evaluation.
 *
 * @module
 */
import type { SliceDirection } from "./slices_geometry.ts";

/** Where one slice of a {@linkcode SliceSet} came from. */
export interface SliceInfo {
  /** Scan identifier. */
  scanId: string;
  /** Participant identifier. */
  participant: string;
  /** Slice direction. */
  direction: SliceDirection;
  /** Slice index along the direction's fixed axis. */
  index: number;
  /** Native slice height (voxels along depth) before fitting. */
  rows: number;
  /** Native slice width before fitting. */
  cols: number;
}

/** Constructor fields of a {@linkcode SliceSet}. */
export interface SliceSetInit {
  /** Images `[n, height, width]`, row-major, normalised to `[-1, 1]`. */
  images: Float32Array;
  /** Labels `[n, height, width]` (class indices), or `undefined` for an unlabeled set. */
  labels?: Uint8Array;
  /** One entry per slice. */
  info: SliceInfo[];
  /** Slice height (rows). */
  height: number;
  /** Slice width (columns). */
  width: number;
}

/**
 * Fitted slices stored as one `Float32Array` of images `[n, height, width]`, optionally one
 * `Uint8Array` of labels with the same layout, and per-slice origin metadata.
 *
 * @example Two tiny slices
 * ```ts
 * import { SliceSet } from "./mod.ts";
 * const set = new SliceSet({
 *   images: new Float32Array(8), height: 2, width: 2,
 *   info: [0, 1].map((index) => ({
 *     scanId: "s1", participant: "p1", direction: "coronal" as const, index, rows: 2, cols: 2,
 *   })),
 * });
 * console.assert(set.size === 2 && !set.hasLabels);
 * ```
 */
export class SliceSet {
  /** Images `[size, height, width]`. */
  readonly images: Float32Array;
  /** Labels `[size, height, width]`, or `undefined` when the set is unlabeled. */
  readonly labels: Uint8Array | undefined;
  /** Origin of each slice. */
  readonly info: readonly SliceInfo[];
  /** Slice height. */
  readonly height: number;
  /** Slice width. */
  readonly width: number;

  /**
   * Wraps the arrays (no copy).
   *
   * @throws {RangeError} When the sizes are not positive integers or the array lengths do not
   *   match `info.length * height * width`.
   */
  constructor(init: SliceSetInit) {
    const { images, labels, info, height, width } = init;
    if (!Number.isInteger(height) || height <= 0 || !Number.isInteger(width) || width <= 0) {
      throw new RangeError(
        `Cannot create a SliceSet: height and width must be positive integers (got ${height}x${width})`,
      );
    }
    const expected = info.length * height * width;
    if (images.length !== expected) {
      throw new RangeError(
        `Cannot create a SliceSet: images must hold ${info.length}x${height}x${width} values (got ${images.length})`,
      );
    }
    if (labels !== undefined && labels.length !== expected) {
      throw new RangeError(
        `Cannot create a SliceSet: labels must hold ${info.length}x${height}x${width} values (got ${labels.length})`,
      );
    }
    this.images = images;
    this.labels = labels;
    this.info = info;
    this.height = height;
    this.width = width;
  }

  /** Number of slices. */
  get size(): number {
    return this.info.length;
  }

  /** Whether the set carries labels. */
  get hasLabels(): boolean {
    return this.labels !== undefined;
  }

  /** Number of pixels of one slice (`height * width`). */
  get pixels(): number {
    return this.height * this.width;
  }

  /** A view (no copy) of image `i`, row-major `[height, width]`. */
  image(i: number): Float32Array {
    this.#check(i);
    return this.images.subarray(i * this.pixels, (i + 1) * this.pixels);
  }

  /** A view (no copy) of label `i`, or `undefined` for an unlabeled set. */
  label(i: number): Uint8Array | undefined {
    this.#check(i);
    return this.labels?.subarray(i * this.pixels, (i + 1) * this.pixels);
  }

  /**
   * A new set holding copies of the given slices, in the given order (repeats allowed).
   *
   * @throws {RangeError} When an index is out of range.
   */
  subset(indices: readonly number[]): SliceSet {
    const p = this.pixels;
    const images = new Float32Array(indices.length * p);
    const labels = this.labels ? new Uint8Array(indices.length * p) : undefined;
    const info: SliceInfo[] = [];
    indices.forEach((src, dst) => {
      this.#check(src);
      images.set(this.images.subarray(src * p, (src + 1) * p), dst * p);
      labels?.set(this.labels!.subarray(src * p, (src + 1) * p), dst * p);
      info.push({ ...this.info[src]! });
    });
    return new SliceSet({ images, labels, info, height: this.height, width: this.width });
  }

  /** Indices of the slices whose scan id is in `scanIds`, in set order. */
  indicesOfScans(scanIds: Iterable<string>): number[] {
    const wanted = new Set(scanIds);
    const out: number[] = [];
    this.info.forEach((s, i) => {
      if (wanted.has(s.scanId)) out.push(i);
    });
    return out;
  }

  /** The same slices without labels (images shared, not copied). */
  withoutLabels(): SliceSet {
    return new SliceSet({
      images: this.images,
      info: this.info.map((s) => ({ ...s })),
      height: this.height,
      width: this.width,
    });
  }

  /**
   * Concatenates sets of the same slice size. The result has labels only when every input has.
   *
   * @param sets At least one set.
   * @param options `labels: "require"` throws when some input is unlabeled; `"drop"` keeps
   *   labels only if all inputs have them. @default {{ labels: "require" }}
   * @throws {RangeError} When `sets` is empty, the sizes differ, or labels are required and
   *   some input has none.
   */
  static concat(
    sets: readonly SliceSet[],
    options: { labels?: "require" | "drop" } = {},
  ): SliceSet {
    const { labels: labelMode = "require" } = options;
    if (sets.length === 0) {
      throw new RangeError("Cannot concatenate slice sets: no set given (got 0)");
    }
    const { height, width } = sets[0]!;
    for (const s of sets) {
      if (s.height !== height || s.width !== width) {
        throw new RangeError(
          `Cannot concatenate slice sets: sizes differ (got ${height}x${width} and ${s.height}x${s.width})`,
        );
      }
    }
    const labeledCount = sets.filter((s) => s.hasLabels).length;
    if (labelMode === "require" && labeledCount !== 0 && labeledCount !== sets.length) {
      throw new RangeError(
        `Cannot concatenate slice sets: ${
          sets.length - labeledCount
        } of ${sets.length} sets have no labels (got labels "require"; pass labels "drop" to drop them)`,
      );
    }
    const keepLabels = labeledCount === sets.length;
    const total = sets.reduce((n, s) => n + s.size, 0);
    const p = height * width;
    const images = new Float32Array(total * p);
    const labels = keepLabels ? new Uint8Array(total * p) : undefined;
    const info: SliceInfo[] = [];
    let offset = 0;
    for (const s of sets) {
      images.set(s.images, offset * p);
      if (labels) labels.set(s.labels!, offset * p);
      for (const i of s.info) info.push({ ...i });
      offset += s.size;
    }
    return new SliceSet({ images, labels, info, height, width });
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new RangeError(
        `Cannot access slice: index must be an integer in [0, ${this.size}) (got ${i})`,
      );
    }
  }
}
