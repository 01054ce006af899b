/**
 * The settings of the discriminator a consistency plug-in owns (DAN, SASSNet).
 * @module
 */
import type { AdamOptions } from "../engine/adam.ts";
import type { PatchGANDiscriminatorOptions } from "../networks/patchgan_discriminator.ts";

/** Settings of a plug-in's discriminator. */
export interface PluginDiscriminatorOptions {
  /**
   * The PatchGAN (its input channels are set by the plug-in).
   * @default {{ ndf: 64, nLayers: 3, norm: "none" }} (DAN's width and, like DAN's
   *   FCDiscriminator, no normalisation)
   */
  discriminator?: Omit<PatchGANDiscriminatorOptions, "channels">;
  /** Its Adam. @default {{ learningRate: 1e-4, beta1: 0.9, beta2: 0.99 }} (DAN, SASSNet) */
  adam?: AdamOptions;
  /** Seed of the discriminator's initial weights (unless `discriminator.seed` is set). @default {0} */
  seed?: number;
}
