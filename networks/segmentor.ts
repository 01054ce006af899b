import type { ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import type { ForwardOptions, Module } from "./module.ts";

/**
 * A segmentation network: images in, per-pixel class logits out.
 *
 * - input `x`: `[batch, height, width, inChannels]`, float32, intensities in `[-1, 1]`;
 * - output: logits `[batch, height, width, numClasses]` (softmax is applied by the losses).
 */
export interface Segmentor extends Module {
  /** Number of output classes (background included). */
  readonly numClasses: number;
  /** Number of input channels. */
  readonly inChannels: number;
  /**
   * Forward pass. Call inside `tf.tidy` (the trainer does).
   *
   * @param x Images `[batch, height, width, inChannels]`.
   * @returns Logits `[batch, height, width, numClasses]`.
   * @throws {RangeError} When the input size cannot be taken; the message names the nearest
   *   sizes that work.
   */
  apply(x: ImageBatch, options?: ForwardOptions): LogitBatch;
  /**
   * Throws a `RangeError` naming the nearest valid sizes when `[height, width]` cannot be
   * taken by the architecture.
   */
  checkInputSize(height: number, width: number): void;
  /** A new segmentor with the same architecture and a copy of every variable. */
  clone(name?: string): Segmentor;
}

/**
 * A segmentor with deep-supervision heads (URPC-style pyramid outputs).
 *
 * `applyPyramid` returns the main output first, then the auxiliary heads from high to low
 * resolution, each upsampled to the input size: `[batch, height, width, numClasses]` logits.
 */
export interface MultiScaleSegmentor extends Segmentor {
  /** Number of outputs `applyPyramid` returns (main + auxiliary). */
  readonly numScales: number;
  /**
   * Forward pass through every head.
   * @param x Images `[batch, height, width, inChannels]`.
   * @returns `numScales` logit tensors `[batch, height, width, numClasses]`, main first.
   */
  applyPyramid(x: ImageBatch, options?: ForwardOptions): LogitBatch[];
}

/** Whether a segmentor provides pyramid outputs. */
export function isMultiScaleSegmentor(s: Segmentor): s is MultiScaleSegmentor {
  return typeof (s as Partial<MultiScaleSegmentor>).applyPyramid === "function";
}
