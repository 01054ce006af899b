import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../engine/rng.ts";
import type { FeatureBatch, ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import { checkImageInput, checkMultipleOf } from "./_input_size.ts";
import { Conv2d, maxPool2x2, NORM_KINDS, type NormKind } from "./_layers.ts";
import { ModuleBase } from "./module_base.ts";
import { type BlockSettings, ConvBlock, UpBlock } from "./_unet_blocks.ts";
import type { ForwardOptions } from "./module.ts";
import type { Segmentor } from "./segmentor.ts";

/** Options of {@linkcode UNet}. */
export interface UNetOptions {
  /** Module name; prefixes the tfjs variable names. @default {"unet"} */
  name?: string;
  /** Seed of the initial weights and of the module's dropout generator. @default {0} */
  seed?: number;
  /** Input channels. @default {1} */
  inChannels?: number;
  /** Output classes, background included. @default {7} */
  numClasses?: number;
  /**
   * Feature channels per level, shallow to deep; the input is downsampled `length - 1` times.
   * @default {[16, 32, 64, 128, 256]}
   */
  channels?: readonly number[];
  /**
   * Encoder dropout rate per level (same length as `channels`); decoder blocks have none.
   * @default {[0.05, 0.1, 0.2, 0.3, 0.5]}
   */
  dropout?: readonly number[];
  /** Negative slope of the LeakyReLUs. @default {0.01} */
  leakySlope?: number;
  /** Normalisation after every 3x3 convolution. @default {"batch"} */
  norm?: NormKind;
  /**
   * Whether the 3x3 convolutions of the conv blocks have a bias (SSL4MIS: yes; a bias in front
   * of batch norm is redundant, `false` saves the parameters).
   * @default {true}
   */
  convBias?: boolean;
  /** Kernel size of the output head (SSL4MIS uses 3; 1 is the common alternative). @default {3} */
  headKernelSize?: number;
  /** Batch-norm running-average momentum (PyTorch convention). @default {0.1} */
  momentum?: number;
  /** Normalisation epsilon. @default {1e-5} */
  epsilon?: number;
}

/** The resolved configuration of a {@linkcode UNet} (every option filled in). */
export type UNetConfig = Readonly<Required<UNetOptions>>;

function resolveUNetOptions(kind: string, defaultName: string, options: UNetOptions): UNetConfig {
  const {
    name = defaultName,
    seed = 0,
    inChannels = 1,
    numClasses = 7,
    channels = [16, 32, 64, 128, 256],
    dropout = [0.05, 0.1, 0.2, 0.3, 0.5],
    leakySlope = 0.01,
    norm = "batch",
    convBias = true,
    headKernelSize = 3,
    momentum = 0.1,
    epsilon = 1e-5,
  } = options;
  const positiveInt = (label: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot create ${kind}: ${label} must be a positive integer (got ${v})`);
    }
  };
  positiveInt("inChannels", inChannels);
  positiveInt("numClasses", numClasses);
  positiveInt("headKernelSize", headKernelSize);
  if (headKernelSize % 2 === 0) {
    throw new RangeError(
      `Cannot create ${kind}: headKernelSize must be odd (got ${headKernelSize})`,
    );
  }
  if (!Array.isArray(channels) || channels.length < 2) {
    throw new RangeError(
      `Cannot create ${kind}: channels must list at least 2 levels (got [${channels}])`,
    );
  }
  channels.forEach((c, i) => positiveInt(`channels[${i}]`, c));
  if (!Array.isArray(dropout) || dropout.length !== channels.length) {
    throw new RangeError(
      `Cannot create ${kind}: dropout must have one rate per level (${channels.length}) (got [${dropout}])`,
    );
  }
  dropout.forEach((p, i) => {
    if (!(p >= 0 && p < 1)) {
      throw new RangeError(`Cannot create ${kind}: dropout[${i}] must be in [0, 1) (got ${p})`);
    }
  });
  if (!(leakySlope >= 0 && Number.isFinite(leakySlope))) {
    throw new RangeError(`Cannot create ${kind}: leakySlope must be >= 0 (got ${leakySlope})`);
  }
  if (!NORM_KINDS.includes(norm)) {
    throw new RangeError(
      `Cannot create ${kind}: norm must be one of ${NORM_KINDS.join(", ")} (got ${
        JSON.stringify(norm)
      })`,
    );
  }
  return {
    name,
    seed,
    inChannels,
    numClasses,
    channels: [...channels],
    dropout: [...dropout],
    leakySlope,
    norm,
    convBias,
    headKernelSize,
    momentum,
    epsilon,
  };
}

/**
 * The 2-D UNet of SSL4MIS (PyMIC), GRN's segmentor backbone.
 *
 * Encoder: `ConvBlock(in → c0, p0)`, then per level MaxPool(2) + `ConvBlock(c(i-1) → ci, pi)`,
 * where ConvBlock = conv3x3 → batch norm → LeakyReLU(0.01) → dropout(p) → conv3x3 → batch norm →
 * LeakyReLU. Decoder: per level ConvTranspose(k2, s2) to the skip's width, concat
 * `[skip, up]`, ConvBlock(p = 0). Head: conv3x3 → `numClasses` logits.
 *
 * With the defaults (channels `[16, 32, 64, 128, 256]`, 7 classes) it has 1,944,759 trainable
 * parameters; with `convBias: false, headKernelSize: 1` it has 1,942,391 (the configuration of
 * the PyTorch speed comparison).
 *
 * Input `[batch, height, width, inChannels]` with height and width multiples of
 * `2^(channels.length - 1)`; output logits `[batch, height, width, numClasses]`.
 *
 * @example Segment a batch
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, UNet } from "../mod.ts";
 *
 * await initEngine();
 * const net = new UNet({ numClasses: 7, seed: 1 });
 * const logits = tf.tidy(() => net.apply(tf.zeros([2, 64, 64, 1])));
 * assert.deepEqual(logits.shape, [2, 64, 64, 7]);
 * net.dispose();
 * ```
 */
export class UNet extends ModuleBase implements Segmentor {
  /** The resolved configuration (for clones and checkpoints). */
  readonly config: UNetConfig;
  readonly #encoder: ConvBlock[] = [];
  readonly #decoder: UpBlock[] = [];
  readonly #head: Conv2d;

  /**
   * Builds the network and draws its initial weights from `seed`.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: UNetOptions = {}) {
    const config = resolveUNetOptions(new.target.name, "unet", options);
    super(config);
    this.config = config;
    const settings: BlockSettings = {
      norm: config.norm,
      convBias: config.convBias,
      leakySlope: config.leakySlope,
      momentum: config.momentum,
      epsilon: config.epsilon,
    };
    const { channels, dropout } = config;
    const scope = this.params;
    for (let i = 0; i < channels.length; i++) {
      this.#encoder.push(
        new ConvBlock(
          scope.child(`enc${i}`),
          i === 0 ? config.inChannels : channels[i - 1]!,
          channels[i]!,
          dropout[i]!,
          settings,
        ),
      );
    }
    for (let i = channels.length - 1; i > 0; i--) {
      this.#decoder.push(
        new UpBlock(
          scope.child(`up${channels.length - i}`),
          channels[i]!,
          channels[i - 1]!,
          channels[i - 1]!,
          settings,
        ),
      );
    }
    this.#head = new Conv2d(scope.child("head"), {
      inChannels: channels[0]!,
      outChannels: config.numClasses,
      kernelSize: config.headKernelSize,
      padding: (config.headKernelSize - 1) / 2,
    });
  }

  /** Number of output classes (background included). */
  get numClasses(): number {
    return this.config.numClasses;
  }

  /** Number of input channels. */
  get inChannels(): number {
    return this.config.inChannels;
  }

  /** Height and width must be multiples of this (`2^(levels - 1)`). */
  get sizeMultiple(): number {
    return 2 ** (this.config.channels.length - 1);
  }

  /**
   * Throws a `RangeError` naming the nearest valid sizes unless height and width are multiples
   * of {@linkcode UNet.sizeMultiple}.
   */
  checkInputSize(height: number, width: number): void {
    checkMultipleOf(this.kind, height, width, this.sizeMultiple);
  }

  /**
   * Forward pass.
   * @param x Images `[batch, height, width, inChannels]`.
   * @returns Logits `[batch, height, width, numClasses]`.
   * @throws {RangeError} When the size cannot be taken (names the nearest sizes).
   * @throws {TypeError} When `x` is not a float32 4-D tensor with `inChannels` channels.
   */
  apply(x: ImageBatch, options: ForwardOptions = {}): LogitBatch {
    this.assertUsable(`run ${this.kind}`);
    this.checkInput(x);
    const training = options.training ?? false;
    const rng = this.forwardRng(options);
    return tf.tidy(() => this.head(this.decoderFeatures(x, training, rng).at(-1)!));
  }

  /** A new UNet with the same configuration and a copy of every variable. */
  clone(name?: string): UNet {
    this.assertUsable(`clone ${this.kind}`);
    const copy = new UNet({ ...this.config, name: name ?? `${this.name}_clone` });
    copy.copyStateFrom(this);
    return copy;
  }

  /** Checks rank, dtype, channels and size of an input batch. */
  protected checkInput(x: ImageBatch): void {
    checkImageInput(this.kind, x, this.inChannels, (h, w) => this.checkInputSize(h, w));
  }

  /**
   * Runs encoder and decoder and returns the output of every up block, deepest first
   * (`[b, h/2^(L-2), w/2^(L-2), c(L-2)]` … `[b, h, w, c0]`). Call inside `tf.tidy`.
   */
  protected decoderFeatures(x: ImageBatch, training: boolean, rng: Rng): FeatureBatch[] {
    const skips: tf.Tensor4D[] = [];
    let y = x;
    this.#encoder.forEach((block, i) => {
      if (i > 0) y = maxPool2x2(y);
      y = block.apply(y, training, rng);
      skips.push(y);
    });
    const outputs: tf.Tensor4D[] = [];
    this.#decoder.forEach((block, i) => {
      y = block.apply(y, skips[skips.length - 2 - i]!, training, rng);
      outputs.push(y);
    });
    return outputs;
  }

  /** The output head on full-resolution features `[b, h, w, c0]`. Call inside `tf.tidy`. */
  protected head(features: FeatureBatch): LogitBatch {
    return this.#head.apply(features);
  }
}
