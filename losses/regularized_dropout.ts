import * as tf from "@tensorflow/tfjs";
import type { LogitBatch, Scalar } from "../engine/tensor_types.ts";
import type {
  ConsistencyContext,
  ConsistencyLoss,
  ConsistencyRequirement,
  SupervisedContext,
} from "./consistency_loss.ts";

/** Options of {@linkcode RegularizedDropout}. */
export interface RegularizedDropoutOptions {
  /**
   * Supervise both dropout passes: the supervised term becomes `0.5·(L(z1) + L(z2))`, as
   * R-Drop's task loss. `false` supervises a single pass.
   * @default {true}
   */
  twoPassSupervised?: boolean;
}

/**
 * R-Drop (Liang, Wu et al., "R-Drop: regularized dropout for neural networks", NeurIPS 2021;
 * the paper's R-drop baseline [34]): one model, two forward passes of the same images with
 * independent dropout masks, logits `z1` and `z2`, and the symmetric KL divergence over the
 * class axis,
 *
 * `L = mean_{b,h,w} 0.5·[KL(p2 ‖ p1) + KL(p1 ‖ p2)] = mean_{b,h,w} 0.5·Σ_c (p1 - p2)(ln p1 - ln p2)`,
 *
 * with `p = softmax(z)`, on unlabeled images. The segmentor needs dropout (the SSL4MIS UNet
 * has encoder dropout); without it both passes agree and the loss is 0.
 *
 * This is the original one-model R-Drop, not SSL4MIS's `train_regularized_dropout_2D.py`,
 * which trains two separately initialised UNets (closer to mutual learning) and takes the
 * softmax over the image width instead of the classes (an NLP snippet's last axis). The KL is
 * summed over classes and averaged over pixels (the reference's suggested adaptation); the
 * weight (SSL4MIS: 4.0 with its sigmoid ramp) is the trainer's `consistencyWeight`.
 */
export class RegularizedDropout implements ConsistencyLoss {
  /** `"rdrop"`. */
  readonly name: string = "rdrop";
  /** No special needs (the segmentor should have dropout). */
  readonly requires: readonly ConsistencyRequirement[] = [];
  readonly #twoPass: boolean;

  /**
   * Creates the loss.
   * @param options See {@linkcode RegularizedDropoutOptions}.
   */
  constructor(options: RegularizedDropoutOptions = {}) {
    const { twoPassSupervised = true } = options;
    this.#twoPass = twoPassSupervised;
  }

  /**
   * The symmetric KL divergence between two logit maps, summed over classes and averaged
   * over pixels.
   *
   * @param z1 Logits `[batch, height, width, classes]`.
   * @param z2 Logits of the same shape.
   * @returns `mean_{b,h,w} 0.5·Σ_c (p1 - p2)(ln p1 - ln p2)`.
   */
  divergence(z1: LogitBatch, z2: LogitBatch): Scalar {
    return tf.tidy(() => {
      const diff = tf.sub(tf.softmax(z1), tf.softmax(z2));
      const logDiff = tf.sub(tf.logSoftmax(z1), tf.logSoftmax(z2));
      return tf.mul(tf.mean(tf.sum(tf.mul(diff, logDiff), 3)), 0.5) as tf.Scalar;
    });
  }

  /** Two dropout passes of `ctx.images` and their symmetric KL (a scalar). */
  compute(ctx: ConsistencyContext): Scalar {
    return tf.tidy(() => this.divergence(ctx.predict(ctx.images), ctx.predict(ctx.images)));
  }

  /** The supervised loss averaged over two dropout passes (or one pass). */
  supervised(ctx: SupervisedContext): Scalar {
    if (!this.#twoPass) return ctx.baseLoss(ctx.predict(ctx.images), ctx.labels);
    return tf.tidy(() =>
      tf.mul(
        tf.add(
          ctx.baseLoss(ctx.predict(ctx.images), ctx.labels),
          ctx.baseLoss(ctx.predict(ctx.images), ctx.labels),
        ),
        0.5,
      ) as tf.Scalar
    );
  }
}
