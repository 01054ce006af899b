/**
 * The discriminator a consistency plug-in owns (DAN, SASSNet): a PatchGAN on
 * `[map, image]` with its own Adam, trained with labeled = real (1), unlabeled = fake (0).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Adam, type AdamOptions } from "../engine/adam.ts";
import {
  PatchGANDiscriminator,
  type PatchGANDiscriminatorOptions,
} from "../networks/patchgan_discriminator.ts";

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
}

/** Mean binary cross-entropy of patch logits against one target (1 = labeled, 0 = unlabeled). */
export function patchCrossEntropy(scores: tf.Tensor, target: 0 | 1): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(target === 1 ? tf.neg(scores) : scores)) as tf.Scalar);
}

/** A PatchGAN and its Adam, owned by a plug-in. */
export class PluginDiscriminator {
  readonly network: PatchGANDiscriminator;
  readonly adam: Adam;
  #disposed = false;

  constructor(channels: number, options: PluginDiscriminatorOptions, name: string) {
    this.network = new PatchGANDiscriminator({
      ndf: 64,
      nLayers: 3,
      norm: "none",
      name,
      ...options.discriminator,
      channels,
    });
    const byVar = new Map(
      this.network.variables.map((v, i) => [v, this.network.variableNames[i]!]),
    );
    this.adam = new Adam(
      this.network.trainableVariables,
      this.network.trainableVariables.map((v) => byVar.get(v)!),
      { learningRate: 1e-4, beta1: 0.9, beta2: 0.99, ...options.adam },
    );
  }

  /** Patch logits `[b, h', w', 1]` of an input `[b, h, w, channels]` (call inside tidy). */
  scores(input: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.network.apply(input, { training });
  }

  /**
   * One Adam step on `L_D = mean over every patch of BCE(D(labeled), 1) and BCE(D(unlabeled), 0)`.
   * The Adam step counter is set to `step` first, so that it follows the trainer's iteration
   * (one discriminator update per iteration) and resumes exactly from a checkpoint.
   *
   * @returns `L_D` before the update.
   */
  step(labeled: tf.Tensor4D, unlabeled: tf.Tensor4D, step: number): number {
    const vars = this.network.trainableVariables as tf.Variable[];
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
    const loss = value.dataSync()[0]!;
    value.dispose();
    this.adam.setStep(step);
    this.adam.apply(vars.map((v) => grads[v.name] ?? null));
    for (const v of vars) grads[v.name]?.dispose();
    return loss;
  }

  /** Network weights then Adam moments. */
  get variables(): tf.Variable[] {
    return [...this.network.variables, ...this.adam.stateVariables];
  }

  /** `D/<name>` and `D.adam/<name>`. */
  get variableNames(): string[] {
    return [
      ...this.network.variableNames.map((n) => `D/${n}`),
      ...this.adam.stateNames.map((n) => `D.adam/${n}`),
    ];
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.adam.dispose();
    this.network.dispose();
  }
}
