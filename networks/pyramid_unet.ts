import * as tf from "@tensorflow/tfjs";
import type { ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import { featureDropout, featureNoise } from "./_feature_perturbations.ts";
import { Conv2d, dropout, upsample } from "./_layers.ts";
import type { ForwardOptions } from "./module.ts";
import type { MultiScaleSegmentor } from "./segmentor.ts";
import { UNet, type UNetConfig, type UNetOptions } from "./unet.ts";

/** Options of {@linkcode PyramidUNet}: the {@linkcode UNetOptions} plus the URPC perturbations. */
export interface PyramidUNetOptions extends UNetOptions {
  /** Module name. @default {"pyramid_unet"} */
  name?: string;
  /** Dropout rate on the 1/8-scale features before their head (training only). @default {0.5} */
  auxDropout?: number;
  /**
   * Range of the FeatureDropout factor at 1/4 scale: locations whose channel-mean activation
   * reaches `factor · max` are zeroed, with one `factor ~ U(low, high)` per pass (training only).
   * @default {[0.7, 0.9]}
   */
  featureDropoutRange?: readonly [number, number];
  /**
   * Amplitude of the multiplicative FeatureNoise at 1/2 scale: `x + x·n`,
   * `n ~ U(-a, a)` of shape `[height, width, channels]` shared by the batch (training only).
   * @default {0.3}
   */
  featureNoise?: number;
}

/** Resolved URPC perturbation settings of a {@linkcode PyramidUNet}. */
export interface PyramidConfig {
  /** Dropout rate at 1/8 scale. */
  readonly auxDropout: number;
  /** FeatureDropout factor range at 1/4 scale. */
  readonly featureDropoutRange: readonly [number, number];
  /** FeatureNoise amplitude at 1/2 scale. */
  readonly featureNoise: number;
}

function resolvePyramidOptions(options: PyramidUNetOptions): PyramidConfig {
  const { auxDropout = 0.5, featureDropoutRange = [0.7, 0.9], featureNoise = 0.3 } = options;
  if (!(auxDropout >= 0 && auxDropout < 1)) {
    throw new RangeError(
      `Cannot create PyramidUNet: auxDropout must be in [0, 1) (got ${auxDropout})`,
    );
  }
  const [low, high] = featureDropoutRange;
  if (!(low >= 0 && low <= high && high <= 1)) {
    throw new RangeError(
      `Cannot create PyramidUNet: featureDropoutRange must satisfy 0 <= low <= high <= 1 (got [${featureDropoutRange}])`,
    );
  }
  if (!(featureNoise >= 0 && Number.isFinite(featureNoise))) {
    throw new RangeError(
      `Cannot create PyramidUNet: featureNoise must be >= 0 (got ${featureNoise})`,
    );
  }
  return { auxDropout, featureDropoutRange: [low, high], featureNoise };
}

/**
 * URPC's pyramid UNet (SSL4MIS `UNet_URPC`): the {@linkcode UNet} plus 3x3 auxiliary heads on
 * the decoder features at 1/8, 1/4 and 1/2 resolution, each upsampled (nearest) to the input
 * size. In training mode the auxiliary heads see perturbed features: dropout(0.5) at 1/8,
 * FeatureDropout at 1/4, FeatureNoise at 1/2; in inference mode they see clean features.
 *
 * Needs at least 5 levels (`channels.length >= 5`). `apply` returns the main output only;
 * `applyPyramid` returns `[main, 1/2, 1/4, 1/8]`, each `[batch, height, width, numClasses]`.
 *
 * @example Pyramid outputs
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, PyramidUNet } from "../mod.ts";
 *
 * await initEngine();
 * const net = new PyramidUNet({ numClasses: 4 });
 * const outs = tf.tidy(() => net.applyPyramid(tf.zeros([1, 64, 64, 1]), { training: true }));
 * assert.deepEqual(outs.map((o) => o.shape), Array(4).fill([1, 64, 64, 4])); // 4 x [1, 64, 64, 4]
 * net.dispose();
 * ```
 */
export class PyramidUNet extends UNet implements MultiScaleSegmentor {
  /** The URPC perturbation settings. */
  readonly pyramidConfig: PyramidConfig;
  readonly #aux2: Conv2d;
  readonly #aux4: Conv2d;
  readonly #aux8: Conv2d;

  /**
   * Builds the network and draws its initial weights from `seed`.
   * @throws {RangeError} When an option is out of range or there are fewer than 5 levels.
   */
  constructor(options: PyramidUNetOptions = {}) {
    const pyramidConfig = resolvePyramidOptions(options);
    const levels = (options.channels ?? [0, 0, 0, 0, 0]).length;
    if (levels < 5) {
      throw new RangeError(
        `Cannot create PyramidUNet: channels must list at least 5 levels for heads at 1/2, 1/4 and 1/8 (got [${options.channels}])`,
      );
    }
    super({ ...options, name: options.name ?? "pyramid_unet" });
    this.pyramidConfig = pyramidConfig;
    const { channels, numClasses } = this.config;
    const head = (name: string, inChannels: number) =>
      new Conv2d(this.params.child(name), {
        inChannels,
        outChannels: numClasses,
        kernelSize: 3,
        padding: 1,
      });
    // The decoder output at scale 1/2^s has channels[s] channels.
    this.#aux8 = head("aux8", channels[3]!);
    this.#aux4 = head("aux4", channels[2]!);
    this.#aux2 = head("aux2", channels[1]!);
  }

  /** Number of outputs of {@linkcode PyramidUNet.applyPyramid}: main + 3 auxiliary. */
  get numScales(): number {
    return 4;
  }

  /**
   * Forward pass through every head.
   * @param x Images `[batch, height, width, inChannels]`.
   * @returns `[main, 1/2, 1/4, 1/8]` logits, each `[batch, height, width, numClasses]`.
   * @throws {RangeError} When the size cannot be taken (names the nearest sizes).
   */
  applyPyramid(x: ImageBatch, options: ForwardOptions = {}): LogitBatch[] {
    this.assertUsable(`run ${this.kind}`);
    this.checkInput(x);
    const training = options.training ?? false;
    const rng = this.forwardRng(options);
    const { auxDropout, featureDropoutRange, featureNoise: noise } = this.pyramidConfig;
    return tf.tidy(() => {
      const features = this.decoderFeatures(x, training, rng);
      const n = features.length;
      const main = this.head(features[n - 1]!);
      let f2 = features[n - 2]!;
      let f4 = features[n - 3]!;
      let f8 = features[n - 4]!;
      if (training) {
        f8 = dropout(f8, auxDropout, true, rng);
        f4 = featureDropout(f4, rng.uniform(featureDropoutRange[0], featureDropoutRange[1]));
        f2 = featureNoise(f2, noise, rng);
      }
      const size: [number, number] = [x.shape[1], x.shape[2]];
      return [
        main,
        upsample(this.#aux2.apply(f2), size, "nearest"),
        upsample(this.#aux4.apply(f4), size, "nearest"),
        upsample(this.#aux8.apply(f8), size, "nearest"),
      ];
    });
  }

  /** A new PyramidUNet with the same configuration and a copy of every variable. */
  override clone(name?: string): PyramidUNet {
    this.assertUsable(`clone ${this.kind}`);
    const copy = new PyramidUNet({
      ...(this.config as UNetConfig),
      ...this.pyramidConfig,
      name: name ?? `${this.name}_clone`,
    });
    copy.copyStateFrom(this);
    return copy;
  }
}
