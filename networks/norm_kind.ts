/**
 * The normalisation kinds of the networks' options.
 * @module
 */

/** Normalisation kinds: batch norm, instance norm (per sample and channel), or none. */
export type NormKind = "batch" | "instance" | "none";

/** The normalisation kinds accepted by the networks, for option checks. */
export const NORM_KINDS: readonly NormKind[] = ["batch", "instance", "none"];
