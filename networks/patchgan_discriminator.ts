import * as tf from "@tensorflow/tfjs";
import type { FeatureBatch } from "../engine/tensor_types.ts";
import { checkAtLeast, checkImageInput } from "./_input_size.ts";
import { Conv2d, leakyRelu, Norm2d, NORM_KINDS, type NormKind } from "./_layers.ts";
import { ModuleBase } from "./module_base.ts";
import type { Discriminator } from "./discriminator.ts";
import type { ForwardOptions } from "./module.ts";

/** Options of {@linkcode PatchGANDiscriminator}. */
export interface PatchGANDiscriminatorOptions {
  /** Module name; prefixes the tfjs variable names. @default {"discriminator"} */
  name?: string;
  /** Seed of the initial weights. @default {0} */
  seed?: number;
  /**
   * Input channels (1 for GRN's images; more for discriminators that also see segmentation
   * maps).
   * @default {1}
   */
  channels?: number;
  /** Width of the first convolution. @default {32} */
  ndf?: number;
  /** Number of stride-2 convolutions. @default {3} */
  nLayers?: number;
  /** Normalisation after every convolution but the first and the last. @default {"batch"} */
  norm?: NormKind;
  /** Negative slope of the LeakyReLUs. @default {0.2} */
  leakySlope?: number;
  /** Batch-norm running-average momentum (PyTorch convention). @default {0.1} */
  momentum?: number;
  /** Normalisation epsilon. @default {1e-5} */
  epsilon?: number;
}

/** The resolved configuration of a {@linkcode PatchGANDiscriminator}. */
export type PatchGANDiscriminatorConfig = Readonly<Required<PatchGANDiscriminatorOptions>>;

function resolveOptions(options: PatchGANDiscriminatorOptions): PatchGANDiscriminatorConfig {
  const {
    name = "discriminator",
    seed = 0,
    channels = 1,
    ndf = 32,
    nLayers = 3,
    norm = "batch",
    leakySlope = 0.2,
    momentum = 0.1,
    epsilon = 1e-5,
  } = options;
  const check = (label: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `Cannot create PatchGANDiscriminator: ${label} must be a positive integer (got ${v})`,
      );
    }
  };
  check("channels", channels);
  check("ndf", ndf);
  check("nLayers", nLayers);
  if (!NORM_KINDS.includes(norm)) {
    throw new RangeError(
      `Cannot create PatchGANDiscriminator: norm must be one of ${NORM_KINDS.join(", ")} (got ${
        JSON.stringify(norm)
      })`,
    );
  }
  if (!(leakySlope >= 0 && Number.isFinite(leakySlope))) {
    throw new RangeError(
      `Cannot create PatchGANDiscriminator: leakySlope must be >= 0 (got ${leakySlope})`,
    );
  }
  return { name, seed, channels, ndf, nLayers, norm, leakySlope, momentum, epsilon };
}

/**
 * The pix2pix "NLayer" PatchGAN discriminator (as in GRN's code): raw realness scores per
 * overlapping patch.
 *
 * conv4x4 stride 2 (`channels → ndf`) + LeakyReLU(0.2); `nLayers - 1` × [conv4x4 stride 2
 * doubling the width (capped at 8·ndf), norm, LeakyReLU]; conv4x4 stride 1 + norm + LeakyReLU;
 * conv4x4 stride 1 → 1 channel. Every convolution pads 1 and has a bias; no sigmoid (GRN uses
 * the least-squares loss). With the defaults (`ndf` 32, 3 layers, 1 channel) it has 694,113
 * trainable parameters (694,625 with 2 input channels, pix2pix's conditional setting).
 *
 * Input `[batch, height, width, channels]`, height and width at least `3·2^nLayers`; output
 * `[batch, h', w', 1]` with `h' = floor(height / 2^nLayers) - 2` (14x14 for 128x128 input with
 * the defaults).
 *
 * @example Score a batch
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, PatchGANDiscriminator } from "../mod.ts";
 *
 * await initEngine();
 * const d = new PatchGANDiscriminator();
 * const scores = tf.tidy(() => d.apply(tf.zeros([2, 128, 128, 1])));
 * assert.deepEqual(scores.shape, [2, 14, 14, 1]); // one score per 70 x 70 patch
 * d.dispose();
 * ```
 */
export class PatchGANDiscriminator extends ModuleBase implements Discriminator {
  /** The resolved configuration (for clones and checkpoints). */
  readonly config: PatchGANDiscriminatorConfig;
  readonly #convs: Conv2d[] = [];
  readonly #norms: Array<Norm2d | null> = [];

  /**
   * Builds the network and draws its initial weights from `seed`.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: PatchGANDiscriminatorOptions = {}) {
    const config = resolveOptions(options);
    super(config);
    this.config = config;
    const { ndf, nLayers } = config;
    const scope = this.params;
    const norm = { kind: config.norm, momentum: config.momentum, epsilon: config.epsilon };
    const width = (n: number) => ndf * Math.min(2 ** n, 8);
    const add = (n: number, inChannels: number, outChannels: number, stride: number) => {
      this.#convs.push(
        new Conv2d(scope.child(`conv${n}`), {
          inChannels,
          outChannels,
          kernelSize: 4,
          stride,
          padding: 1,
        }),
      );
    };
    add(0, config.channels, ndf, 2);
    this.#norms.push(null);
    for (let n = 1; n <= nLayers; n++) {
      add(n, width(n - 1), width(n), n < nLayers ? 2 : 1);
      this.#norms.push(new Norm2d(scope.child(`norm${n}`), width(n), norm));
    }
    add(nLayers + 1, width(nLayers), 1, 1);
    this.#norms.push(null);
  }

  /** Number of input channels. */
  get channels(): number {
    return this.config.channels;
  }

  /** Smallest height and width the network takes (`3·2^nLayers`). */
  get minimumSize(): number {
    return 3 * 2 ** this.config.nLayers;
  }

  /**
   * Spatial size of the score map for an input of `height` x `width`.
   * @throws {RangeError} When the size cannot be taken.
   */
  outputSize(height: number, width: number): [number, number] {
    this.checkInputSize(height, width);
    const f = 2 ** this.config.nLayers;
    return [Math.floor(height / f) - 2, Math.floor(width / f) - 2];
  }

  /**
   * Throws a `RangeError` naming the nearest valid size unless height and width are at least
   * {@linkcode PatchGANDiscriminator.minimumSize}.
   */
  checkInputSize(height: number, width: number): void {
    checkAtLeast(this.kind, height, width, this.minimumSize);
  }

  /**
   * Forward pass.
   * @param x Images `[batch, height, width, channels]`.
   * @returns Patch scores `[batch, h', w', 1]` (see {@linkcode PatchGANDiscriminator.outputSize}).
   * @throws {RangeError} When the size cannot be taken (names the nearest size).
   * @throws {TypeError} When `x` is not a float32 4-D tensor with `channels` channels.
   */
  apply(x: FeatureBatch, options: ForwardOptions = {}): FeatureBatch {
    this.assertUsable(`run ${this.kind}`);
    checkImageInput(this.kind, x, this.channels, (h, w) => this.checkInputSize(h, w));
    const training = options.training ?? false;
    const slope = this.config.leakySlope;
    const last = this.#convs.length - 1;
    return tf.tidy(() => {
      let y = x;
      this.#convs.forEach((conv, i) => {
        y = conv.apply(y);
        if (i === last) return;
        const norm = this.#norms[i];
        if (norm) y = norm.apply(y, training);
        y = leakyRelu(y, slope);
      });
      return y;
    });
  }

  /** A new discriminator with the same configuration and a copy of every variable. */
  clone(name?: string): PatchGANDiscriminator {
    this.assertUsable(`clone ${this.kind}`);
    const copy = new PatchGANDiscriminator({ ...this.config, name: name ?? `${this.name}_clone` });
    copy.copyStateFrom(this);
    return copy;
  }
}
