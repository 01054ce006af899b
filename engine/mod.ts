/**
 * The tensor engine: backend choice, training kernels for wasm, seeded randomness.
 * @module
 */
export * from "./init_engine.ts";
export * from "./rng.ts";
