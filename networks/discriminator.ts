import type { FeatureBatch } from "../engine/tensor_types.ts";
import type { ForwardOptions, Module } from "./module.ts";

/**
 * A discriminator D (PatchGAN-style): images in, a map of realness scores out.
 *
 * - input `x`: `[batch, height, width, channels]`;
 * - output: raw scores `[batch, h', w', 1]` (one per patch). GRN uses the least-squares
 *   adversarial loss (MSE against 1 for real, 0 for fake), so no sigmoid is applied.
 */
export interface Discriminator extends Module {
  /** Number of input channels. */
  readonly channels: number;
  /**
   * Forward pass. Call inside `tf.tidy` (the trainer does).
   * @param x Images `[batch, height, width, channels]`.
   * @returns Patch scores `[batch, h', w', 1]`.
   */
  apply(x: FeatureBatch, options?: ForwardOptions): FeatureBatch;
  /** Throws a `RangeError` naming the nearest valid sizes when the size cannot be taken. */
  checkInputSize(height: number, width: number): void;
}
