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
