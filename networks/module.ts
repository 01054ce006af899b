import type { Rng } from "../engine/rng.ts";
import type { AnyVariable } from "../engine/tensor_types.ts";

/**
 * Options of every network forward pass.
 */
export interface ForwardOptions {
  /**
   * Training mode: dropout is active and normalisation layers use (and update the running
   * averages of) batch statistics. In inference mode dropout is off and running averages are
   * used.
   * @default {false}
   */
  training?: boolean;
  /**
   * Generator for stochastic layers (dropout, feature noise) in training mode. When absent,
   * the module's own generator (seeded at construction) is used.
   * @default {the module's own Rng}
   */
  rng?: Rng;
}

/**
 * Anything that owns tfjs variables: networks, EMA teachers, consistency losses with their own
 * discriminators.
 *
 * `variables` lists every variable the module owns, in a stable order, with unique names —
 * trainable weights and non-trainable state such as batch-norm running averages — so that
 * checkpoints and EMA teachers can pair them up. `dispose()` is idempotent.
 */
export interface Module extends Disposable {
  /** Name of the module; prefixes its variable names. */
  readonly name: string;
  /** Every variable the module owns (weights and state), in a stable order. */
  readonly variables: readonly AnyVariable[];
  /**
   * Stable logical names of `variables`, index for index (e.g. `"enc0.conv1.kernel"`),
   * independent of tfjs's global variable names, so clones and checkpoints pair up.
   */
  readonly variableNames: readonly string[];
  /** The variables an optimizer updates (a subset of `variables`). */
  readonly trainableVariables: readonly AnyVariable[];
  /** Whether {@linkcode Module.dispose} has run. */
  readonly isDisposed: boolean;
  /** Frees every variable. Safe to call more than once. */
  dispose(): void;
}
