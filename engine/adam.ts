import * as tf from "@tensorflow/tfjs";
import { adamUpdateInPlace, ownsWasmBuffer } from "./kernels/adam_in_place.ts";
import { ADAM_KERNEL, fusedAdamStep } from "./native/adam.ts";
import type { AnyTensor, AnyVariable } from "./tensor_types.ts";

/** Options of {@linkcode Adam}. */
export interface AdamOptions {
  /** Step size. @default {2e-4} (the paper's value) */
  learningRate?: number;
  /** Decay of the first-moment estimate. @default {0.5} (the paper's value, as pix2pix) */
  beta1?: number;
  /** Decay of the second-moment estimate. @default {0.999} */
  beta2?: number;
  /** Added to the denominator. @default {1e-8} (PyTorch's default) */
  epsilon?: number;
}

let inPlaceEnabled = true;

/**
 * Turns the one-call in-place update of {@linkcode Adam.apply} on the wasm backend on or off
 * for every optimizer (on by default). Both paths give bit-identical results; the switch exists
 * to benchmark and test one against the other in the same process.
 *
 * @param enabled `false` to update each variable with its own kernel call(s) and `assign`s, as
 *   on the other backends.
 * @returns The previous setting.
 */
export function setAdamInPlace(enabled: boolean): boolean {
  const previous = inPlaceEnabled;
  inPlaceEnabled = enabled;
  return previous;
}

/**
 * Adam (Kingma & Ba) over a fixed list of variables, with PyTorch's update rule
 * `p -= lr / (1 - β1^t) · m / (sqrt(v) / sqrt(1 - β2^t) + ε)`.
 *
 * Unlike `tf.train.adam`, its state (step counter and moments) is exposed index-aligned with
 * the variables under stable names, so checkpoints restore it exactly in a new process.
 */
export class Adam {
  readonly #vars: readonly tf.Variable[];
  readonly #names: readonly string[];
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  #step = 0;
  #disposed = false;
  #learningRate: number;
  /** The learning rate the optimizer was created with (a schedule's base value). */
  readonly initialLearningRate: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #eps: number;

  /**
   * Creates an optimizer for `variables`, with zeroed moment estimates.
   *
   * @param variables The variables to update.
   * @param names Stable names of `variables`, index for index (used for the state names).
   * @param options Hyper-parameters; see {@linkcode AdamOptions}.
   * @throws {RangeError} When a hyper-parameter is out of range or the lists differ in length.
   */
  constructor(
    variables: readonly AnyVariable[],
    names: readonly string[],
    options: AdamOptions = {},
  ) {
    const { learningRate = 2e-4, beta1 = 0.5, beta2 = 0.999, epsilon = 1e-8 } = options;
    if (variables.length !== names.length) {
      throw new RangeError(
        `Cannot create Adam: ${variables.length} variables but ${names.length} names`,
      );
    }
    for (const [key, value] of Object.entries({ beta1, beta2 })) {
      if (!(value >= 0 && value < 1)) {
        throw new RangeError(`Cannot create Adam: ${key} must be in [0, 1) (got ${value})`);
      }
    }
    if (!(learningRate > 0)) {
      throw new RangeError(`Cannot create Adam: learningRate must be > 0 (got ${learningRate})`);
    }
    this.#vars = variables;
    this.#names = names;
    this.#learningRate = learningRate;
    this.initialLearningRate = learningRate;
    this.#beta1 = beta1;
    this.#beta2 = beta2;
    this.#eps = epsilon;
    // In tf.tidy: the zerosLike temporaries are freed (the variables keep their data).
    this.#m = tf.tidy(() => variables.map((v) => tf.variable(tf.zerosLike(v), false)));
    this.#v = tf.tidy(() => variables.map((v) => tf.variable(tf.zerosLike(v), false)));
  }

  /**
   * The current learning rate. A schedule sets it between steps (e.g. `initialLearningRate ·
   * factor(step)`); the moments are untouched, so no optimizer is rebuilt. It is not part of
   * the checkpointed state: trainers recompute it from the restored step.
   * @throws {RangeError} (setter) When the value is negative or not finite.
   */
  get learningRate(): number {
    return this.#learningRate;
  }

  set learningRate(value: number) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot set the Adam learning rate: it must be a finite number >= 0 (got ${value})`,
      );
    }
    this.#learningRate = value;
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.#step;
  }

  /**
   * Applies one update. `grads[i]` belongs to `variables[i]`; `null` skips a variable (its
   * moments are left untouched, as PyTorch does for parameters without a gradient).
   * The gradients are not disposed.
   */
  apply(grads: readonly (AnyTensor | null | undefined)[]): void {
    if (this.#disposed) throw new Error("Cannot apply Adam: the optimizer was disposed");
    if (grads.length !== this.#vars.length) {
      throw new RangeError(
        `Cannot apply Adam: expected ${this.#vars.length} gradients (got ${grads.length})`,
      );
    }
    this.#step++;
    const b1 = this.#beta1, b2 = this.#beta2;
    const bc1 = 1 - Math.pow(b1, this.#step);
    const bc2 = 1 - Math.pow(b2, this.#step);
    const stepSize = this.#learningRate / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    const attrs = { beta1: b1, beta2: b2, epsilon: this.#eps, stepSize, sqrtBc2 };
    tf.tidy(() => {
      // On wasm: every variable whose moments own their buffers in one kernel call.
      const done = inPlaceEnabled && tf.getBackend() === "wasm"
        ? this.#applyInPlace(grads, attrs)
        : null;
      for (let i = 0; i < this.#vars.length; i++) {
        const g = grads[i];
        if (!g || done?.[i]) continue;
        const m = this.#m[i]!, v = this.#v[i]!, p = this.#vars[i]!;
        // One fused pass when the native provider registered it (same rule, same values).
        const fused = fusedAdamStep(p, m, v, g, attrs);
        if (fused !== null) {
          p.assign(fused[0]);
          m.assign(fused[1]);
          v.assign(fused[2]);
          continue;
        }
        const mNew = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const vNew = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), this.#eps);
        p.assign(tf.sub(p, tf.mul(tf.div(mNew, denom), stepSize)));
      }
    });
  }

  /**
   * The wasm update of every variable that has a float32 gradient and whose moments own their
   * buffers, in one call that overwrites the moments and returns the new parameters (assigned
   * here; the caller's `tf.tidy` frees them). It rounds as the per-variable path would: like
   * the native `GrnAdam` kernel when the provider registered it, else like the composite
   * tensor ops.
   * @returns Which variables it updated.
   */
  #applyInPlace(
    grads: readonly (AnyTensor | null | undefined)[],
    attrs: {
      beta1: number;
      beta2: number;
      epsilon: number;
      stepSize: number;
      sqrtBc2: number;
    },
  ): boolean[] {
    const done: boolean[] = [];
    const ps: tf.Variable[] = [], ms: tf.Tensor[] = [], vs: tf.Tensor[] = [], gs: tf.Tensor[] = [];
    for (let i = 0; i < this.#vars.length; i++) {
      const g = grads[i], p = this.#vars[i]!, m = this.#m[i]!, v = this.#v[i]!;
      done[i] = !!g && g.dtype === "float32" && p.dtype === "float32" &&
        ![p, m, v].some((t) => t.dataId === g.dataId) && ownsWasmBuffer(m) && ownsWasmBuffer(v);
      if (!done[i]) continue;
      ps.push(p);
      ms.push(m);
      vs.push(v);
      gs.push(g!);
    }
    const rounding = tf.getKernel(ADAM_KERNEL, "wasm") !== undefined ? "float64" : "float32";
    const fresh = adamUpdateInPlace(ps, ms, vs, gs, { ...attrs, rounding });
    ps.forEach((p, k) => p.assign(fresh[k]!));
    return done;
  }

  /** The optimizer's state variables (first then second moments) for checkpoints. */
  get stateVariables(): readonly AnyVariable[] {
    return [...this.#m, ...this.#v];
  }

  /** Stable names of {@linkcode Adam.stateVariables}. */
  get stateNames(): readonly string[] {
    return [...this.#names.map((n) => `${n}/adam_m`), ...this.#names.map((n) => `${n}/adam_v`)];
  }

  /** Restores the step counter (moments are restored through `stateVariables`). */
  setStep(step: number): void {
    if (!Number.isInteger(step) || step < 0) {
      throw new RangeError(
        `Cannot restore Adam: step must be a non-negative integer (got ${step})`,
      );
    }
    this.#step = step;
  }

  /** Frees the moment estimates. Safe to call more than once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of [...this.#m, ...this.#v]) t.dispose();
  }
}
