/**
 * The discriminator a consistency plug-in owns (DAN, SASSNet), as a plug-in part: a PatchGAN
 * on `[map, image]` with its own Adam, trained once per iteration with labeled = real (1),
 * unlabeled = fake (0).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Adam } from "../engine/adam.ts";
import { PatchGANDiscriminator } from "../networks/patchgan_discriminator.ts";
import type { AuxiliaryContext, ConsistencyHost, PluginPart } from "./consistency_loss.ts";
import type { PluginDiscriminatorOptions } from "./plugin_discriminator_options.ts";

export type { PluginDiscriminatorOptions };

/** What a plug-in tells its {@linkcode PluginDiscriminator} part. */
export interface PluginDiscriminatorConfig {
  /** The name of the loss that owns the part (error messages, the network's name). */
  owner: string;
  /** The key of `L_D` in the iteration's logged losses (e.g. `"lossDan"`). */
  lossKey: string;
  /**
   * The input channels of `D` for the trainer's networks; throws a `RangeError` when they
   * cannot serve the plug-in.
   */
  channels: (host: ConsistencyHost) => number;
  /**
   * `D`'s inputs of one auxiliary step, `[labeled, unlabeled]`, each `[batch, h, w, channels]`
   * (called inside `tf.tidy`).
   */
  inputs: (ctx: AuxiliaryContext) => [tf.Tensor4D, tf.Tensor4D];
  /** Settings of the network and its Adam. */
  options: PluginDiscriminatorOptions;
}

/** Mean binary cross-entropy of patch logits against one target (1 = labeled, 0 = unlabeled). */
export function patchCrossEntropy(scores: tf.Tensor, target: 0 | 1): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(target === 1 ? tf.neg(scores) : scores)) as tf.Scalar);
}

/**
 * A PatchGAN and its Adam, owned by a plug-in, as a plug-in part: `attach` builds them for the
 * trainer's networks, `auxiliaryStep` takes one Adam step of `D` per iteration (logged under
 * the config's `lossKey`), and their variables are saved as `D/...` and `D.adam/...`.
 */
export class PluginDiscriminator implements PluginPart {
  readonly #config: PluginDiscriminatorConfig;
  #state: { network: PatchGANDiscriminator; adam: Adam } | null = null;
  #disposed = false;

  /** Creates the part; `D` is built on {@linkcode PluginDiscriminator.attach}. */
  constructor(config: PluginDiscriminatorConfig) {
    this.#config = config;
  }

  /** The network `D`, once attached; else `null`. */
  get network(): PatchGANDiscriminator | null {
    return this.#state?.network ?? null;
  }

  /**
   * Builds `D` and its Adam for the trainer's networks.
   * @throws {RangeError} When already attached, or when `channels` refuses the host.
   */
  attach(host: ConsistencyHost): void {
    const { owner, options } = this.#config;
    if (this.#state) {
      throw new RangeError(
        `Cannot attach the ${owner} loss: it already belongs to a trainer (got a second attach)`,
      );
    }
    const network = new PatchGANDiscriminator({
      ndf: 64,
      nLayers: 3,
      norm: "none",
      name: `${owner}_discriminator`,
      seed: options.seed ?? 0,
      ...options.discriminator,
      channels: this.#config.channels(host),
    });
    const byVar = new Map(network.variables.map((v, i) => [v, network.variableNames[i]!]));
    const adam = new Adam(
      network.trainableVariables,
      network.trainableVariables.map((v) => byVar.get(v)!),
      { learningRate: 1e-4, beta1: 0.9, beta2: 0.99, ...options.adam },
    );
    this.#state = { network, adam };
  }

  /**
   * Patch logits `[b, h', w', 1]` of an input `[b, h, w, channels]` (call inside tidy).
   * @throws {Error} Before {@linkcode PluginDiscriminator.attach}.
   */
  scores(input: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.#require().network.apply(input, { training });
  }

  /**
   * One update of `D` on the config's inputs; returns `{ [lossKey]: L_D }`, `L_D` as a scalar
   * tensor the trainer reads and disposes (no read-back here).
   */
  auxiliaryStep(ctx: AuxiliaryContext): Record<string, tf.Scalar> {
    this.#require();
    const [real, fake] = tf.tidy(() => this.#config.inputs(ctx));
    try {
      return { [this.#config.lossKey]: this.#update(real, fake, ctx.step) };
    } finally {
      tf.dispose([real, fake]);
    }
  }

  /**
   * One Adam step on `L_D = mean over every patch of BCE(D(labeled), 1) and BCE(D(unlabeled), 0)`.
   * The Adam step counter is set to `step` first, so that it follows the trainer's iteration
   * (one discriminator update per iteration) and resumes exactly from a checkpoint.
   *
   * @param labeled `D`'s input of the labeled batch `[batch, h, w, channels]`.
   * @param unlabeled `D`'s input of the unlabeled batch.
   * @param step The trainer's iteration.
   * @returns `L_D` before the update.
   * @throws {Error} Before {@linkcode PluginDiscriminator.attach}.
   */
  step(labeled: tf.Tensor4D, unlabeled: tf.Tensor4D, step: number): number {
    const loss = this.#update(labeled, unlabeled, step);
    try {
      return loss.dataSync()[0]!;
    } finally {
      loss.dispose();
    }
  }

  /** {@linkcode PluginDiscriminator.step} returning `L_D` as a scalar tensor (the caller's). */
  #update(labeled: tf.Tensor4D, unlabeled: tf.Tensor4D, step: number): tf.Scalar {
    const { network, adam } = this.#require();
    const vars = network.trainableVariables as tf.Variable[];
    const { value, grads } = tf.variableGrads(() => {
      const real = this.scores(labeled, true);
      const fake = this.scores(unlabeled, true);
      const nReal = real.size, nFake = fake.size;
      return tf.div(
        tf.add(
          tf.mul(patchCrossEntropy(real, 1), nReal),
          tf.mul(patchCrossEntropy(fake, 0), nFake),
        ),
        nReal + nFake,
      ) as tf.Scalar;
    }, vars);
    adam.setStep(step);
    adam.apply(vars.map((v) => grads[v.name] ?? null));
    for (const v of vars) grads[v.name]?.dispose();
    return value;
  }

  /** Network weights then Adam moments; empty before attach. */
  get variables(): tf.Variable[] {
    const s = this.#state;
    return s ? [...s.network.variables, ...s.adam.stateVariables] : [];
  }

  /** `D/<name>` and `D.adam/<name>`. */
  get variableNames(): string[] {
    const s = this.#state;
    return s
      ? [
        ...s.network.variableNames.map((n) => `D/${n}`),
        ...s.adam.stateNames.map((n) => `D.adam/${n}`),
      ]
      : [];
  }

  /** Frees `D` and its Adam. Safe to call more than once. */
  dispose(): void {
    if (this.#disposed || !this.#state) return;
    this.#disposed = true;
    this.#state.adam.dispose();
    this.#state.network.dispose();
  }

  #require(): { network: PatchGANDiscriminator; adam: Adam } {
    if (this.#disposed) {
      throw new Error(`Cannot use the ${this.#config.owner} loss: its discriminator was disposed`);
    }
    if (!this.#state) {
      throw new Error(
        `Cannot compute the ${this.#config.owner} loss: it has no discriminator yet (attach it to a trainer first)`,
      );
    }
    return this.#state;
  }
}
