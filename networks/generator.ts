import type { ImageBatch } from "../engine/tensor_types.ts";
import type { ForwardOptions, Module } from "./module.ts";

/**
 * An image-to-image generator G (GRN's reconstruction / enhancement network).
 *
 * - input `x`: `[batch, height, width, channels]`, intensities in `[-1, 1]`;
 * - output: an image of the same shape, in `[-1, 1]` (`tanh` output).
 */
export interface Generator extends Module {
  /** Number of image channels in and out. */
  readonly channels: number;
  /**
   * Forward pass. Call inside `tf.tidy` (the trainer does).
   * @param x Images `[batch, height, width, channels]`.
   * @returns Generated images `[batch, height, width, channels]` in `[-1, 1]`.
   * @throws {RangeError} When the input size cannot be taken (names the nearest sizes).
   */
  apply(x: ImageBatch, options?: ForwardOptions): ImageBatch;
  /** Throws a `RangeError` naming the nearest valid sizes when the size cannot be taken. */
  checkInputSize(height: number, width: number): void;
  /** A new generator with the same architecture and a copy of every variable. */
  clone(name?: string): Generator;
}
