/**
 * Names for the TensorFlow.js types in the engine's public signatures. They are aliases, so any
 * `tf.Tensor` (or `tf.Variable`) is one, and the API documentation can show them without
 * documenting TensorFlow.js itself.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * A TensorFlow.js tensor of any rank and data type (`tf.Tensor`).
 *
 * @example A helper typed without importing `@tensorflow/tfjs`
 * ```ts
 * import { type AnyTensor, stopGradient } from "./mod.ts";
 *
 * const frozen = <T extends AnyTensor>(x: T): T => stopGradient(x);
 * ```
 */
export type AnyTensor = tf.Tensor;

/** A TensorFlow.js variable of any rank (`tf.Variable`): trainable weights, optimizer state. */
export type AnyVariable = tf.Variable;

/**
 * A batch of images, NHWC: `[batch, height, width, channels]` (`tf.Tensor4D`, float32). The
 * segmentor's and the generator's input (1 channel for B-mode ultrasound).
 */
export type ImageBatch = tf.Tensor4D;

/**
 * Per-pixel class scores, NHWC: `[batch, height, width, classes]` (`tf.Tensor4D`, float32):
 * logits before the softmax (a segmentor's output), or probabilities and one-hot maps in the
 * same layout.
 */
export type LogitBatch = tf.Tensor4D;

/**
 * Label maps: `[batch, height, width]` class indices (`tf.Tensor3D`, int32; 0 = background).
 */
export type LabelBatch = tf.Tensor3D;

/**
 * Any other NHWC batch `[batch, height, width, channels]` (`tf.Tensor4D`, float32): feature
 * maps, a discriminator's patch scores `[batch, h, w, 1]`, signed distance maps, or
 * concatenations of images and class maps.
 */
export type FeatureBatch = tf.Tensor4D;

/** A rank-0 tensor (`tf.Scalar`), e.g. a loss. */
export type Scalar = tf.Scalar;
