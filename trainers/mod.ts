/**
 * Trainers: the one `GRN` trainer (GRN-SEL, GRN-SSL, ablations, baselines without a
 * generator), its training loop, schedules, and the method registry that builds GRN and every
 * baseline of the paper's tables by name.
 * @module
 */
export * from "./augmented_source.ts";
export * from "./batch_source.ts";
export * from "./builtin_methods.ts";
export * from "./fit.ts";
export * from "./grn.ts";
export * from "./method.ts";
export * from "./method_registry.ts";
export * from "./schedules.ts";
export * from "./trainable.ts";
export * from "./training_guards.ts";
