/**
 * Shared machinery of every network: variable registration under stable logical names, seeded
 * generators, cloning of state and idempotent disposal.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../engine/rng.ts";
import type { AnyVariable } from "../engine/tensor_types.ts";
import type { ForwardOptions, Module } from "./module.ts";

/** Counter that keeps tfjs variable names unique among live variables. */
let variableCounter = 0;

/**
 * Where layers register their variables: a logical-name prefix inside one module, plus the
 * generator that draws initial weights.
 */
export interface ParamScope {
  /** Generator for initial weights (shared by the whole module, drawn in construction order). */
  readonly rng: Rng;
  /** A scope whose names are prefixed with `prefix.`. */
  child(prefix: string): ParamScope;
  /** Registers a trainable variable `[...shape]` holding `values`. */
  weight(name: string, shape: number[], values: Float32Array): AnyVariable;
  /** Registers a non-trainable state variable (e.g. batch-norm running averages). */
  state(name: string, shape: number[], values: Float32Array): AnyVariable;
}

/** Options every network takes. */
export interface ModuleBaseOptions {
  /** Name of the module; prefixes its tfjs variable names. */
  name: string;
  /** Seed of the module's generators (initial weights and stochastic layers). */
  seed: number;
}

/**
 * Base class of the networks: owns the variables, their logical names and the module's `Rng`.
 *
 * Subclasses register variables through {@linkcode ModuleBase.params} in their constructor, in a
 * fixed order, so the same seed gives the same weights on every backend.
 */
export abstract class ModuleBase implements Module {
  /** Name of the module; prefixes its tfjs variable names. */
  readonly name: string;
  /** Seed the module was created with. */
  readonly seed: number;
  #variables: tf.Variable[] = [];
  #names: string[] = [];
  #trainable: tf.Variable[] = [];
  #nameSet = new Set<string>();
  #disposed = false;
  #rng: Rng;
  #initRng: Rng;

  /**
   * Checks the name and seed and seeds the module's generators (subclasses then register
   * their variables through {@linkcode ModuleBase.params}).
   *
   * @param options The module's name and seed.
   * @throws {TypeError} When `name` is not a non-empty string.
   * @throws {RangeError} When `seed` is not a finite number.
   */
  protected constructor(options: ModuleBaseOptions) {
    const { name, seed } = options;
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(
        `Cannot create ${this.kind}: name must be a non-empty string (got ${JSON.stringify(name)})`,
      );
    }
    if (!Number.isFinite(seed)) {
      throw new RangeError(
        `Cannot create ${this.kind}: seed must be a finite number (got ${seed})`,
      );
    }
    this.name = name;
    this.seed = seed;
    const root = new Rng(seed);
    this.#initRng = root.fork("init");
    this.#rng = root.fork("forward");
  }

  /** Class name used in messages (e.g. `"UNet"`). */
  get kind(): string {
    return this.constructor.name;
  }

  /**
   * The module's own generator for stochastic layers (dropout, feature noise) when a forward
   * pass gets no `rng`. Its state can be saved with `rng.state()` and restored with
   * `rng.setState()` for exact resumption.
   */
  get rng(): Rng {
    return this.#rng;
  }

  /** Root scope for registering variables (constructor only). */
  protected get params(): ParamScope {
    return this.#scope("");
  }

  /** Every variable the module owns (weights and state), in registration order. */
  get variables(): readonly AnyVariable[] {
    return this.#variables;
  }

  /** Logical names of {@linkcode ModuleBase.variables}, index for index. */
  get variableNames(): readonly string[] {
    return this.#names;
  }

  /** The variables an optimizer updates. */
  get trainableVariables(): readonly AnyVariable[] {
    return this.#trainable;
  }

  /** Whether {@linkcode ModuleBase.dispose} has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Frees every variable. Safe to call more than once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#variables) v.dispose();
  }

  /** Same as {@linkcode ModuleBase.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Throws when the module has been disposed. */
  protected assertUsable(action: string): void {
    if (this.#disposed) {
      throw new Error(`Cannot ${action}: ${this.kind} "${this.name}" has been disposed`);
    }
  }

  /** The generator for a forward pass: the caller's, else the module's own. */
  protected forwardRng(options: ForwardOptions): Rng {
    return options.rng ?? this.#rng;
  }

  /**
   * Copies every variable value from `source` (same architecture) and derives this module's
   * generator from the source's, so a clone gets its own dropout stream.
   */
  protected copyStateFrom(source: ModuleBase): void {
    source.assertUsable("clone");
    const names = source.#names;
    if (names.length !== this.#names.length || names.some((n, i) => n !== this.#names[i])) {
      throw new TypeError(
        `Cannot copy ${source.kind} "${source.name}" into "${this.name}": variable names differ`,
      );
    }
    // A real copy (not a shared buffer), so no in-place update of one can reach the other.
    tf.tidy(() => {
      for (let i = 0; i < this.#variables.length; i++) {
        this.#variables[i]!.assign(tf.mul(source.#variables[i]!, 1));
      }
    });
    this.#rng = source.#rng.fork(`clone:${this.name}`);
  }

  #register(name: string, shape: number[], values: Float32Array, trainable: boolean) {
    if (this.#nameSet.has(name)) {
      throw new Error(`Cannot register variable: ${this.kind} already has ${name}`);
    }
    const initial = tf.tensor(values, shape, "float32");
    const variable = tf.variable(
      initial,
      trainable,
      `${this.name}/${name}#${++variableCounter}`,
    );
    initial.dispose();
    this.#nameSet.add(name);
    this.#variables.push(variable);
    this.#names.push(name);
    if (trainable) this.#trainable.push(variable);
    return variable;
  }

  #scope(prefix: string): ParamScope {
    const full = (name: string) => (prefix === "" ? name : `${prefix}.${name}`);
    return {
      rng: this.#initRng,
      child: (p) => this.#scope(full(p)),
      weight: (name, shape, values) => this.#register(full(name), shape, values, true),
      state: (name, shape, values) => this.#register(full(name), shape, values, false),
    };
  }
}
