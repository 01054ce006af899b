/**
 * Runs forward passes that never need gradients (EMA-teacher predictions) off the gradient
 * tape.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Calls `fn` with tfjs's gradient tape paused, so its kernels are not recorded and keep no
 * tensors for a backward pass. Inside a trainer's `variableGrads`, the tape otherwise holds
 * every intermediate activation of every pass until the update ends (for UAMT's 9 teacher
 * passes, several times the student's own memory). The results are constants for any gradient
 * taken around the call. `fn` must not compute gradients itself.
 */
export function withoutTape<T>(fn: () => T): T {
  const state = tf.engine().state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.gradientDepth = depth;
  }
}
