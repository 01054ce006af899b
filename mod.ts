/**
 * grn: the Generative Reinforcement Network (GRN) for tissue-layer segmentation of 3-D B-mode
 * ultrasound, with the semi-supervised methods it competes with, on TensorFlow.js for Deno.
 *
 * @example Train GRN-SSL on a batch and segment with SGE
 * ```ts ignore
 * import * as tf from "@tensorflow/tfjs";
 * import { GRN, initEngine, PatchGANDiscriminator, ResUNetGenerator, UNet } from "./mod.ts";
 *
 * await initEngine(); // tfjs-node if installed, else WebAssembly with our training kernels
 * const grn = new GRN({
 *   mode: "ssl", // Algorithm 2; the default consistency loss is ICT
 *   segmentor: new UNet(), // 16-32-64-128-256, 1 channel in, 7 classes
 *   generator: new ResUNetGenerator(),
 *   discriminator: new PatchGANDiscriminator(),
 * });
 * const losses = grn.step({ images, labels }, { images: unlabeledImages });
 * const logits = grn.predict(images, { sge: true }); // S(G(x))
 * ```
 *
 * @module
 */
export * from "./data/mod.ts";
export * from "./data/phantom/mod.ts";
export * from "./engine/mod.ts";
export * from "./losses/mod.ts";
export * from "./metrics/mod.ts";
export * from "./networks/mod.ts";
export * from "./trainers/mod.ts";
