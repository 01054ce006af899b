/**
 * The tensor engine: backend choice, training kernels for wasm, seeded randomness, Adam,
 * checkpoints.
 * @module
 */
export * from "./adam.ts";
export * from "./checkpoint.ts";
export * from "./init_engine.ts";
export * from "./ops/mod.ts";
export * from "./rng.ts";
export * from "./stop_gradient.ts";
