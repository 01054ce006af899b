import * as tf from "@tensorflow/tfjs";
import type { FeatureBatch, ImageBatch, LabelBatch, Scalar } from "../engine/tensor_types.ts";
import { signedDistanceMap } from "../metrics/signed_distance_map.ts";
import type { Discriminator } from "../networks/discriminator.ts";
import { hasSignedDistanceHead, type SignedDistanceSegmentor } from "../networks/sdm_unet.ts";
import {
  patchCrossEntropy,
  PluginDiscriminator,
  type PluginDiscriminatorOptions,
} from "./_plugin_discriminator.ts";
import type {
  ConsistencyContext,
  ConsistencyHost,
  ConsistencyLoss,
  ConsistencyRequirement,
  PluginPart,
  SupervisedContext,
} from "./consistency_loss.ts";
import { mseLoss } from "./mse_loss.ts";

/** Options of {@linkcode ShapeAwareAdversarial}. */
export interface ShapeAwareAdversarialOptions extends PluginDiscriminatorOptions {
  /** Weight `β` of the signed-distance regression in the supervised term. @default {0.3} */
  sdmWeight?: number;
}

/**
 * SASSNet, the shape-aware semi-supervised network (Li et al., "Shape-aware semi-supervised 3D
 * semantic segmentation for medical images", MICCAI 2020; the paper's SASSNet baseline [33],
 * after kleinzcy/SASSnet `train_gan_sdfloss.py`), adapted to 2-D multi-class segmentation.
 * Needs a segmentor with a `tanh` signed-distance head of `C - 1` channels (`SdmUNet`):
 *
 * - supervised term: `L_base(z_l, y_l) + β·MSE(sdm_l, SDF(y_l))` with `β = 0.3`, where
 *   `SDF(y)` holds, per sample and foreground class `c`, the normalised signed distance map of
 *   the mask `y = c` (`signedDistanceMap`: `minmax(EDT(outside)) - minmax(EDT(inside))`, 0 on
 *   the inner boundary, all 0 for an absent class), computed on the host from the labels;
 * - `compute` (unlabeled): `BCE(D([sdm_u, x_u]), 1)`, the segmentor's adversarial term on its
 *   predicted signed-distance maps;
 * - `auxiliaryStep`: the segmentor in inference mode predicts the maps of both batches, and
 *   `D` takes one Adam step (lr 1e-4, betas 0.9/0.99) with labeled = 1, unlabeled = 0. It
 *   reports `lossSassnet`.
 *
 * 2-D multi-class choices (the source is 3-D binary): one map per foreground class; `D` is the
 * DAN-style `PatchGANDiscriminator` on `[sdm, x]` (`C - 1 + inChannels` channels, no
 * normalisation) instead of SASSNet's 3-D conv + linear network; the base segmentation loss is
 * the trainer's (the method registry uses SSL4MIS's `0.5·(CE + Dice)`, as for every
 * classic baseline; SASSNet itself uses Dice only and computes, but never adds, a BCE). The
 * weight (SASSNet: 0.01 with a sigmoid ramp over its run) is the trainer's
 * `consistencyWeight`. The plug-in trains `S(x)` only, so it refuses a host with a generator.
 */
export class ShapeAwareAdversarial implements ConsistencyLoss {
  /** `"sassnet"`. */
  readonly name: string = "sassnet";
  /** No requirement the trainer checks; `attach` checks for the signed-distance head. */
  readonly requires: readonly ConsistencyRequirement[] = [];
  /**
   * A check of the host (a signed-distance head, no generator) that keeps its segmentor, and
   * the discriminator `D` with its Adam; the trainer attaches, steps and saves them.
   */
  readonly parts: readonly PluginPart[];
  readonly #beta: number;
  #segmentor: SignedDistanceSegmentor | null = null;
  readonly #d: PluginDiscriminator;

  /**
   * Creates the loss; the discriminator is built when a trainer attaches it.
   *
   * @param options See {@linkcode ShapeAwareAdversarialOptions}.
   * @throws {RangeError} When `sdmWeight` is negative.
   */
  constructor(options: ShapeAwareAdversarialOptions = {}) {
    const { sdmWeight = 0.3 } = options;
    if (!(sdmWeight >= 0) || !Number.isFinite(sdmWeight)) {
      throw new RangeError(
        `Cannot create the sassnet loss: sdmWeight must be a finite number >= 0 (got ${sdmWeight})`,
      );
    }
    this.#beta = sdmWeight;
    this.#d = new PluginDiscriminator({
      owner: this.name,
      lossKey: "lossSassnet",
      channels: () => this.#require().sdmChannels + this.#require().inChannels,
      inputs: ({ labeled, unlabeled }) => {
        const s = this.#require();
        const map = (x: tf.Tensor4D) =>
          this.discriminatorInput(s.applyWithSdm(x, { training: false }).sdm, x);
        return [map(labeled.images), map(unlabeled.images)];
      },
      options,
    });
    this.parts = [{ attach: (host) => this.#adopt(host) }, this.#d];
  }

  /** The discriminator `D`, once attached. */
  get discriminator(): Discriminator | null {
    return this.#d.network;
  }

  /**
   * Checks the host and keeps its segmentor (the first part's `attach`; `D` is built by the
   * second).
   * @throws {RangeError} For a segmentor without a signed-distance head, a host with a
   *   generator, or a second attach.
   */
  #adopt(host: ConsistencyHost): void {
    if (this.#segmentor) {
      throw new RangeError(
        "Cannot attach the sassnet loss: it already belongs to a trainer (got a second attach)",
      );
    }
    const s = host.segmentor;
    if (!hasSignedDistanceHead(s)) {
      throw new RangeError(
        `Cannot attach the sassnet loss: it needs a segmentor with a signed-distance head, e.g. SdmUNet (got ${s.name}, which has none)`,
      );
    }
    if (host.generator) {
      throw new RangeError(
        `Cannot attach the sassnet loss: it trains the segmentor's own signed-distance head on S(x) and takes no generator (got ${host.generator.name})`,
      );
    }
    this.#segmentor = s;
  }

  /**
   * Signed-distance targets of a label batch: for each sample and foreground class `c`, the
   * normalised signed distance map of `labels == c` (SASSNet's `compute_sdf`).
   *
   * @param labels Class indices `[batch, height, width]`.
   * @param numClasses Number of classes `C` (background included).
   * @returns `[batch, height, width, C - 1]`, foreground class `c` in channel `c - 1`.
   */
  sdfTargets(labels: LabelBatch, numClasses: number): FeatureBatch {
    const [b, h, w] = labels.shape;
    const values = labels.dataSync();
    const k = numClasses - 1;
    const out = new Float32Array(b * h * w * k);
    const mask = new Uint8Array(h * w);
    for (let n = 0; n < b; n++) {
      const offset = n * h * w;
      for (let c = 1; c <= k; c++) {
        for (let i = 0; i < h * w; i++) mask[i] = values[offset + i] === c ? 1 : 0;
        const sdf = signedDistanceMap(mask, [h, w]);
        for (let i = 0; i < h * w; i++) out[(offset + i) * k + c - 1] = sdf[i]!;
      }
    }
    return tf.tensor4d(out, [b, h, w, k]);
  }

  /** `D`'s input: `[sdm, images]` along the channel axis. */
  discriminatorInput(sdm: FeatureBatch, images: ImageBatch): FeatureBatch {
    return tf.tidy(() => tf.concat([sdm, images], 3) as tf.Tensor4D);
  }

  /**
   * The supervised term `L_base(z_l, y_l) + β·MSE(sdm_l, SDF(y_l))` (one training pass through
   * both heads).
   * @throws {Error} Before a trainer attached the loss.
   */
  supervised(ctx: SupervisedContext): Scalar {
    const s = this.#require();
    return tf.tidy(() => {
      const { logits, sdm } = s.applyWithSdm(ctx.images, { training: true, rng: ctx.rng });
      const base = ctx.baseLoss(logits, ctx.labels);
      if (this.#beta === 0) return base;
      const target = this.sdfTargets(ctx.labels, s.numClasses);
      return tf.add(base, tf.mul(mseLoss(sdm, target), this.#beta)) as tf.Scalar;
    });
  }

  /**
   * The adversarial term on unlabeled images: `mean BCE(D([sdm_u, x_u]), 1)`.
   * @throws {Error} Before a trainer attached the loss.
   */
  compute(ctx: ConsistencyContext): Scalar {
    const s = this.#require();
    return tf.tidy(() => {
      const { sdm } = s.applyWithSdm(ctx.images, { training: true, rng: ctx.rng });
      return patchCrossEntropy(this.#d.scores(this.discriminatorInput(sdm, ctx.images), false), 1);
    });
  }

  #require(): SignedDistanceSegmentor {
    if (!this.#segmentor) {
      throw new Error(
        "Cannot compute the sassnet loss: it is not attached to a trainer yet (attach it first)",
      );
    }
    return this.#segmentor;
  }
}
