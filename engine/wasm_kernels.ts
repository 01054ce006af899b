/**
 * Training kernels this project registers on the tfjs wasm backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2DBackpropFilterConfig } from "./kernels/conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "./kernels/conv2d_backprop_input.ts";

const TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
];

/**
 * Registers the project's training kernels on the wasm backend, replacing stock ones of the same
 * name: `Conv2DBackpropFilter` (missing from tfjs-backend-wasm 4.22, so no convolution could be
 * trained) and a fast `Conv2DBackpropInput` (the stock one is a plain loop). Idempotent: kernels
 * already registered by an earlier call are left in place. May be called before or after the
 * wasm backend starts; the kernels need no setup.
 *
 * @returns The names of the kernels registered, in registration order.
 */
export function registerWasmTrainingKernels(): string[] {
  const names: string[] = [];
  for (const config of TRAINING_KERNELS) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (existing?.kernelFunc !== config.kernelFunc) {
      if (existing !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
    names.push(config.kernelName);
  }
  return names;
}
