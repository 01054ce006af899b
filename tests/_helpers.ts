/**
 * Shared test helpers: tolerance comparisons and tensor-leak checks.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";

/**
 * Asserts that two arrays agree within a relative tolerance:
 * `max|a - b| <= tol * max(1, max|b|)`.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  label = "values",
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${label}: length ${actual.length} != ${expected.length}`,
  );
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    assert.ok(Number.isFinite(a), `${label}: non-finite value ${a} at ${i}`);
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
    maxRef = Math.max(maxRef, Math.abs(b));
  }
  const rel = maxDiff / Math.max(1, maxRef);
  assert.ok(
    rel <= tol,
    `${label}: relative error ${rel.toExponential(2)} > ${tol} (max abs diff ${maxDiff})`,
  );
}

/** Relative error `max|a - b| / max|b|` (with max|b| floored at 1e-12). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

/**
 * Runs `fn` once to warm up, then `repeats` more times, and asserts that the number of live
 * tensors did not change across the measured calls.
 */
export async function assertNoTensorLeak(
  fn: () => unknown | Promise<unknown>,
  repeats = 2,
  label = "function",
): Promise<void> {
  await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) await fn();
  const after = tf.memory().numTensors;
  assert.equal(
    after - before,
    0,
    `${label} leaked ${after - before} tensors over ${repeats} calls`,
  );
}
