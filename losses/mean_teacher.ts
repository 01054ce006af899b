import * as tf from "@tensorflow/tfjs";
import { addClippedNoise, checkNoise } from "./_teacher_noise.ts";
import type {
  ConsistencyContext,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
} from "./consistency_loss.ts";
import { type EmaTeacher, EmaTeacherPart } from "./ema_teacher.ts";

/** Options of {@linkcode MeanTeacher}. */
export interface MeanTeacherOptions {
  /** Upper bound of the EMA coefficient. @default {0.99} (SSL4MIS `--ema_decay`) */
  decay?: number;
  /**
   * Standard deviation of the Gaussian noise on the teacher's input. SSL4MIS uses 0.1 on
   * images in `[0, 1]`; ours are in `[-1, 1]`, twice the range, hence 0.2.
   * @default {0.2}
   */
  noiseStd?: number;
  /** The noise is clipped to `±noiseClip` (SSL4MIS: ±0.2 on `[0, 1]`). @default {0.4} */
  noiseClip?: number;
  /**
   * The loss is multiplied by 0 before this iteration. SSL4MIS's 2-D MT script hard-codes
   * 1000 (of 30000) on top of the sigmoid ramp; its 3-D MT and its UAMT have no gate, and the
   * ramp already keeps the weight near 0.0007 early on, so the default is no gate.
   * @default {0}
   */
  gateIterations?: number;
  /** Run the teacher in training mode, as SSL4MIS does (see `EmaTeacher`). @default {true} */
  teacherTraining?: boolean;
}

/**
 * Mean Teacher consistency (Tarvainen & Valpola, NeurIPS 2017; the paper's MT baseline [25],
 * implemented after SSL4MIS `train_mean_teacher_2D.py`):
 *
 * `L = mean((softmax(f_θ(x_u)) - softmax(f_θ'(x_u + clip(0.2·ε, ±0.4))))²)` over every
 * element `[batch, height, width, classes]`, with `f_θ'` an EMA teacher of the prediction path
 * (`S`, or `S∘G` inside GRN-SSL, whose teacher is then `S'∘G'`), updated after each optimizer
 * step (see `EmaTeacher`). The teacher sees noisy images, the student clean ones, and no
 * gradient flows into the teacher.
 *
 * Deviations from SSL4MIS, on purpose: the noise (0.1, clip ±0.2 on SSL4MIS's `[0, 1]`
 * images) is scaled to our `[-1, 1]` images (0.2, clip ±0.4); no 1000-iteration gate by
 * default (`gateIterations`);
 * the teacher is a copy of the student at construction rather than a second random
 * initialisation (irrelevant after the first update, where `α_0 = 0` copies the student).
 */
export class MeanTeacher implements ConsistencyLoss {
  /** `"mt"`. */
  readonly name: string = "mt";
  /** Keeps an EMA teacher. */
  readonly requires: readonly ConsistencyRequirement[] = ["teacher"];
  /** The EMA teacher part, which the trainer attaches, updates, saves and frees. */
  readonly parts: readonly PluginPart[];
  readonly #noiseStd: number;
  readonly #noiseClip: number;
  readonly #gate: number;
  readonly #teacher: EmaTeacherPart;

  /**
   * Creates the loss; the teacher is built when a trainer attaches it.
   *
   * @param options See {@linkcode MeanTeacherOptions}.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: MeanTeacherOptions = {}) {
    const {
      decay = 0.99,
      noiseStd = 0.2,
      noiseClip = 0.4,
      gateIterations = 0,
      teacherTraining = true,
    } = options;
    if (!(decay >= 0 && decay <= 1)) {
      throw new RangeError(`Cannot create the MT loss: decay must be in [0, 1] (got ${decay})`);
    }
    checkNoise("the MT loss", noiseStd, noiseClip);
    if (!(gateIterations >= 0)) {
      throw new RangeError(
        `Cannot create the MT loss: gateIterations must be >= 0 (got ${gateIterations})`,
      );
    }
    this.#noiseStd = noiseStd;
    this.#noiseClip = noiseClip;
    this.#gate = gateIterations;
    this.#teacher = new EmaTeacherPart(this.name, { decay, training: teacherTraining });
    this.parts = [this.#teacher];
  }

  /** The EMA teacher, once attached to a trainer. */
  get teacher(): EmaTeacher | null {
    return this.#teacher.teacher;
  }

  /**
   * Computes the MT consistency on `ctx.images` (a scalar).
   * @throws {Error} Before a trainer attached the loss.
   */
  compute(ctx: ConsistencyContext): tf.Scalar {
    const teacher = this.#teacher.require();
    return tf.tidy(() => {
      const noisy = addClippedNoise(ctx.images, ctx.rng, this.#noiseStd, this.#noiseClip);
      const target = tf.softmax(teacher.predict(noisy, ctx.path, ctx.rng));
      const p = tf.softmax(ctx.predict(ctx.images));
      const loss = tf.mean(tf.squaredDifference(p, target)) as tf.Scalar;
      return ctx.step < this.#gate ? tf.mul(loss, 0) as tf.Scalar : loss;
    });
  }
}
