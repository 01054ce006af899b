import * as tf from "@tensorflow/tfjs";
import type { ImageBatch } from "../engine/tensor_types.ts";
import { checkAtLeast, checkImageInput, checkMultipleOf } from "./_input_size.ts";
import { Conv2d, ConvTranspose2d, Norm2d, NORM_KINDS, type NormKind } from "./_layers.ts";
import { ModuleBase, type ParamScope } from "./module_base.ts";
import type { Generator } from "./generator.ts";
import type { ForwardOptions } from "./module.ts";

/** Options of {@linkcode ResNetGenerator}. */
export interface ResNetGeneratorOptions {
  /** Module name; prefixes the tfjs variable names. @default {"resnet_generator"} */
  name?: string;
  /** Seed of the initial weights. @default {0} */
  seed?: number;
  /** Image channels in and out. @default {1} */
  channels?: number;
  /** Width of the first convolution. @default {32} */
  ngf?: number;
  /** Stride-2 down-samplings (and as many up-samplings). @default {2} */
  downsamplings?: number;
  /** Residual blocks at the bottleneck. @default {6} */
  blocks?: number;
  /** Normalisation after every convolution but the last. @default {"batch"} */
  norm?: NormKind;
  /**
   * Whether convolutions have a bias (PyTorch's default; pix2pix drops it in front of batch
   * norm, which saves a few parameters and changes nothing else).
   * @default {true}
   */
  convBias?: boolean;
  /** Batch-norm running-average momentum (PyTorch convention). @default {0.1} */
  momentum?: number;
  /** Normalisation epsilon. @default {1e-5} */
  epsilon?: number;
}

/** The resolved configuration of a {@linkcode ResNetGenerator}. */
export type ResNetGeneratorConfig = Readonly<Required<ResNetGeneratorOptions>>;

function resolveOptions(options: ResNetGeneratorOptions): ResNetGeneratorConfig {
  const {
    name = "resnet_generator",
    seed = 0,
    channels = 1,
    ngf = 32,
    downsamplings = 2,
    blocks = 6,
    norm = "batch",
    convBias = true,
    momentum = 0.1,
    epsilon = 1e-5,
  } = options;
  const check = (label: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(
        `Cannot create ResNetGenerator: ${label} must be an integer >= ${min} (got ${v})`,
      );
    }
  };
  check("channels", channels, 1);
  check("ngf", ngf, 1);
  check("downsamplings", downsamplings, 0);
  check("blocks", blocks, 0);
  if (!NORM_KINDS.includes(norm)) {
    throw new RangeError(
      `Cannot create ResNetGenerator: norm must be one of ${NORM_KINDS.join(", ")} (got ${
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
    blocks,
    norm,
    convBias,
    momentum,
    epsilon,
  };
}

/** Reflection padding of `p` rows/columns on every side of `[b, h, w, c]`. */
function reflectPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  return tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], "reflect");
}

/** A convolution followed by normalisation, as used throughout the generator. */
interface ConvNorm {
  conv: Conv2d | ConvTranspose2d;
  norm: Norm2d;
}

/**
 * The pix2pix / CycleGAN ResNet generator (`resnet_6blocks`), image in, image out.
 *
 * reflection-pad 3 + conv7x7 (`channels → ngf`) + norm + ReLU; `downsamplings` × [conv3x3
 * stride 2 doubling the width, norm, ReLU]; `blocks` residual blocks (reflection-pad 1, conv3x3,
 * norm, ReLU, reflection-pad 1, conv3x3, norm, plus the identity); `downsamplings` ×
 * [transposed conv3x3 stride 2 (padding 1, output padding 1) halving the width, norm, ReLU];
 * reflection-pad 3 + conv7x7 (`ngf → channels`) + `tanh`. No skip connections across the
 * bottleneck.
 *
 * This is the generator of the PyTorch speed comparison in the engine notes: with the defaults
 * (`ngf` 32, 6 blocks, batch norm, convolution biases, 1 channel) it has 1,962,497 trainable
 * parameters. GRN's own generator is {@linkcode ResUNetGenerator}.
 *
 * Input `[batch, height, width, channels]` in `[-1, 1]`, height and width multiples of
 * `2^downsamplings` and at least `2^(downsamplings + 1)`; output of the same shape in `[-1, 1]`.
 *
 * @example Translate a batch
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, ResNetGenerator } from "../mod.ts";
 *
 * await initEngine();
 * const g = new ResNetGenerator();
 * const out = tf.tidy(() => g.apply(tf.zeros([2, 64, 64, 1])));
 * assert.deepEqual(out.shape, [2, 64, 64, 1]); // an image like the input, in [-1, 1]
 * g.dispose();
 * ```
 */
export class ResNetGenerator extends ModuleBase implements Generator {
  /** The resolved configuration (for clones and checkpoints). */
  readonly config: ResNetGeneratorConfig;
  readonly #stem: ConvNorm;
  readonly #down: ConvNorm[] = [];
  readonly #blocks: Array<[ConvNorm, ConvNorm]> = [];
  readonly #up: ConvNorm[] = [];
  readonly #out: Conv2d;

  /**
   * Builds the network and draws its initial weights from `seed`.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: ResNetGeneratorOptions = {}) {
    const config = resolveOptions(options);
    super(config);
    this.config = config;
    const { ngf, downsamplings, convBias: bias } = config;
    const normOptions = { kind: config.norm, momentum: config.momentum, epsilon: config.epsilon };
    const scope = this.params;
    const convNorm = (
      s: ParamScope,
      inChannels: number,
      outChannels: number,
      kernelSize: number,
      stride: number,
      padding: "valid" | number,
      transposed = false,
    ): ConvNorm => {
      const o = { inChannels, outChannels, kernelSize, stride, padding, bias };
      return {
        conv: transposed
          ? new ConvTranspose2d(s.child("conv"), { ...o, outputPadding: 1 })
          : new Conv2d(s.child("conv"), o),
        norm: new Norm2d(s.child("norm"), outChannels, normOptions),
      };
    };
    this.#stem = convNorm(scope.child("stem"), config.channels, ngf, 7, 1, "valid");
    for (let i = 0; i < downsamplings; i++) {
      this.#down.push(convNorm(scope.child(`down${i}`), ngf * 2 ** i, ngf * 2 ** (i + 1), 3, 2, 1));
    }
    const deep = ngf * 2 ** downsamplings;
    for (let j = 0; j < config.blocks; j++) {
      const s = scope.child(`block${j}`);
      this.#blocks.push([
        convNorm(s.child("a"), deep, deep, 3, 1, "valid"),
        convNorm(s.child("b"), deep, deep, 3, 1, "valid"),
      ]);
    }
    for (let i = 0; i < downsamplings; i++) {
      const width = deep / 2 ** i;
      this.#up.push(convNorm(scope.child(`up${i}`), width, width / 2, 3, 2, 1, true));
    }
    this.#out = new Conv2d(scope.child("out"), {
      inChannels: ngf,
      outChannels: config.channels,
      kernelSize: 7,
      padding: "valid",
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
   * of {@linkcode ResNetGenerator.sizeMultiple} and at least twice that (reflection padding
   * needs two rows at the bottleneck).
   */
  checkInputSize(height: number, width: number): void {
    checkMultipleOf(this.kind, height, width, this.sizeMultiple);
    checkAtLeast(this.kind, height, width, Math.max(2 * this.sizeMultiple, 4));
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
    const run = (layer: ConvNorm, input: tf.Tensor4D) =>
      layer.norm.apply(layer.conv.apply(input), training);
    return tf.tidy(() => {
      let y = tf.relu(run(this.#stem, reflectPad(x, 3)));
      for (const layer of this.#down) y = tf.relu(run(layer, y));
      for (const [a, b] of this.#blocks) {
        const inner = tf.relu(run(a, reflectPad(y, 1)));
        y = tf.add(y, run(b, reflectPad(inner, 1)));
      }
      for (const layer of this.#up) y = tf.relu(run(layer, y));
      return tf.tanh(this.#out.apply(reflectPad(y, 3)));
    });
  }

  /** A new generator with the same configuration and a copy of every variable. */
  clone(name?: string): ResNetGenerator {
    this.assertUsable(`clone ${this.kind}`);
    const copy = new ResNetGenerator({ ...this.config, name: name ?? `${this.name}_clone` });
    copy.copyStateFrom(this);
    return copy;
  }
}
