import * as tf from "@tensorflow/tfjs";
import type { Scalar } from "../engine/tensor_types.ts";
import { stopGradient } from "../engine/stop_gradient.ts";
import type {
  ConsistencyContext,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
} from "./consistency_loss.ts";
import { type EmaTeacher, type EmaTeacherOptions, EmaTeacherPart } from "./ema_teacher.ts";

/** Options of {@linkcode InterpolationConsistency}. */
export interface InterpolationConsistencyOptions {
  /**
   * `λ ~ Beta(alpha, alpha)`. The paper does not state it; GRN's public code uses 0.75
   * (SSL4MIS's ICT baseline uses 0.2).
   * @default {0.75}
   */
  alpha?: number;
  /**
   * Fold `λ` to `max(λ, 1 - λ)` so the mixed image stays closer to the first image (GRN's
   * public code does; the paper is silent).
   * @default {true}
   */
  foldLambda?: boolean;
  /**
   * Stop gradients through the mixed target `Mix_λ(M_UL, M_S)`. GRN's public code lets them
   * flow (no teacher); classic ICT detaches (its target comes from an EMA teacher).
   * @default {false}
   */
  detachTarget?: boolean;
  /**
   * How the second image of each pair is sampled from the batch: a random permutation
   * (GRN: "randomly sample a second image from the same batch") or fixed halves (SSL4MIS).
   * @default {"permutation"}
   */
  pairing?: "permutation" | "halves";
  /**
   * Take the target from an EMA teacher of the prediction path (classic ICT, the paper's ICT
   * baseline [30]; SSL4MIS: decay 0.99, teacher in training mode): `true` or the teacher's
   * options. The target `Mix_λ(softmax(f_θ'(I_UL)), softmax(f_θ'(I_S)))` is then detached and
   * the student only sees the mixed images. `false` is GRN's teacher-free term.
   * @default {false}
   */
  teacher?: boolean | EmaTeacherOptions;
  /**
   * How the mixing is drawn:
   * - `"batch"` (GRN's public code): one `λ` for the whole batch and one pairing, drawn once
   *   per iteration (on the first `compute` of a `ctx.step` for a given image batch) and
   *   reused by every term of that iteration: GRN-SSL's generator term and its segmentor's
   *   `S(x)` and `S(G(x))` terms mix the same images with the same coefficient.
   * - `"image"`: one `λ` per image and a fresh draw on every `compute` (SSL4MIS's ICT draws
   *   `λ` per pair; it computes the loss once per iteration).
   * @default {"batch"}
   */
  sampling?: "batch" | "image";
}

/**
 * Interpolation consistency (ICT; Verma et al. 2022), GRN's default `L_customize` (section
 * 2.3, eq. 11): `MSE(softmax(f(Mix_λ(I_UL, I_S))), Mix_λ(softmax(f(I_UL)), softmax(f(I_S))))`
 * with `Mix_λ(a, b) = λ a + (1 - λ) b` and `f` the prediction path of the context (`S` or
 * `S∘G`). By default it is drawn as GRN's public code draws it: one `λ ~ Beta(0.75, 0.75)`
 * folded to `max(λ, 1 - λ)` and one random permutation `I_S = I_UL[π]` per batch, drawn once
 * per iteration from the trainer's seeded generator and shared by the iteration's generator
 * term and both segmentor terms (`sampling: "batch"`); `sampling: "image"` draws `λ` per
 * image and anew for every term.
 *
 * Where the SDK and GRN's public code differ: the public code calls
 * `optimizer_S.zero_grad()` before S's own step, so the gradient of `L_G` (including
 * `λcus·L_customize` on `S∘G`) on S's weights is discarded: that is the paper's "freeze S
 * while back-propagating L_G" ablation (Table 6). The paper's text says GRN does not freeze S,
 * and the SDK follows the paper (`feedback: "joint"`: S's update adds `∂L_G/∂θ_S`); use
 * `feedback: "frozen-segmentor"` for the public code's behaviour.
 *
 * Costs two forward passes of the path (the batch and its mixtures); the second image's
 * prediction is taken from the first pass.
 *
 * With `teacher`, it is classic ICT (Verma et al.; SSL4MIS
 * `train_interpolation_consistency_training_2D.py`): the unmixed predictions come from an EMA
 * teacher (see `EmaTeacher`), updated after each optimizer step, and only the mixtures go
 * through the student. SSL4MIS's baseline settings are `{ alpha: 0.2, foldLambda: false,
 * pairing: "halves", teacher: true }`; with halves pairing every image of the batch gets a
 * mixture (SSL4MIS mixes only the first half with the second, so it has half as many).
 */
export class InterpolationConsistency implements ConsistencyLoss {
  /** `"ict"`. */
  readonly name = "ict";
  /** Needs at least two unlabeled images per batch (and, with `teacher`, an EMA teacher). */
  readonly requires: readonly ConsistencyRequirement[];
  readonly #alpha: number;
  readonly #fold: boolean;
  readonly #detach: boolean;
  readonly #pairing: "permutation" | "halves";
  readonly #sampling: "batch" | "image";
  #drawn: { step: number; images: tf.Tensor; partner: number[]; lambda: number[] } | null = null;
  /** With the `teacher` option, the EMA teacher part; else none. */
  readonly parts: readonly PluginPart[];
  readonly #teacher: EmaTeacherPart | null;

  /**
   * Creates the loss (and, with `teacher`, builds the teacher when a trainer attaches it).
   *
   * @param options See {@linkcode InterpolationConsistencyOptions}.
   * @throws {RangeError} When `alpha` is not positive.
   */
  constructor(options: InterpolationConsistencyOptions = {}) {
    const {
      alpha = 0.75,
      foldLambda = true,
      detachTarget = false,
      pairing = "permutation",
      teacher = false,
      sampling = "batch",
    } = options;
    if (!(alpha > 0) || !Number.isFinite(alpha)) {
      throw new RangeError(`Cannot create ICT loss: alpha must be > 0 (got ${alpha})`);
    }
    if (pairing !== "permutation" && pairing !== "halves") {
      throw new RangeError(
        `Cannot create ICT loss: pairing must be "permutation" or "halves" (got ${
          JSON.stringify(pairing)
        })`,
      );
    }
    if (sampling !== "batch" && sampling !== "image") {
      throw new RangeError(
        `Cannot create ICT loss: sampling must be "batch" or "image" (got ${
          JSON.stringify(sampling)
        })`,
      );
    }
    this.#sampling = sampling;
    this.#alpha = alpha;
    this.#fold = foldLambda;
    this.#detach = detachTarget;
    this.#pairing = pairing;
    this.#teacher = teacher === false
      ? null
      : new EmaTeacherPart(this.name, teacher === true ? {} : teacher);
    this.parts = this.#teacher ? [this.#teacher] : [];
    this.requires = this.#teacher ? ["batch-pairs", "teacher"] : ["batch-pairs"];
  }

  /** The EMA teacher (with the `teacher` option, once attached), else `null`. */
  get teacher(): EmaTeacher | null {
    return this.#teacher?.teacher ?? null;
  }

  /**
   * Draws the pairing and mixing coefficients for a batch of `n` images (a fresh draw; with
   * `sampling: "batch"` every `lambda[i]` is the same value).
   * @returns `partner[i]` (index of the image mixed with image `i`) and `lambda[i]`.
   */
  drawMixing(n: number, rng: ConsistencyContext["rng"]): { partner: number[]; lambda: number[] } {
    if (n < 2) {
      throw new RangeError(`Cannot mix an unlabeled batch: need at least 2 images (got ${n})`);
    }
    let partner: number[];
    if (this.#pairing === "halves") {
      const half = Math.floor(n / 2);
      partner = Array.from({ length: n }, (_, i) => (i < half ? i + half : i - half) % n);
    } else {
      partner = rng.permutation(n);
    }
    const draw = () => {
      const l = rng.beta(this.#alpha, this.#alpha);
      return this.#fold ? Math.max(l, 1 - l) : l;
    };
    if (this.#sampling === "batch") {
      const l = draw();
      return { partner, lambda: partner.map(() => l) };
    }
    return { partner, lambda: partner.map(draw) };
  }

  /** The iteration's mixing: reused within one step and image batch with `"batch"` sampling. */
  #mixing(ctx: ConsistencyContext): { partner: number[]; lambda: number[] } {
    if (this.#sampling === "image") return this.drawMixing(ctx.images.shape[0], ctx.rng);
    const d = this.#drawn;
    if (d && d.step === ctx.step && d.images === ctx.images) return d;
    const drawn = this.drawMixing(ctx.images.shape[0], ctx.rng);
    this.#drawn = { step: ctx.step, images: ctx.images, ...drawn };
    return drawn;
  }

  /**
   * Computes the interpolation consistency loss (a scalar).
   * @throws {Error} With the `teacher` option, before the loss is attached to a trainer.
   */
  compute(ctx: ConsistencyContext): Scalar {
    const teacher = this.#teacher?.require() ?? null;
    const n = ctx.images.shape[0];
    const { partner, lambda } = this.#mixing(ctx);
    return tf.tidy(() => {
      // Pairing as a permutation matrix: a matMul (whose gradient every backend has) instead
      // of a gather (whose gradient, UnsortedSegmentSum, the wasm backend lacks).
      const onehot = new Float32Array(n * n);
      partner.forEach((j, i) => (onehot[i * n + j] = 1));
      const pairMatrix = tf.tensor2d(onehot, [n, n]);
      const pick = <T extends tf.Tensor>(t: T): T =>
        tf.reshape(tf.matMul(pairMatrix, tf.reshape(t, [n, -1])), t.shape) as T;
      const lam = tf.tensor4d(lambda, [n, 1, 1, 1]);
      const oneMinus = tf.sub(1, lam);
      const mixed = tf.add(
        tf.mul(lam, ctx.images),
        tf.mul(oneMinus, pick(ctx.images)),
      ) as tf.Tensor4D;
      const p = teacher
        ? tf.softmax(teacher.predict(ctx.images, ctx.path, ctx.rng))
        : tf.softmax(ctx.predict(ctx.images));
      let target = tf.add(tf.mul(lam, p), tf.mul(oneMinus, pick(p)));
      if (this.#detach) target = stopGradient(target);
      const pMixed = tf.softmax(ctx.predict(mixed));
      return tf.mean(tf.squaredDifference(pMixed, target)) as tf.Scalar;
    });
  }
}
