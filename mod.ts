/**
 * grn: the Generative Reinforcement Network (GRN) for tissue-layer segmentation of 3-D B-mode
 * ultrasound, with the semi-supervised methods it competes with, on TensorFlow.js for Deno.
 *
 * @example Train GRN-SSL on a batch and segment with SGE
 * ```ts
 * import assert from "node:assert/strict";
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
 * // Batches are NHWC: images [2, 32, 32, 1] in [-1, 1], labels [2, 32, 32] class indices.
 * const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 1) as tf.Tensor4D;
 * const labels = tf.zeros([2, 32, 32], "int32") as tf.Tensor3D;
 * const unlabeledImages = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 2) as tf.Tensor4D;
 * const losses = grn.step({ images, labels }, { images: unlabeledImages });
 * assert.ok(losses.consistencyReal !== undefined); // the unlabeled phase ran
 * const logits = grn.predict(images, { sge: true }); // S(G(x))
 * assert.deepEqual(logits.shape, [2, 32, 32, 7]);
 * grn.dispose();
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
