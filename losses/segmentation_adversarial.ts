import * as tf from "@tensorflow/tfjs";
import type { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import {
  patchCrossEntropy,
  PluginDiscriminator,
  type PluginDiscriminatorOptions,
} from "./_plugin_discriminator.ts";
import type {
  AuxiliaryContext,
  ConsistencyContext,
  ConsistencyHost,
  ConsistencyLoss,
  ConsistencyRequirement,
} from "./consistency_loss.ts";

/** Options of {@linkcode SegmentationAdversarial}. */
export interface SegmentationAdversarialOptions extends PluginDiscriminatorOptions {
  /** Seed of the discriminator's initial weights. @default {0} */
  seed?: number;
}

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
  readonly #options: SegmentationAdversarialOptions;
  #d: PluginDiscriminator | null = null;

  /**
   * Creates the loss; the discriminator is built when a trainer attaches it.
   * @param options See {@linkcode SegmentationAdversarialOptions}.
   */
  constructor(options: SegmentationAdversarialOptions = {}) {
    this.#options = options;
  }

  /** The evaluation network `D`, once attached. */
  get discriminator(): PatchGANDiscriminator | null {
    return this.#d?.network ?? null;
  }

  /**
   * Builds `D` for the segmentor's classes and input channels.
   * @throws {RangeError} When already attached to a trainer.
   */
  attach(host: ConsistencyHost): void {
    if (this.#d) {
      throw new RangeError(
        "Cannot attach the dan loss: it already belongs to a trainer (got a second attach)",
      );
    }
    const s = host.segmentor;
    this.#d = new PluginDiscriminator(
      s.numClasses + s.inChannels,
      {
        ...this.#options,
        discriminator: { seed: this.#options.seed ?? 0, ...this.#options.discriminator },
      },
      "dan_discriminator",
    );
  }

  /** `D`'s input: `[softmax(logits), images]` along the channel axis. */
  discriminatorInput(logits: tf.Tensor4D, images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.concat([tf.softmax(logits), images], 3) as tf.Tensor4D);
  }

  /**
   * The adversarial term on unlabeled images: `mean BCE(D([softmax(z_u), x_u]), 1)`.
   * @throws {Error} Before {@linkcode SegmentationAdversarial.attach}.
   */
  compute(ctx: ConsistencyContext): tf.Scalar {
    const d = this.#require();
    return tf.tidy(() =>
      patchCrossEntropy(
        d.scores(this.discriminatorInput(ctx.predict(ctx.images), ctx.images), false),
        1,
      )
    );
  }

  /** One update of `D` (labeled = 1, unlabeled = 0); returns `{ lossDan }`. */
  auxiliaryStep(ctx: AuxiliaryContext): Record<string, number> {
    const d = this.#require();
    const s = ctx.segmentor;
    const [real, fake] = tf.tidy(() => [
      this.discriminatorInput(s.apply(ctx.labeled.images, { training: false }), ctx.labeled.images),
      this.discriminatorInput(
        s.apply(ctx.unlabeled.images, { training: false }),
        ctx.unlabeled.images,
      ),
    ]);
    try {
      return { lossDan: d.step(real!, fake!, ctx.step) };
    } finally {
      tf.dispose([real!, fake!]);
    }
  }

  /** `D`'s weights and Adam moments (for checkpoints). */
  get variables(): readonly tf.Variable[] {
    return this.#d?.variables ?? [];
  }

  /** Names of {@linkcode SegmentationAdversarial.variables}. */
  get variableNames(): readonly string[] {
    return this.#d?.variableNames ?? [];
  }

  /** Frees `D` and its optimizer. Safe to call more than once. */
  dispose(): void {
    this.#d?.dispose();
  }

  #require(): PluginDiscriminator {
    if (!this.#d) {
      throw new Error(
        "Cannot compute the dan loss: it has no discriminator yet (attach it to a trainer first)",
      );
    }
    return this.#d;
  }
}
