/**
 * Batch-norm folding for inference: an inference-only copy of a network whose convolutions
 * absorb the batch norms that follow them.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AnyVariable } from "../engine/tensor_types.ts";
import type { ModuleBase } from "./module_base.ts";
import { ResUNetGenerator } from "./resunet_generator.ts";
import { UNet } from "./unet.ts";

/** The networks {@linkcode foldBatchNorm} takes: a `UNet` (or subclass) or a `ResUNetGenerator`. */
export type FoldableNetwork = UNet | ResUNetGenerator;

/**
 * The normalisation (a scope prefix) that follows the convolution named `conv` (a scope prefix
 * such as `enc0.conv1` or `dec1.up`), and whether that convolution is transposed, or `null`.
 * In a `UNet` and in the residual blocks of a `ResUNetGenerator`, `convN` is followed by
 * `normN`; in a `ResUNetGenerator` stage, `down` (a convolution) and `up` (a transposed one)
 * are followed by the stage's `norm`.
 */
function followingNorm(conv: string): { norm: string; transposed: boolean } | null {
  const dot = conv.lastIndexOf(".");
  const scope = dot < 0 ? "" : conv.slice(0, dot + 1);
  const leaf = conv.slice(dot + 1);
  const numbered = /^conv(\d+)$/.exec(leaf);
  if (numbered) return { norm: `${scope}norm${numbered[1]}`, transposed: false };
  if (leaf === "down") return { norm: `${scope}norm`, transposed: false };
  if (leaf === "up") return { norm: `${scope}norm`, transposed: true };
  return null;
}

/**
 * An inference-only copy of `network` with every batch norm folded into the convolution before
 * it: for a convolution `W, b` followed by batch norm `γ, β` with running mean `μ` and variance
 * `σ²`, the copy's convolution is `W' = W·s`, `b' = (b - μ)·s + β` with `s = γ / sqrt(σ² + ε)`
 * per output channel (computed in float64, stored as float32), and the copy has no
 * normalisation layers (it is built with `norm: "none"`, which gives every convolution a bias).
 * In inference mode (`training: false`, the default) it computes what `network` computes, up to
 * float32 rounding, with two element-wise passes fewer per convolution.
 *
 * The copy is a new module of the same class (it owns its variables: dispose it) and the input
 * is not changed. It is for inference only: it has no batch statistics or running averages, so
 * training it is not training `network`. A network without normalisation (`norm: "none"`) gives
 * a plain copy. Instance norm cannot be folded: it normalises each image with that image's own
 * statistics, which no fixed weights reproduce.
 *
 * @param network A `UNet` (or `PyramidUNet`, `SdmUNet`) or a `ResUNetGenerator`.
 * @param name Name of the copy. @default {`${network.name}_folded`}
 * @returns The folded copy (caller disposes).
 * @throws {RangeError} When the network uses instance norm.
 * @throws {Error} When the network has been disposed, or a batch norm follows no convolution.
 *
 * @example Fold a UNet's batch norms for inference
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initEngine, UNet } from "../mod.ts";
 * import { foldBatchNorm } from "./fold_batch_norm.ts";
 *
 * await initEngine();
 * const net = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 1 });
 * const folded = foldBatchNorm(net);
 * const diff = tf.tidy(() => {
 *   const x = tf.randomUniform([2, 16, 16, 1], -1, 1) as tf.Tensor4D;
 *   return tf.max(tf.abs(tf.sub(net.apply(x), folded.apply(x)))).dataSync()[0]!;
 * });
 * assert.ok(diff < 1e-4);
 * folded.dispose();
 * net.dispose();
 * ```
 */
export function foldBatchNorm<T extends FoldableNetwork>(network: T, name?: string): T {
  const kind = network.kind;
  if (network.isDisposed) {
    throw new Error(`Cannot fold batch norm: ${kind} "${network.name}" has been disposed`);
  }
  const config = network.config;
  if (config.norm === "instance") {
    throw new RangeError(
      `Cannot fold batch norm: instance norm normalises each image with its own statistics, ` +
        `which no fixed convolution weights reproduce (got norm: "instance" in ${kind})`,
    );
  }
  const copyName = name ?? `${network.name}_folded`;
  const Kind = network.constructor as new (options: Record<string, unknown>) => T;
  const options: Record<string, unknown> = { ...config, name: copyName, norm: "none" };
  if (network instanceof UNet) options.convBias = true;
  else if (!(network instanceof ResUNetGenerator)) {
    throw new TypeError(
      `Cannot fold batch norm: only UNet and ResUNetGenerator are supported (got ${kind})`,
    );
  }
  const source = byName(network as ModuleBase);
  const copy = new Kind(options);
  try {
    const used = new Set<string>();
    const names = (copy as ModuleBase).variableNames;
    const variables = (copy as ModuleBase).variables;
    for (const [i, full] of names.entries()) {
      const dot = full.lastIndexOf(".");
      const layer = full.slice(0, dot);
      const leaf = full.slice(dot + 1);
      const following = followingNorm(layer);
      const gamma = following && source.get(`${following.norm}.gamma`);
      if (!following || !gamma) {
        const from = source.get(full);
        if (from === undefined) {
          throw new Error(
            `Cannot fold batch norm: ${kind} has no ${full} for its folded copy (got none)`,
          );
        }
        used.add(full);
        assign(variables[i]!, from.dataSync() as Float32Array);
        continue;
      }
      const norm = following.norm;
      const stats = ["gamma", "beta", "runningMean", "runningVariance"].map((s) => {
        const v = source.get(`${norm}.${s}`);
        if (v === undefined) {
          throw new Error(`Cannot fold batch norm: ${kind} has no ${norm}.${s} (got none)`);
        }
        used.add(`${norm}.${s}`);
        return v.dataSync() as Float32Array;
      });
      const [g, beta, mean, variance] = stats as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      const epsilon = config.epsilon;
      const scale = Float64Array.from(g, (v, c) => v / Math.sqrt(variance[c]! + epsilon));
      if (leaf === "kernel") {
        const kernel = source.get(full);
        if (kernel === undefined) throw new Error(`Cannot fold batch norm: ${kind} has no ${full}`);
        used.add(full);
        const w = kernel.dataSync() as Float32Array;
        // Conv2d kernels are [k, k, in, out]; transposed ones [k, k, out, in].
        const [, , a, b] = kernel.shape as [number, number, number, number];
        const out = new Float32Array(w.length);
        for (let o = 0; o < w.length; o++) {
          const channel = following.transposed ? Math.floor(o / b) % a : o % b;
          out[o] = w[o]! * scale[channel]!;
        }
        assign(variables[i]!, out);
      } else {
        // The bias: the source's, or zero for a convolution without one.
        const from = source.get(full);
        if (from) used.add(full);
        const bias = from ? from.dataSync() as Float32Array : new Float32Array(scale.length);
        const out = Float32Array.from(
          scale,
          (s, c) => (bias[c]! - mean[c]!) * s + beta[c]!,
        );
        assign(variables[i]!, out);
      }
    }
    const left = [...source.keys()].filter((n) => !used.has(n));
    if (left.length > 0) {
      throw new Error(
        `Cannot fold batch norm: ${kind} has variables no convolution of the folded copy ` +
          `takes (got ${left.join(", ")})`,
      );
    }
    return copy;
  } catch (error) {
    copy.dispose();
    throw error;
  }
}

function byName(module: ModuleBase): Map<string, AnyVariable> {
  const map = new Map<string, AnyVariable>();
  module.variableNames.forEach((n, i) => map.set(n, module.variables[i]!));
  return map;
}

function assign(variable: AnyVariable, values: Float32Array): void {
  tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, "float32")));
}
