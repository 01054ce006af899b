import * as tf from "@tensorflow/tfjs";
import type { Scalar } from "../engine/tensor_types.ts";
import { type NoisyTeacher, noisyTeacher } from "./_teacher_noise.ts";
import type {
  ConsistencyContext,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
} from "./consistency_loss.ts";
import type { EmaTeacher, NoisyTeacherOptions } from "./ema_teacher.ts";

/** Options of {@linkcode MeanTeacher}: the noisy teacher's, and a gate. */
export interface MeanTeacherOptions extends NoisyTeacherOptions {
  /**
   * The loss is multiplied by 0 before this iteration. SSL4MIS's 2-D MT script hard-codes
   * 1000 (of 30000) on top of the sigmoid ramp; its 3-D MT and its UAMT have no gate, and the
   * ramp already keeps the weight near 0.0007 early on, so the default is no gate.
   * @default {0}
   */
  gateIterations?: number;
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
  readonly #gate: number;
  readonly #teacher: NoisyTeacher;

  /**
   * Creates the loss; the teacher is built when a trainer attaches it.
   *
   * @param options See {@linkcode MeanTeacherOptions}.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: MeanTeacherOptions = {}) {
    const { gateIterations = 0 } = options;
    this.#teacher = noisyTeacher(this.name, options);
    if (!(gateIterations >= 0)) {
      throw new RangeError(
        `Cannot create the ${this.name} loss: gateIterations must be >= 0 (got ${gateIterations})`,
      );
    }
    this.#gate = gateIterations;
    this.parts = [this.#teacher.part];
  }

  /** The EMA teacher, once attached to a trainer. */
  get teacher(): EmaTeacher | null {
    return this.#teacher.part.teacher;
  }

  /**
   * Computes the MT consistency on `ctx.images` (a scalar).
   * @throws {Error} Before a trainer attached the loss.
   */
  compute(ctx: ConsistencyContext): Scalar {
    const teacher = this.#teacher.part.require();
    return tf.tidy(() => {
      const noisy = this.#teacher.noise(ctx.images, ctx.rng);
      const target = tf.softmax(teacher.predict(noisy, ctx.path, ctx.rng));
      const p = tf.softmax(ctx.predict(ctx.images));
      const loss = tf.mean(tf.squaredDifference(p, target)) as tf.Scalar;
      return ctx.step < this.#gate ? tf.mul(loss, 0) as tf.Scalar : loss;
    });
  }
}
