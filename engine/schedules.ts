/**
 * Ramp-ups and schedules of the semi-supervised baselines: pure functions of the iteration,
 * used by the consistency losses and the trainers (re-exported by `trainers/schedules.ts`).
 *
 * The consistency ramp-up comes from Laine & Aila, "Temporal ensembling for semi-supervised
 * learning" (ICLR 2017), as used by every SSL4MIS baseline (MT, UAMT, URPC, ICT, DAN, R-Drop)
 * and by SASSNet; the EMA decay schedule from Tarvainen & Valpola, "Mean teachers are better
 * role models" (NeurIPS 2017).
 * @module
 */

function checkLength(what: string, length: number): void {
  if (!(length >= 0) || !Number.isFinite(length)) {
    throw new RangeError(
      `Cannot compute ${what}: length must be a finite number >= 0 (got ${length})`,
    );
  }
}

/**
 * Sigmoid-shaped ramp-up from about 0.0067 to 1: `exp(-5·(1 - clip(x, 0, L)/L)²)`, and 1 when
 * `L = 0` (Laine & Aila 2017; SSL4MIS `sigmoid_rampup`).
 *
 * @param x Position (e.g. a pseudo-epoch); clipped to `[0, length]`.
 * @param length Ramp length `L` (>= 0).
 * @returns A value in `(0, 1]`.
 * @throws {RangeError} When `length` is negative or not finite.
 *
 * @example
 * ```ts
 * import { sigmoidRampup } from "../trainers/mod.ts";
 * console.assert(sigmoidRampup(200, 200) === 1);
 * console.assert(Math.abs(sigmoidRampup(0, 200) - Math.exp(-5)) < 1e-12);
 * ```
 */
export function sigmoidRampup(x: number, length: number): number {
  checkLength("the sigmoid ramp-up", length);
  if (length === 0) return 1;
  const t = 1 - Math.min(Math.max(x, 0), length) / length;
  return Math.exp(-5 * t * t);
}

/**
 * Linear ramp-up `clip(x / L, 0, 1)`, and 1 when `L = 0` (SSL4MIS `linear_rampup`).
 *
 * @param x Position; clipped to `[0, length]`.
 * @param length Ramp length `L` (>= 0).
 * @returns A value in `[0, 1]`.
 * @throws {RangeError} When `length` is negative or not finite.
 */
export function linearRampup(x: number, length: number): number {
  checkLength("the linear ramp-up", length);
  if (length === 0) return 1;
  return Math.min(Math.max(x, 0), length) / length;
}

/**
 * Cosine ramp-down `0.5·(cos(π·clip(x, 0, L)/L) + 1)` from 1 to 0 (Loshchilov & Hutter's SGDR
 * shape, SSL4MIS `cosine_rampdown`, which asserts `0 <= x <= L` where this clips), and 1 when
 * `L = 0`.
 *
 * @param x Position; clipped to `[0, length]`.
 * @param length Ramp length `L` (>= 0).
 * @returns A value in `[0, 1]`.
 * @throws {RangeError} When `length` is negative or not finite.
 */
export function cosineRampdown(x: number, length: number): number {
  checkLength("the cosine ramp-down", length);
  if (length === 0) return 1;
  const t = Math.min(Math.max(x, 0), length) / length;
  return 0.5 * (Math.cos(Math.PI * t) + 1);
}

/**
 * The mean-teacher EMA coefficient at a (0-based) step: `α_t = min(1 - 1/(t + 1), decay)`, so
 * `α_0 = 0` (the teacher copies the student after the first update), `α_1 = 0.5`, and `α_t =
 * decay` once `t >= 1/(1 - decay) - 1` (t >= 99 for 0.99). The teacher update is
 * `θ' ← α_t·θ' + (1 - α_t)·θ` (Tarvainen & Valpola 2017; SSL4MIS `update_ema_variables`).
 *
 * @param step Global iteration counter of the update, starting at 0.
 * @param decay Upper bound of the coefficient, in `[0, 1]`.
 * @returns `α_t` in `[0, decay]`.
 * @throws {RangeError} When `step` is negative or `decay` is outside `[0, 1]`.
 */
export function emaDecay(step: number, decay: number): number {
  if (!(step >= 0) || !Number.isFinite(step)) {
    throw new RangeError(`Cannot compute the EMA decay: step must be >= 0 (got ${step})`);
  }
  if (!(decay >= 0 && decay <= 1)) {
    throw new RangeError(`Cannot compute the EMA decay: decay must be in [0, 1] (got ${decay})`);
  }
  return Math.min(1 - 1 / (step + 1), decay);
}

/** Options of {@linkcode sigmoidConsistencyWeight}. */
export interface ConsistencyWeightOptions {
  /** Final weight `λ` (SSL4MIS `--consistency`). @default {0.1} */
  weight?: number;
  /**
   * Iterations the ramp spans. SSL4MIS ramps over `200 pseudo-epochs × 150 = 30000`
   * iterations, its whole run; pass the planned number of iterations of a shorter run (times
   * the fraction of the run the ramp should cover).
   * @default {30000}
   */
  rampIterations?: number;
  /** Ramp length in pseudo-epochs (SSL4MIS `--consistency_rampup`). @default {200} */
  rampLength?: number;
  /**
   * Iterations per pseudo-epoch (SSL4MIS: 150). The weight is constant within a pseudo-epoch.
   * @default {rampIterations / rampLength} (150 with the other defaults)
   */
  pseudoEpochLength?: number;
}

/**
 * SSL4MIS's consistency weight `w(t) = λ · sigmoidRampup(floor(t / P), L)` as a function of the
 * 0-based iteration `t`, with `P` iterations per pseudo-epoch and a ramp of `L` pseudo-epochs.
 * The defaults give SSL4MIS exactly (`λ = 0.1`, `P = 150`, `L = 200`: `w(0) ≈ 6.7e-4`,
 * `w(15000) ≈ 0.0287`, `w(30000) = 0.1`). For a run of `N` iterations pass `rampIterations:
 * N`: the pseudo-epoch becomes `N / 200` and the ramp again ends with the run, as in SSL4MIS
 * and SASSNet (`L = 40`, `40·150 = 6000` = its run).
 *
 * @param options See {@linkcode ConsistencyWeightOptions}.
 * A ramp of 0 iterations or 0 pseudo-epochs gives the constant `λ`.
 *
 * @returns `(step) => weight`.
 * @throws {RangeError} When an option is negative or not finite.
 */
export function sigmoidConsistencyWeight(
  options: ConsistencyWeightOptions = {},
): (step: number) => number {
  const { weight = 0.1, rampIterations = 30000, rampLength = 200 } = options;
  for (const [key, value] of Object.entries({ weight, rampIterations, rampLength })) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot build the consistency weight: ${key} must be a finite number >= 0 (got ${value})`,
      );
    }
  }
  if (rampIterations === 0 || rampLength === 0) return () => weight;
  const pseudo = options.pseudoEpochLength ?? rampIterations / rampLength;
  if (!(pseudo > 0) || !Number.isFinite(pseudo)) {
    throw new RangeError(
      `Cannot build the consistency weight: pseudoEpochLength must be > 0 (got ${pseudo})`,
    );
  }
  return (step) => weight * sigmoidRampup(Math.floor(step / pseudo + 1e-9), rampLength);
}

/** A learning-rate schedule by name: `"none"`, `"step"` (GRN's public code), `"poly"` (SSL4MIS). */
export type LearningRateScheduleName = "none" | "step" | "poly";

/** Options of {@linkcode learningRateFactor}. */
export interface LearningRateScheduleOptions {
  /** Iterations per epoch (for `"step"`, which decays per epoch). Required for `"step"`. */
  iterationsPerEpoch?: number;
  /** Planned iterations of the run (for `"poly"`, which reaches 0 there). Required for `"poly"`. */
  totalIterations?: number;
  /** `"step"`: epochs between decays (PyTorch `StepLR(step_size)`). @default {10} (GRN's code) */
  stepEpochs?: number;
  /** `"step"`: factor per decay (`StepLR(gamma)`). @default {0.1} (GRN's code) */
  gamma?: number;
  /** `"poly"`: exponent. @default {0.9} (SSL4MIS) */
  power?: number;
}

/**
 * The learning-rate factor at a (0-based) iteration `t`, multiplying the optimizer's initial
 * rate:
 *
 * - `"none"`: 1;
 * - `"step"`: `γ^floor(e / stepEpochs)` with `e = floor(t / iterationsPerEpoch)` the 0-based
 *   epoch: PyTorch's `StepLR(step_size = 10, gamma = 0.1)` stepped once per epoch, as GRN's
 *   public code does for G, S and D (epochs 0-9 at 1, 10-19 at 0.1, 20-29 at 0.01, ...);
 * - `"poly"`: `(1 - min(t, T)/T)^power` with `T = totalIterations`: SSL4MIS's
 *   `base_lr·(1 - iter/max_iter)^0.9`, written after each step, so iteration 0 runs at the
 *   base rate and the rate reaches 0 at `T`.
 *
 * @param name The schedule.
 * @param step 0-based global iteration.
 * @param options See {@linkcode LearningRateScheduleOptions}.
 * @returns A factor in `[0, 1]`.
 * @throws {RangeError} On an unknown name, a negative step, or a missing/invalid option.
 *
 * @example
 * ```ts
 * import { learningRateFactor } from "../trainers/mod.ts";
 * console.assert(learningRateFactor("step", 25, { iterationsPerEpoch: 2 }) === 0.1);
 * console.assert(learningRateFactor("poly", 0, { totalIterations: 100 }) === 1);
 * ```
 */
export function learningRateFactor(
  name: LearningRateScheduleName,
  step: number,
  options: LearningRateScheduleOptions = {},
): number {
  if (!(step >= 0) || !Number.isFinite(step)) {
    throw new RangeError(`Cannot compute the learning rate: step must be >= 0 (got ${step})`);
  }
  const positive = (key: string, value: number | undefined): number => {
    if (value === undefined || !(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot compute the "${name}" learning rate: ${key} must be a finite number > 0 (got ${value})`,
      );
    }
    return value;
  };
  if (name === "none") return 1;
  if (name === "step") {
    const perEpoch = positive("iterationsPerEpoch", options.iterationsPerEpoch);
    const every = positive("stepEpochs", options.stepEpochs ?? 10);
    const gamma = options.gamma ?? 0.1;
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new RangeError(
        `Cannot compute the "step" learning rate: gamma must be in [0, 1] (got ${gamma})`,
      );
    }
    const epoch = Math.floor(step / perEpoch + 1e-9);
    return Math.pow(gamma, Math.floor(epoch / every + 1e-9));
  }
  if (name === "poly") {
    const total = positive("totalIterations", options.totalIterations);
    const power = positive("power", options.power ?? 0.9);
    return Math.pow(1 - Math.min(step, total) / total, power);
  }
  throw new RangeError(
    `Cannot compute the learning rate: schedule must be "none", "step" or "poly" (got ${
      JSON.stringify(name)
    })`,
  );
}
