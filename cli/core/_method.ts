/**
 * The bridge between a run and a training method: builds the trainer a run's config names and
 * says what the method needs (unlabeled data) and offers (a generator for SGE).
 *
 * Until the method registry lands this adapter knows three methods, each a `GRN`
 * configuration: `grn-sel` (Algorithm 1), `grn-ssl` (Algorithm 2, ICT consistency) and
 * `supervised` (the segmentor alone on labeled data).
 *
 * @module
 */
import type { BatchAugment } from "../../data/batches.ts";
import { PatchGANDiscriminator } from "../../networks/patchgan_discriminator.ts";
import { ResUNetGenerator } from "../../networks/resunet_generator.ts";
import { UNet } from "../../networks/unet.ts";
import type { FitData, FitOptions, FitResult } from "../../trainers/fit.ts";
import { GRN } from "../../trainers/grn.ts";
import type { RunNetworks } from "./run_config.ts";

/** A method ready to train or to restore into. */
export interface RunMethod {
  /** Method name. */
  readonly name: string;
  /** The trainer (its segmentor is the model; its generator, if any, serves SGE). */
  readonly trainer: GRN;
  /** Whether training draws an unlabeled stream. */
  readonly usesUnlabeled: boolean;
  /** Whether the model has a generator, so SGE (`S(G(x))`) is available. */
  readonly hasGenerator: boolean;
  /** Augmentation of the labeled stream, if the method uses one. */
  readonly augment?: BatchAugment;
  /** Trains (all stages of a staged method). */
  fit(data: FitData, options: FitOptions): Promise<FitResult>;
  /** Frees the networks and optimizers. */
  dispose(): void;
}

/** What a method is built from. */
export interface RunMethodOptions {
  /** Network sizes. */
  networks: RunNetworks;
  /** Seed of the weights and the trainer's generator. */
  seed: number;
}

const METHODS = ["grn-sel", "grn-ssl", "supervised"] as const;

/** Names of the methods `train` accepts. */
export function runMethodNames(): string[] {
  return [...METHODS];
}

function channels(width: number, depth: number): number[] {
  return Array.from({ length: depth }, (_, i) => width * 2 ** i);
}

function dropout(depth: number): number[] {
  const paper = [0.05, 0.1, 0.2, 0.3, 0.5];
  return Array.from({ length: depth }, (_, i) => paper[Math.min(i, paper.length - 1)]!);
}

/**
 * Builds the named method.
 *
 * @throws {RangeError} When the name is unknown (the message lists the valid names).
 */
export function createRunMethod(name: string, options: RunMethodOptions): RunMethod {
  const { networks, seed } = options;
  if (!(METHODS as readonly string[]).includes(name)) {
    throw new RangeError(
      `Cannot create method: unknown method ${JSON.stringify(name)} (got ${
        JSON.stringify(name)
      }; valid: ${METHODS.join(", ")})`,
    );
  }
  const segmentor = new UNet({
    channels: channels(networks.width, networks.depth),
    dropout: dropout(networks.depth),
    numClasses: networks.numClasses,
    seed,
  });
  const withGenerator = name !== "supervised";
  const generator = withGenerator
    ? new ResUNetGenerator({
      ngf: networks.generatorWidth,
      downsamplings: Math.min(4, networks.depth - 1),
      seed: seed + 1,
    })
    : null;
  const discriminator = withGenerator
    ? new PatchGANDiscriminator({ ndf: networks.discriminatorWidth, seed: seed + 2 })
    : null;
  const trainer = new GRN({
    segmentor,
    generator,
    discriminator,
    mode: name === "grn-ssl" ? "ssl" : "sel",
    seed,
  });
  return {
    name,
    trainer,
    usesUnlabeled: name === "grn-ssl",
    hasGenerator: withGenerator,
    fit: (data, fitOptions) => trainer.fit(data, fitOptions),
    dispose: () => trainer.dispose(),
  };
}
