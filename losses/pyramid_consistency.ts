import * as tf from "@tensorflow/tfjs";
import type { LogitBatch, Scalar } from "../engine/tensor_types.ts";
import { stopGradient } from "../engine/stop_gradient.ts";
import { isMultiScaleSegmentor } from "../networks/segmentor.ts";
import type {
  ConsistencyContext,
  ConsistencyHost,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
  SupervisedContext,
} from "./consistency_loss.ts";

/**
 * Checks that the host's segmentor has pyramid outputs.
 * @throws {RangeError} For a segmentor without `applyPyramid`.
 */
function checkPyramid(host: ConsistencyHost): void {
  if (!isMultiScaleSegmentor(host.segmentor)) {
    throw new RangeError(
      `Cannot attach the urpc loss: it needs a multi-scale segmentor with pyramid outputs, e.g. PyramidUNet (got ${host.segmentor.name}, which has none)`,
    );
  }
}

/** Options of {@linkcode PyramidConsistency}. */
export interface PyramidConsistencyOptions {
  /**
   * Stop gradients through the pyramid mean `p̄`. SSL4MIS does not detach it, so every scale
   * is also pulled towards the others through the target; the default reproduces that.
   * @default {false}
   */
  detachTarget?: boolean;
  /**
   * Average the supervised loss over every pyramid output (URPC's deep supervision). `false`
   * supervises the main output only.
   * @default {true}
   */
  deepSupervision?: boolean;
}

/**
 * Uncertainty-rectified pyramid consistency (URPC; Luo et al., "Efficient semi-supervised
 * gross target volume of nasopharyngeal carcinoma segmentation via uncertainty rectified
 * pyramid consistency", MICCAI 2021; the paper's URPC baseline [32], after SSL4MIS
 * `train_uncertainty_rectified_pyramid_consistency_2D.py`). Needs a multi-scale segmentor
 * (e.g. `PyramidUNet`); its outputs `s` (main, 1/2, 1/4, 1/8, each upsampled to the input
 * size) give, on unlabeled images:
 *
 * - `p_s = softmax(z_s)`, `p̄ = (1/S) Σ_s p_s`;
 * - `D_s = Σ_c p̄_c·(ln p̄_c - ln p_s,c)` per pixel (`KL(p̄ ‖ p_s)`), weight `w_s = exp(-D_s)`;
 * - `L_s = mean_{b,h,w,c}(w_s·(p̄ - p_s)²) / (mean_{b,h,w}(w_s) + 1e-8) + mean_{b,h,w}(D_s)`;
 * - `L = (1/S) Σ_s L_s`.
 *
 * The supervised term is replaced by its average over the pyramid outputs (with the
 * trainer's supervised loss, e.g. `0.5·(CE + Dice)` gives SSL4MIS's sum of 8 terms over 8).
 * Inside GRN-SSL the paper names this loss as an alternative `L_customize` (section 4); it then
 * runs on `S∘G` as well. `ln p_s` is taken as `logSoftmax` (SSL4MIS takes `log(softmax)`:
 * equal, but finite where softmax underflows).
 */
export class PyramidConsistency implements ConsistencyLoss {
  /** `"urpc"`. */
  readonly name: string = "urpc";
  /** Needs pyramid outputs. */
  readonly requires: readonly ConsistencyRequirement[] = ["pyramid"];
  /** A check that the segmentor has pyramid outputs, run when a trainer attaches the loss. */
  readonly parts: readonly PluginPart[] = [{ attach: checkPyramid }];
  readonly #detach: boolean;
  readonly #deep: boolean;

  /**
   * Creates the loss.
   * @param options See {@linkcode PyramidConsistencyOptions}.
   */
  constructor(options: PyramidConsistencyOptions = {}) {
    const { detachTarget = false, deepSupervision = true } = options;
    this.#detach = detachTarget;
    this.#deep = deepSupervision;
  }

  /**
   * The rectified pyramid loss of given pyramid logits.
   *
   * @param logits `S >= 2` tensors `[batch, height, width, classes]`, main first.
   * @returns The scalar `(1/S) Σ_s L_s`.
   * @throws {RangeError} With fewer than 2 outputs.
   */
  rectifiedLoss(logits: readonly LogitBatch[]): Scalar {
    if (logits.length < 2) {
      throw new RangeError(
        `Cannot compute the URPC loss: need at least 2 pyramid outputs (got ${logits.length})`,
      );
    }
    return tf.tidy(() => {
      const probs = logits.map((z) => tf.softmax(z));
      let mean: tf.Tensor = tf.div(tf.addN(probs), logits.length);
      if (this.#detach) mean = stopGradient(mean);
      // p̄ > 0 wherever softmax does not underflow; the floor keeps 0·ln 0 at 0.
      const logMean = tf.log(tf.maximum(mean, 1e-30));
      const terms = logits.map((z, s) => {
        const divergence = tf.sum(tf.mul(mean, tf.sub(logMean, tf.logSoftmax(z))), 3, true);
        const weight = tf.exp(tf.neg(divergence));
        const weighted = tf.mean(tf.mul(weight, tf.squaredDifference(mean, probs[s]!)));
        return tf.add(tf.div(weighted, tf.add(tf.mean(weight), 1e-8)), tf.mean(divergence));
      });
      return tf.div(tf.addN(terms), logits.length) as tf.Scalar;
    });
  }

  /**
   * Computes the URPC consistency on `ctx.images`.
   * @throws {RangeError} When the context has no pyramid outputs.
   */
  compute(ctx: ConsistencyContext): Scalar {
    const pyramid = this.#pyramid(ctx.predictPyramid);
    return tf.tidy(() => this.rectifiedLoss(pyramid(ctx.images)));
  }

  /**
   * Deep supervision: the trainer's supervised loss averaged over every pyramid output.
   * @throws {RangeError} When the context has no pyramid outputs.
   */
  supervised(ctx: SupervisedContext): Scalar {
    if (!this.#deep) return ctx.baseLoss(ctx.predict(ctx.images), ctx.labels);
    const pyramid = this.#pyramid(ctx.predictPyramid);
    return tf.tidy(() => {
      const outputs = pyramid(ctx.images);
      return tf.div(tf.addN(outputs.map((z) => ctx.baseLoss(z, ctx.labels))), outputs.length);
    });
  }

  #pyramid(f: ConsistencyContext["predictPyramid"]): (x: tf.Tensor4D) => tf.Tensor4D[] {
    if (!f) {
      throw new RangeError(
        "Cannot compute the URPC loss: the trainer gave no pyramid outputs (got a segmentor without applyPyramid)",
      );
    }
    return f;
  }
}
