import * as tf from "@tensorflow/tfjs";
import type { FeatureBatch, ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import { Conv2d } from "./_layers.ts";
import type { ForwardOptions } from "./module.ts";
import type { Segmentor } from "./segmentor.ts";
import { UNet, type UNetConfig, type UNetOptions } from "./unet.ts";

/** Output of {@linkcode SignedDistanceSegmentor.applyWithSdm}. */
export interface SegmentationWithSdm {
  /** Segmentation logits `[batch, height, width, numClasses]`. */
  logits: LogitBatch;
  /** Signed-distance maps `[batch, height, width, numClasses - 1]` in `[-1, 1]` (tanh). */
  sdm: FeatureBatch;
}

/**
 * A segmentor with a second, signed-distance head (SASSNet-style): one signed-distance map
 * per foreground class, negative inside the class, positive outside, in `[-1, 1]`.
 */
export interface SignedDistanceSegmentor extends Segmentor {
  /** Channels of the signed-distance output: `numClasses - 1` (foreground classes). */
  readonly sdmChannels: number;
  /**
   * Forward pass through both heads. Call inside `tf.tidy`.
   * @param x Images `[batch, height, width, inChannels]`.
   * @returns Logits `[b, h, w, numClasses]` and signed-distance maps `[b, h, w, sdmChannels]`.
   */
  applyWithSdm(x: ImageBatch, options?: ForwardOptions): SegmentationWithSdm;
}

/** Whether a segmentor has a signed-distance head. */
export function hasSignedDistanceHead(s: Segmentor): s is SignedDistanceSegmentor {
  return typeof (s as Partial<SignedDistanceSegmentor>).applyWithSdm === "function";
}

/**
 * The {@linkcode UNet} with a second head for SASSNet (Li et al., "Shape-aware semi-supervised
 * 3D semantic segmentation for medical images", MICCAI 2020), adapted to 2-D multi-class
 * segmentation: a 1x1 convolution on the full-resolution decoder features (as SASSNet's
 * `out_conv`) to `numClasses - 1` channels, then `tanh`. Foreground class `c` (1-based) has
 * its map in channel `c - 1`.
 *
 * SASSNet's VNet has one binary map; here each foreground class gets one (a design choice of
 * the 2-D adaptation). SASSNet's extra Dropout3d(0.5) on the bottleneck and the last decoder
 * feature is not added: the backbone is the same UNet as every other method's.
 *
 * `apply` returns the segmentation logits only, so the network works wherever a `Segmentor`
 * does; `applyWithSdm` returns both outputs.
 *
 * @example Both outputs
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine } from "../engine/mod.ts";
 * import { SdmUNet } from "./mod.ts";
 *
 * await initEngine();
 * const net = new SdmUNet({ numClasses: 4, channels: [8, 16], dropout: [0, 0.1] }); // one rate per level
 * const { logits, sdm } = net.applyWithSdm(tf.zeros([1, 32, 32, 1]));
 * assert.deepEqual([logits.shape, sdm.shape], [[1, 32, 32, 4], [1, 32, 32, 3]]); // no background SDM
 * net.dispose();
 * ```
 */
export class SdmUNet extends UNet implements SignedDistanceSegmentor {
  readonly #sdmHead: Conv2d;

  /**
   * Builds the network (the UNet's weights are drawn first, so the same seed gives the same
   * UNet weights as a plain `UNet`).
   * @throws {RangeError} When an option is out of range or there are fewer than 2 classes.
   */
  constructor(options: UNetOptions = {}) {
    if ((options.numClasses ?? 7) < 2) {
      throw new RangeError(
        `Cannot create SdmUNet: numClasses must be at least 2 for a foreground signed-distance map (got ${options.numClasses})`,
      );
    }
    super({ ...options, name: options.name ?? "sdm_unet" });
    this.#sdmHead = new Conv2d(this.params.child("sdm_head"), {
      inChannels: this.config.channels[0]!,
      outChannels: this.config.numClasses - 1,
      kernelSize: 1,
      padding: 0,
    });
  }

  /** Channels of the signed-distance output: `numClasses - 1`. */
  get sdmChannels(): number {
    return this.config.numClasses - 1;
  }

  /**
   * Forward pass through both heads.
   * @param x Images `[batch, height, width, inChannels]`.
   * @returns Logits `[b, h, w, numClasses]` and `tanh` maps `[b, h, w, numClasses - 1]`.
   * @throws {RangeError} When the size cannot be taken (names the nearest sizes).
   */
  applyWithSdm(x: ImageBatch, options: ForwardOptions = {}): SegmentationWithSdm {
    this.assertUsable(`run ${this.kind}`);
    this.checkInput(x);
    const training = options.training ?? false;
    const rng = this.forwardRng(options);
    const [logits, sdm] = tf.tidy(() => {
      const features = this.decoderFeatures(x, training, rng).at(-1)!;
      return [this.head(features), tf.tanh(this.#sdmHead.apply(features))];
    });
    return { logits: logits!, sdm: sdm! };
  }

  /** A new SdmUNet with the same configuration and a copy of every variable. */
  override clone(name?: string): SdmUNet {
    this.assertUsable(`clone ${this.kind}`);
    const copy = new SdmUNet({
      ...(this.config as UNetConfig),
      name: name ?? `${this.name}_clone`,
    });
    copy.copyStateFrom(this);
    return copy;
  }
}
