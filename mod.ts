/**
 * grn: the Generative Reinforcement Network (GRN) for tissue-layer segmentation of 3-D B-mode
 * ultrasound, with the semi-supervised methods it competes with, on TensorFlow.js for Deno.
 *
 * @example Start the engine
 * ```ts ignore
 * import { initEngine } from "./mod.ts";
 * await initEngine({ backend: "auto" });
 * ```
 *
 * @module
 */
export * from "./engine/mod.ts";
