/**
 * The SSL4MIS UNet blocks: `ConvBlock` (conv3x3-norm-LeakyReLU-dropout-conv3x3-norm-LeakyReLU)
 * and `UpBlock` (ConvTranspose k2 s2, concat `[skip, up]`, ConvBlock).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../engine/rng.ts";
import { Conv2d, ConvTranspose2d, dropout, leakyRelu, Norm2d, type NormKind } from "./_layers.ts";
import type { ParamScope } from "./module_base.ts";

/** Layer settings shared by every block of a UNet. */
export interface BlockSettings {
  norm: NormKind;
  convBias: boolean;
  leakySlope: number;
  momentum: number;
  epsilon: number;
}

/** conv3x3 → norm → LeakyReLU → dropout(p) → conv3x3 → norm → LeakyReLU. */
export class ConvBlock {
  readonly #conv1: Conv2d;
  readonly #norm1: Norm2d;
  readonly #conv2: Conv2d;
  readonly #norm2: Norm2d;
  readonly #dropout: number;
  readonly #slope: number;

  constructor(
    scope: ParamScope,
    inChannels: number,
    outChannels: number,
    dropoutRate: number,
    settings: BlockSettings,
  ) {
    const conv = { kernelSize: 3, padding: 1, bias: settings.convBias };
    const norm = { kind: settings.norm, momentum: settings.momentum, epsilon: settings.epsilon };
    this.#conv1 = new Conv2d(scope.child("conv1"), { ...conv, inChannels, outChannels });
    this.#norm1 = new Norm2d(scope.child("norm1"), outChannels, norm);
    this.#conv2 = new Conv2d(scope.child("conv2"), {
      ...conv,
      inChannels: outChannels,
      outChannels,
    });
    this.#norm2 = new Norm2d(scope.child("norm2"), outChannels, norm);
    this.#dropout = dropoutRate;
    this.#slope = settings.leakySlope;
  }

  /** `[b, h, w, in]` → `[b, h, w, out]`. */
  apply(x: tf.Tensor4D, training: boolean, rng: Rng): tf.Tensor4D {
    let y = leakyRelu(this.#norm1.apply(this.#conv1.apply(x), training), this.#slope);
    y = dropout(y, this.#dropout, training, rng);
    return leakyRelu(this.#norm2.apply(this.#conv2.apply(y), training), this.#slope);
  }
}

/** ConvTranspose(deep → skip channels, k2, s2), concat `[skip, up]`, ConvBlock(p = 0). */
export class UpBlock {
  readonly #up: ConvTranspose2d;
  readonly #block: ConvBlock;

  constructor(
    scope: ParamScope,
    deepChannels: number,
    skipChannels: number,
    outChannels: number,
    settings: BlockSettings,
  ) {
    this.#up = new ConvTranspose2d(scope.child("upconv"), {
      inChannels: deepChannels,
      outChannels: skipChannels,
      kernelSize: 2,
      stride: 2,
      padding: "valid",
    });
    this.#block = new ConvBlock(
      scope.child("block"),
      2 * skipChannels,
      outChannels,
      0,
      settings,
    );
  }

  /** `deep [b, h, w, deep]`, `skip [b, 2h, 2w, skip]` → `[b, 2h, 2w, out]`. */
  apply(deep: tf.Tensor4D, skip: tf.Tensor4D, training: boolean, rng: Rng): tf.Tensor4D {
    const up = this.#up.apply(deep);
    return this.#block.apply(tf.concat([skip, up], 3), training, rng);
  }
}
