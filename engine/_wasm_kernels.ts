/**
 * Training kernels this project registers on the tfjs wasm backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2DBackpropFilterConfig } from "./kernels/conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "./kernels/conv2d_backprop_input.ts";
import { concatConfig } from "./kernels/concat.ts";
import { identityConfig } from "./kernels/identity.ts";
import { leakyReluConfig } from "./kernels/leaky_relu.ts";
import { leakyReluGradConfig } from "./kernels/leaky_relu_grad.ts";
import { maxPoolGradConfig } from "./kernels/max_pool_grad.ts";
import { contiguousReduceConfig } from "./kernels/reduce_contiguous.ts";
import { splitVConfig } from "./kernels/split_v.ts";

/** Builds a kernel record from the one registered before it (absent for missing kernels). */
type KernelMaker = (stock: tf.KernelConfig | undefined) => tf.KernelConfig;

function needStock(name: string, stock: tf.KernelConfig | undefined): tf.KernelConfig {
  if (stock === undefined) {
    throw new Error(
      `Cannot register wasm training kernels: tfjs-backend-wasm provides no ${name} kernel to ` +
        `fall back on (got none; is @tensorflow/tfjs-backend-wasm@4.22.0 imported?)`,
    );
  }
  return stock;
}

const MAKERS: readonly [string, KernelMaker][] = [
  ["Conv2DBackpropFilter", () => conv2DBackpropFilterConfig],
  ["Conv2DBackpropInput", () => conv2DBackpropInputConfig],
  ["Identity", () => identityConfig],
  ["MaxPoolGrad", () => maxPoolGradConfig],
  ["Sum", (stock) => contiguousReduceConfig("Sum", needStock("Sum", stock))],
  ["Mean", (stock) => contiguousReduceConfig("Mean", needStock("Mean", stock))],
  ["LeakyRelu", (stock) => leakyReluConfig(needStock("LeakyRelu", stock))],
  ["Concat", (stock) => concatConfig(needStock("Concat", stock))],
  ["SplitV", (stock) => splitVConfig(needStock("SplitV", stock))],
];

/** Kernel functions registered by this module, so a second call can recognise them. */
const ours = new WeakSet<tf.KernelFunc>();

/** Names reported by the first call; later calls change nothing. */
let registered: string[] | null = null;

/**
 * Registers the project's training kernels on the wasm backend, replacing stock ones of the
 * same name, and a cheaper `LeakyRelu` gradient (backend independent, same values):
 *
 * - `Conv2DBackpropFilter`: missing from tfjs-backend-wasm 4.22 (no convolution could train);
 *   computed as one XNNPACK Conv2D.
 * - `Conv2DBackpropInput`: the stock kernel is a plain loop (~2 GFLOPS); replaced by stride
 *   phases of XNNPACK Conv2D (~15-28 GFLOPS). Also the forward pass of `conv2dTranspose`.
 * - `Identity`: shares the buffer instead of copying it (tfjs clones every tensor it keeps for
 *   the backward pass).
 * - `MaxPoolGrad`: one pass in JavaScript, ~3.5x the stock kernel.
 * - `Sum`, `Mean`: one pass in JavaScript for reductions over outer axes (per-channel
 *   statistics, bias gradients) instead of a transpose; other cases use the stock kernels.
 * - `LeakyRelu`: through XNNPACK's vectorised PReLU, ~10x the stock kernel in a training step.
 * - `Concat`, `SplitV`: one pass with short runs copied element by element (skip connections
 *   and their gradients), ~3x the stock kernels.
 *
 * Idempotent: only the first call registers anything; later calls return the same names and
 * leave the registry alone (so kernels another module installed on top, e.g. native ones, are
 * not overwritten). May be called before or after the wasm backend starts (stock setup
 * functions are kept for the kernels that fall back on them).
 *
 * @returns The names of the kernels registered, in registration order, then
 *   `"LeakyRelu (gradient)"`.
 * @throws {Error} When tfjs-backend-wasm is not loaded (no stock kernels to fall back on).
 */
export function registerWasmTrainingKernels(): string[] {
  if (registered !== null) return [...registered];
  const names: string[] = [];
  for (const [name, make] of MAKERS) {
    const existing = tf.getKernel(name, "wasm");
    if (existing === undefined || !ours.has(existing.kernelFunc)) {
      const config = make(existing);
      if (existing !== undefined) tf.unregisterKernel(name, "wasm");
      tf.registerKernel(config);
      ours.add(config.kernelFunc);
    }
    names.push(name);
  }
  if (tf.getGradient("LeakyRelu")?.gradFunc !== leakyReluGradConfig.gradFunc) {
    tf.registerGradient(leakyReluGradConfig);
  }
  names.push("LeakyRelu (gradient)");
  registered = names;
  return [...names];
}
