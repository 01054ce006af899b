/**
 * From a run's network sizes to the registry's `MethodOptions`.
 * @module
 */
import type { MethodOptions } from "../trainers/method.ts";
import type { RunNetworks } from "./run_config.ts";

/** The UNet's encoder dropout of the paper's 5 levels, extended with the last rate. */
const PAPER_DROPOUT = [0.05, 0.1, 0.2, 0.3, 0.5];

/**
 * The `MethodOptions` of a run: segmentor channels `width · 2^level` over `depth` levels with
 * the SSL4MIS encoder dropout, generator width and `min(4, depth - 1)` down-samplings, and
 * the discriminator widths; `extra` (e.g. `consistencyWeight`) is merged over them.
 */
export function runMethodOptions(
  networks: RunNetworks,
  seed: number,
  extra: MethodOptions = {},
): MethodOptions {
  const { width, depth } = networks;
  return {
    numClasses: networks.numClasses,
    seed,
    unet: {
      channels: Array.from({ length: depth }, (_, i) => width * 2 ** i),
      dropout: Array.from({ length: depth }, (_, i) => PAPER_DROPOUT[Math.min(i, 4)]!),
    },
    generator: {
      ngf: networks.generatorWidth,
      downsamplings: Math.min(4, depth - 1),
    },
    discriminator: { ndf: networks.discriminatorWidth },
    auxiliaryDiscriminator: { ndf: networks.auxiliaryDiscriminatorWidth, nLayers: 3, norm: "none" },
    ...extra,
  };
}
