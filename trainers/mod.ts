/**
 * Trainers: the one `GRN` trainer (GRN-SEL, GRN-SSL, ablations, baselines without a
 * generator) and its training loop.
 * @module
 */
export * from "./batch_source.ts";
export * from "./fit.ts";
export * from "./grn.ts";
