/**
 * The mean teacher's input perturbation (SSL4MIS MT/UAMT): clipped Gaussian noise, and the
 * noisy EMA teacher both losses compose.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../engine/rng.ts";
import { EmaTeacherPart, type NoisyTeacherOptions } from "./ema_teacher.ts";

/** An EMA teacher part and the noise on its input, as MT and UAMT use them. */
export interface NoisyTeacher {
  /** The teacher part (for the loss's `parts`). */
  part: EmaTeacherPart;
  /** `x + clip(std·ε, ±clip)` with the options' noise (call inside `tf.tidy`). */
  noise: (x: tf.Tensor4D, rng: Rng) => tf.Tensor4D;
}

/**
 * Checks the options and builds the teacher part and its input noise.
 * @throws {RangeError} When `decay`, `noiseStd` or `noiseClip` is out of range.
 */
export function noisyTeacher(owner: string, options: NoisyTeacherOptions): NoisyTeacher {
  const { decay = 0.99, noiseStd = 0.2, noiseClip = 0.4, teacherTraining = true } = options;
  const part = new EmaTeacherPart(owner, { decay, training: teacherTraining });
  checkNoise(`the ${owner} loss`, noiseStd, noiseClip);
  return { part, noise: (x, rng) => addClippedNoise(x, rng, noiseStd, noiseClip) };
}

/**
 * `x + clip(std·ε, -clip, clip)` with `ε ~ N(0, I)` drawn from `rng`; returns `x` itself when
 * `std` is 0. Call inside `tf.tidy`.
 */
export function addClippedNoise(x: tf.Tensor4D, rng: Rng, std: number, clip: number): tf.Tensor4D {
  if (std === 0) return x;
  const noise = rng.normalArray(x.size, 0, std);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.min(clip, Math.max(-clip, noise[i]!));
  return tf.add(x, tf.tensor4d(noise, x.shape));
}

/** Throws a RangeError unless the noise settings are finite and non-negative. */
export function checkNoise(what: string, std: number, clip: number): void {
  for (const [key, value] of Object.entries({ noiseStd: std, noiseClip: clip })) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot create ${what}: ${key} must be a finite number >= 0 (got ${value})`,
      );
    }
  }
}
