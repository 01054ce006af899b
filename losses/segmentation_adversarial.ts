import * as tf from "@tensorflow/tfjs";
import type { FeatureBatch, ImageBatch, LogitBatch, Scalar } from "../engine/tensor_types.ts";
import type { Discriminator } from "../networks/discriminator.ts";
import {
  patchCrossEntropy,
  PluginDiscriminator,
  type PluginDiscriminatorOptions,
} from "./_plugin_discriminator.ts";
import type {
  ConsistencyContext,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
} from "./consistency_loss.ts";

/** Options of {@linkcode SegmentationAdversarial}: its discriminator's settings and seed. */
export type SegmentationAdversarialOptions = PluginDiscriminatorOptions;

/**
 * DAN, the deep adversarial network (Zhang et al., "Deep adversarial networks for biomedical
 * image segmentation utilizing unannotated images", MICCAI 2017; the paper's DAN baseline
 * [27], after SSL4MIS `train_adversarial_network_2D.py`). The plug-in owns an "evaluation
 * network" `D` that sees a segmentation map together with its image, `[softmax(z), x]`
 * (`C + inChannels` channels), and its own Adam (lr 1e-4, betas 0.9/0.99):
 *
 * - `compute` (the segmentor's term on unlabeled images): `BCE(D([p_u, x_u]), 1)`, so the
 *   segmentor makes its unlabeled predictions look like labeled ones; the gradient reaches it
 *   through `p_u`; `D` runs in inference mode and is not updated here;
 * - `auxiliaryStep` (once per iteration, after the segmentor's update): fresh predictions of
 *   the segmentor in inference mode on both batches, then one Adam step of `D` on
 *   `BCE(D([p_l, x_l]), 1)` and `BCE(D([p_u, x_u]), 0)` averaged over every patch —
 *   labeled = real. It reports `lossDan`.
 *
 * 2-D adaptation: `D` is a `PatchGANDiscriminator` on the concatenated `[p, x]` (a first
 * convolution over the concatenation equals DAN's two summed first convolutions), without
 * normalisation like DAN's FCDiscriminator, and with a logit per patch instead of DAN's
 * average-pool + linear layer (whose size is tied to 256x256 inputs); the 2-class CE becomes
 * the equivalent binary CE on logits. The weight (SSL4MIS: 0.1 with its sigmoid ramp) is the
 * trainer's `consistencyWeight`.
 */
export class SegmentationAdversarial implements ConsistencyLoss {
  /** `"dan"`. */
  readonly name: string = "dan";
  /** No special needs. */
  readonly requires: readonly ConsistencyRequirement[] = [];
  /** The evaluation network `D` with its Adam, which the trainer attaches, steps and saves. */
  readonly parts: readonly PluginPart[];
  readonly #d: PluginDiscriminator;

  /**
   * Creates the loss; the discriminator is built when a trainer attaches it (for the
   * segmentor's classes and input channels).
   * @param options See {@linkcode SegmentationAdversarialOptions}.
   */
  constructor(options: SegmentationAdversarialOptions = {}) {
    this.#d = new PluginDiscriminator({
      owner: this.name,
      lossKey: "lossDan",
      channels: ({ segmentor: s }) => s.numClasses + s.inChannels,
      inputs: ({ segmentor: s, labeled, unlabeled }) => [
        this.discriminatorInput(s.apply(labeled.images, { training: false }), labeled.images),
        this.discriminatorInput(s.apply(unlabeled.images, { training: false }), unlabeled.images),
      ],
      options,
    });
    this.parts = [this.#d];
  }

  /** The evaluation network `D`, once attached. */
  get discriminator(): Discriminator | null {
    return this.#d.network;
  }

  /** `D`'s input: `[softmax(logits), images]` along the channel axis. */
  discriminatorInput(logits: LogitBatch, images: ImageBatch): FeatureBatch {
    return tf.tidy(() => tf.concat([tf.softmax(logits), images], 3) as tf.Tensor4D);
  }

  /**
   * The adversarial term on unlabeled images: `mean BCE(D([softmax(z_u), x_u]), 1)`.
   * @throws {Error} Before a trainer attached the loss.
   */
  compute(ctx: ConsistencyContext): Scalar {
    return tf.tidy(() =>
      patchCrossEntropy(
        this.#d.scores(this.discriminatorInput(ctx.predict(ctx.images), ctx.images), false),
        1,
      )
    );
  }
}
