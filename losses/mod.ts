/**
 * Losses: Dice, cross-entropy, L1, MSE, least-squares adversarial, and the `ConsistencyLoss`
 * plug-ins (the paper's `L_customize`), ICT being GRN-SSL's default.
 * @module
 */
export * from "./consistency_loss.ts";
export * from "./cross_entropy.ts";
export * from "./dice_loss.ts";
export * from "./interpolation_consistency.ts";
export * from "./l1_loss.ts";
export * from "./least_squares_adversarial_loss.ts";
export * from "./mse_loss.ts";
export * from "./one_hot.ts";
