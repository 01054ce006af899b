import * as tf from "@tensorflow/tfjs";
import type { ImageBatch } from "../engine/tensor_types.ts";
import { checkImageInput, checkMultipleOf } from "./_input_size.ts";
import { Conv2d, ConvTranspose2d, Norm2d, NORM_KINDS, type NormKind } from "./_layers.ts";
import { ModuleBase, type ParamScope } from "./module_base.ts";
import type { Generator } from "./generator.ts";
import type { ForwardOptions } from "./module.ts";

/** Options of {@linkcode ResUNetGenerator}. */
export interface ResUNetGeneratorOptions {
  /** Module name; prefixes the tfjs variable names. @default {"generator"} */
  name?: string;
  /** Seed of the initial weights. @default {0} */
  seed?: number;
  /** Image channels in and out. @default {1} */
  channels?: number;
  /** Base width: channels after the first convolution. @default {32} */
  ngf?: number;
  /**
   * Number of stride-2 down-samplings (the first convolution plus `downsamplings - 1` residual
   * encoder stages); inputs must be multiples of `2^downsamplings`.
   * @default {4}
   */
  downsamplings?: number;
  /** Residual blocks at the bottleneck. @default {3} */
  bottleneckBlocks?: number;
  /** Widest feature map (GRN caps at 8·ngf). @default {8 * ngf} */
  maxChannels?: number;
  /** Normalisation in residual blocks, encoder and decoder stages. @default {"batch"} */
  norm?: NormKind;
  /** Batch-norm running-average momentum (PyTorch convention). @default {0.1} */
  momentum?: number;
  /** Normalisation epsilon. @default {1e-5} */
  epsilon?: number;
}

/** The resolved configuration of a {@linkcode ResUNetGenerator}. */
export type ResUNetGeneratorConfig = Readonly<Required<ResUNetGeneratorOptions>>;

function resolveOptions(options: ResUNetGeneratorOptions): ResUNetGeneratorConfig {
  const {
    name = "generator",
    seed = 0,
    channels = 1,
    ngf = 32,
    downsamplings = 4,
    bottleneckBlocks = 3,
    norm = "batch",
    momentum = 0.1,
    epsilon = 1e-5,
  } = options;
  const maxChannels = options.maxChannels ?? 8 * ngf;
  const check = (label: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(
        `Cannot create ResUNetGenerator: ${label} must be an integer >= ${min} (got ${v})`,
      );
    }
  };
  check("channels", channels, 1);
  check("ngf", ngf, 1);
  check("downsamplings", downsamplings, 1);
  check("bottleneckBlocks", bottleneckBlocks, 0);
  check("maxChannels", maxChannels, ngf);
  if (!NORM_KINDS.includes(norm)) {
    throw new RangeError(
      `Cannot create ResUNetGenerator: norm must be one of ${NORM_KINDS.join(", ")} (got ${
        JSON.stringify(norm)
      })`,
    );
  }
  return {
    name,
    seed,
    channels,
    ngf,
    downsamplings,
    bottleneckBlocks,
    maxChannels,
    norm,
    momentum,
    epsilon,
  };
}

/** `x + norm(conv3x3(relu(norm(conv3x3(x)))))`, convolutions without bias. */
class ResidualBlock {
  readonly #conv1: Conv2d;
  readonly #norm1: Norm2d;
  readonly #conv2: Conv2d;
  readonly #norm2: Norm2d;

  constructor(scope: ParamScope, channels: number, config: ResUNetGeneratorConfig) {
    const conv = {
      inChannels: channels,
      outChannels: channels,
      kernelSize: 3,
      padding: 1,
      bias: config.norm === "none",
    };
    const norm = { kind: config.norm, momentum: config.momentum, epsilon: config.epsilon };
    this.#conv1 = new Conv2d(scope.child("conv1"), conv);
    this.#norm1 = new Norm2d(scope.child("norm1"), channels, norm);
    this.#conv2 = new Conv2d(scope.child("conv2"), conv);
    this.#norm2 = new Norm2d(scope.child("norm2"), channels, norm);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = tf.relu(this.#norm1.apply(this.#conv1.apply(x), training));
    return tf.add(x, this.#norm2.apply(this.#conv2.apply(y), training));
  }
}

interface EncoderStage {
  res: ResidualBlock;
  down: Conv2d;
  norm: Norm2d;
}

interface DecoderStage {
  up: ConvTranspose2d;
  norm: Norm2d;
}

/**
 * GRN's generator: a UNet-like residual encoder-decoder, image in, image out.
 *
 * - stem: conv4x4 stride 2 (`channels → ngf`) + ReLU;
 * - `downsamplings - 1` encoder stages: residual block, conv4x4 stride 2 doubling the width
 *   (capped at `maxChannels`), norm, ReLU; the input of each stage is kept as a skip;
 * - `bottleneckBlocks` residual blocks;
 * - one decoder stage per skip: transposed conv4x4 stride 2 to the skip's width, norm, ReLU,
 *   concat `[up, skip]`;
 * - a last transposed conv4x4 stride 2 to `channels`, then `tanh`.
 *
 * Residual blocks are conv3x3-norm-ReLU-conv3x3-norm plus the identity. With the defaults
 * (`ngf` 32, 4 down-samplings, 3 bottleneck blocks, 1 channel) it has 5,473,665 trainable
 * parameters.
 *
 * Input `[batch, height, width, channels]` in `[-1, 1]`, height and width multiples of
 * `2^downsamplings`; output of the same shape in `[-1, 1]`.
 *
 * @example Enhance a batch
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, ResUNetGenerator } from "../mod.ts";
 *
 * await initEngine();
 * const g = new ResUNetGenerator({ ngf: 32 });
 * const out = tf.tidy(() => g.apply(tf.zeros([2, 64, 64, 1])));
 * assert.deepEqual(out.shape, [2, 64, 64, 1]);
 * g.dispose();
 * ```
 */
export class ResUNetGenerator extends ModuleBase implements Generator {
  /** The resolved configuration (for clones and checkpoints). */
  readonly config: ResUNetGeneratorConfig;
  readonly #stem: Conv2d;
  readonly #encoder: EncoderStage[] = [];
  readonly #bottleneck: ResidualBlock[] = [];
  readonly #decoder: DecoderStage[] = [];
  readonly #final: ConvTranspose2d;

  /**
   * Builds the network and draws its initial weights from `seed`.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: ResUNetGeneratorOptions = {}) {
    const config = resolveOptions(options);
    super(config);
    this.config = config;
    const { ngf, downsamplings, maxChannels } = config;
    const width = (level: number) => Math.min(ngf * 2 ** level, maxChannels);
    const norm = { kind: config.norm, momentum: config.momentum, epsilon: config.epsilon };
    const scope = this.params;
    const down4 = { kernelSize: 4, stride: 2, padding: 1 };
    this.#stem = new Conv2d(scope.child("stem"), {
      ...down4,
      inChannels: config.channels,
      outChannels: ngf,
    });
    for (let i = 0; i < downsamplings - 1; i++) {
      const s = scope.child(`enc${i}`);
      this.#encoder.push({
        res: new ResidualBlock(s.child("res"), width(i), config),
        down: new Conv2d(s.child("down"), {
          ...down4,
          inChannels: width(i),
          outChannels: width(i + 1),
        }),
        norm: new Norm2d(s.child("norm"), width(i + 1), norm),
      });
    }
    const deepest = width(downsamplings - 1);
    for (let j = 0; j < config.bottleneckBlocks; j++) {
      this.#bottleneck.push(new ResidualBlock(scope.child(`bottleneck${j}`), deepest, config));
    }
    let inChannels = deepest;
    for (let i = 0; i < downsamplings - 1; i++) {
      const skipChannels = width(downsamplings - 2 - i);
      const s = scope.child(`dec${i}`);
      this.#decoder.push({
        up: new ConvTranspose2d(s.child("up"), {
          ...down4,
          padding: "same",
          inChannels,
          outChannels: skipChannels,
        }),
        norm: new Norm2d(s.child("norm"), skipChannels, norm),
      });
      inChannels = 2 * skipChannels;
    }
    this.#final = new ConvTranspose2d(scope.child("final"), {
      ...down4,
      padding: "same",
      inChannels,
      outChannels: config.channels,
    });
  }

  /** Number of image channels in and out. */
  get channels(): number {
    return this.config.channels;
  }

  /** Height and width must be multiples of this (`2^downsamplings`). */
  get sizeMultiple(): number {
    return 2 ** this.config.downsamplings;
  }

  /**
   * Throws a `RangeError` naming the nearest valid sizes unless height and width are multiples
   * of {@linkcode ResUNetGenerator.sizeMultiple}.
   */
  checkInputSize(height: number, width: number): void {
    checkMultipleOf(this.kind, height, width, this.sizeMultiple);
  }

  /**
   * Forward pass.
   * @param x Images `[batch, height, width, channels]` in `[-1, 1]`.
   * @returns Generated images of the same shape, in `[-1, 1]`.
   * @throws {RangeError} When the size cannot be taken (names the nearest sizes).
   * @throws {TypeError} When `x` is not a float32 4-D tensor with `channels` channels.
   */
  apply(x: ImageBatch, options: ForwardOptions = {}): ImageBatch {
    this.assertUsable(`run ${this.kind}`);
    checkImageInput(this.kind, x, this.channels, (h, w) => this.checkInputSize(h, w));
    const training = options.training ?? false;
    return tf.tidy(() => {
      let y = tf.relu(this.#stem.apply(x));
      const skips: tf.Tensor4D[] = [];
      for (const stage of this.#encoder) {
        skips.push(y);
        y = stage.res.apply(y, training);
        y = tf.relu(stage.norm.apply(stage.down.apply(y), training));
      }
      for (const block of this.#bottleneck) y = block.apply(y, training);
      this.#decoder.forEach((stage, i) => {
        const up = tf.relu(stage.norm.apply(stage.up.apply(y), training));
        y = tf.concat([up, skips[skips.length - 1 - i]!], 3);
      });
      return tf.tanh(this.#final.apply(y));
    });
  }

  /** A new generator with the same configuration and a copy of every variable. */
  clone(name?: string): ResUNetGenerator {
    this.assertUsable(`clone ${this.kind}`);
    const copy = new ResUNetGenerator({ ...this.config, name: name ?? `${this.name}_clone` });
    copy.copyStateFrom(this);
    return copy;
  }
}
