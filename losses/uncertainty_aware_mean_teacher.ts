import * as tf from "@tensorflow/tfjs";
import type { LogitBatch, Scalar } from "../engine/tensor_types.ts";
import { sigmoidRampup } from "../engine/schedules.ts";
import { type NoisyTeacher, noisyTeacher } from "./_teacher_noise.ts";
import type {
  ConsistencyContext,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
} from "./consistency_loss.ts";
import type { EmaTeacher, NoisyTeacherOptions } from "./ema_teacher.ts";

/** Options of {@linkcode UncertaintyAwareMeanTeacher}: the noisy teacher's, and UAMT's own. */
export interface UncertaintyAwareMeanTeacherOptions extends NoisyTeacherOptions {
  /** Monte-Carlo teacher passes `T` for the uncertainty. @default {8} */
  passes?: number;
  /**
   * The threshold's ramp `r(t)` in `τ(t) = (0.75 + 0.25·r(t))·H`. SSL4MIS uses the raw
   * iteration against its whole run: `sigmoidRampup(t, 30000)`; pass
   * `(t) => sigmoidRampup(t, plannedIterations)` for a shorter run (the method registry does).
   * @default {(t) => sigmoidRampup(t, 30000)}
   */
  thresholdRamp?: (step: number) => number;
  /**
   * SSL4MIS (and the original binary UA-MT) scale the threshold by `H = ln 2`, the maximum
   * entropy of 2 classes, and divide the masked sum by `2·Σm`, the class count of binary
   * UA-MT. With `false` (the default) the `2·Σm` normaliser is kept (the loss is `C/2` times a
   * masked mean, so `λ` keeps SSL4MIS's meaning); with `true` the sum is divided by `C·Σm` (a
   * true masked mean) and, unless `thresholdEntropy` says otherwise, `H = ln C`. The
   * threshold's scale alone is `thresholdEntropy`.
   * @default {false}
   */
  multiClassCorrection?: boolean;
  /**
   * The entropy scale `H` of the threshold `τ(t) = (0.75 + 0.25·r(t))·H`: `"ln2"` (SSL4MIS,
   * written for 2 classes) or `"ln-classes"` (`ln C`, the maximum entropy of `C` classes, so
   * the threshold keeps its meaning of "75-100 % of the maximum uncertainty"). Only the
   * threshold: the `2·Σm` normaliser (and so the meaning of `λ`) stays SSL4MIS's unless
   * `multiClassCorrection` is on. With 7 classes and `"ln2"`, a pixel is kept only while its
   * entropy is below 0.52-0.69 of a possible 1.95, a strict mask while the teacher is
   * uncertain. The `uamt` method keeps `"ln2"`: `"ln-classes"` measured worse on the phantom
   * (docs/training_defaults.md).
   * @default {"ln-classes" with multiClassCorrection, else "ln2"}
   */
  thresholdEntropy?: "ln2" | "ln-classes";
}

/**
 * Uncertainty-aware mean teacher (Yu et al., "Uncertainty-aware self-ensembling model for
 * semi-supervised 3D left atrium segmentation", MICCAI 2019; the paper's UAMT baseline [26],
 * implemented after SSL4MIS `train_uncertainty_aware_mean_teacher_2D.py`):
 *
 * - target `q = softmax(f_θ'(x_u + n_0))`, one teacher pass on noisy images;
 * - uncertainty: `p̄ = (1/T) Σ_k softmax(f_θ'(x_u + n_k))` over `T = 8` stochastic teacher
 *   passes (fresh clipped noise each, dropout live: MC dropout), per-pixel entropy
 *   `U = -Σ_c p̄_c ln(p̄_c + 1e-6)`;
 * - mask `m = 1[U < τ(t)]`, `τ(t) = (0.75 + 0.25·r(t))·H`, `H = ln 2` (SSL4MIS) or `ln C`
 *   (`thresholdEntropy`);
 * - `L = Σ_{b,h,w,c} m·(softmax(f_θ(x_u)) - q)² / (2·Σ_{b,h,w} m + 1e-16)`.
 *
 * The teacher is an EMA of the prediction path (`EmaTeacher`); noise std 0.2 clipped to
 * ±0.4 (SSL4MIS's 0.1/±0.2 on `[0, 1]` images, scaled to our `[-1, 1]`). SSL4MIS runs 4
 * passes on the unlabeled batch duplicated (so batch norm sees both copies); this runs `T`
 * passes on the batch itself. See `thresholdEntropy` and `multiClassCorrection` for the ln 2
 * quirk with more than two classes.
 */
export class UncertaintyAwareMeanTeacher implements ConsistencyLoss {
  /** `"uamt"`. */
  readonly name: string = "uamt";
  /** Keeps an EMA teacher. */
  readonly requires: readonly ConsistencyRequirement[] = ["teacher"];
  /** The EMA teacher part, which the trainer attaches, updates, saves and frees. */
  readonly parts: readonly PluginPart[];
  readonly #passes: number;
  readonly #ramp: (step: number) => number;
  readonly #correct: boolean;
  readonly #lnClasses: boolean;
  readonly #teacher: NoisyTeacher;

  /**
   * Creates the loss; the teacher is built when a trainer attaches it.
   *
   * @param options See {@linkcode UncertaintyAwareMeanTeacherOptions}.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: UncertaintyAwareMeanTeacherOptions = {}) {
    const {
      passes = 8,
      thresholdRamp = (t: number) => sigmoidRampup(t, 30000),
      multiClassCorrection = false,
    } = options;
    const thresholdEntropy = options.thresholdEntropy ??
      (multiClassCorrection ? "ln-classes" : "ln2");
    if (thresholdEntropy !== "ln2" && thresholdEntropy !== "ln-classes") {
      throw new RangeError(
        `Cannot create the ${this.name} loss: thresholdEntropy must be "ln2" or "ln-classes" (got ${
          JSON.stringify(thresholdEntropy)
        })`,
      );
    }
    this.#teacher = noisyTeacher(this.name, options);
    if (!Number.isInteger(passes) || passes < 1) {
      throw new RangeError(
        `Cannot create the ${this.name} loss: passes must be a positive integer (got ${passes})`,
      );
    }
    this.#passes = passes;
    this.#ramp = thresholdRamp;
    this.#correct = multiClassCorrection;
    this.#lnClasses = thresholdEntropy === "ln-classes";
    this.parts = [this.#teacher.part];
  }

  /** The EMA teacher, once attached to a trainer. */
  get teacher(): EmaTeacher | null {
    return this.#teacher.part.teacher;
  }

  /**
   * The entropy threshold `τ(t) = (0.75 + 0.25·r(t))·H` at a step, with `H = ln 2` (or `ln C`
   * with `thresholdEntropy: "ln-classes"`).
   *
   * @param step Global iteration (0-based).
   * @param numClasses Number of classes `C`.
   */
  threshold(step: number, numClasses: number): number {
    const h = this.#lnClasses ? Math.log(numClasses) : Math.LN2;
    return (0.75 + 0.25 * this.#ramp(step)) * h;
  }

  /**
   * The masked consistency given the probabilities.
   *
   * @param student Student probabilities `[batch, height, width, classes]`.
   * @param target Teacher probabilities `q`, same shape.
   * @param meanProbs MC-averaged teacher probabilities `p̄`, same shape.
   * @param threshold Entropy threshold `τ`.
   * @returns `Σ m·(student - target)² / (k·Σ m + 1e-16)` with `k = 2` (or `C`).
   */
  maskedConsistency(
    student: LogitBatch,
    target: LogitBatch,
    meanProbs: LogitBatch,
    threshold: number,
  ): Scalar {
    return tf.tidy(() => {
      const entropy = tf.neg(tf.sum(tf.mul(meanProbs, tf.log(tf.add(meanProbs, 1e-6))), 3, true));
      const mask = tf.cast(tf.less(entropy, threshold), "float32");
      const k = this.#correct ? student.shape[3] : 2;
      const num = tf.sum(tf.mul(mask, tf.squaredDifference(student, target)));
      return tf.div(num, tf.add(tf.mul(tf.sum(mask), k), 1e-16)) as tf.Scalar;
    });
  }

  /**
   * Computes the UAMT consistency on `ctx.images` (a scalar): `1 + T` teacher passes and one
   * student pass.
   * @throws {Error} Before a trainer attached the loss.
   */
  compute(ctx: ConsistencyContext): Scalar {
    const teacher = this.#teacher.part.require();
    return tf.tidy(() => {
      const teacherProbs = () =>
        tf.softmax(
          teacher.predict(
            this.#teacher.noise(ctx.images, ctx.rng),
            ctx.path,
            ctx.rng,
          ),
        ) as tf.Tensor4D;
      const target = teacherProbs();
      let sum = teacherProbs();
      for (let k = 1; k < this.#passes; k++) sum = tf.add(sum, teacherProbs());
      const meanProbs = tf.div(sum, this.#passes) as tf.Tensor4D;
      const student = tf.softmax(ctx.predict(ctx.images)) as tf.Tensor4D;
      return this.maskedConsistency(
        student,
        target,
        meanProbs,
        this.threshold(ctx.step, student.shape[3]),
      );
    });
  }
}
