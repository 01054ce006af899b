/**
 * Seeded random number generation for every random draw in the project.
 *
 * `Rng` is a small, fast, serialisable generator (xoshiro128**, seeded through splitmix32).
 * Weight initialisation, dropout seeds, data shuffling, phantom synthesis, ICT mixing
 * coefficients and every other draw go through an `Rng`, so the same seed gives the same
 * numbers on the same backend, and a checkpoint can store and restore the exact state.
 *
 * @module
 */

/** Serialisable state of an {@linkcode Rng}: four 32-bit words plus a cached normal deviate. */
export interface RngState {
  /** The four xoshiro128** state words, as unsigned 32-bit integers. */
  s: [number, number, number, number];
  /** Second Box-Muller deviate kept for the next `normal()` call, or `null`. */
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashString(text: string): number {
  // FNV-1a, 32 bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seeded pseudo-random generator (xoshiro128**), the single source of randomness.
 *
 * @example Same seed, same numbers
 * ```ts
 * import { Rng } from "./mod.ts";
 * const a = new Rng(42), b = new Rng(42);
 * console.assert(a.float() === b.float());
 * ```
 */
export class Rng {
  #s: Uint32Array = new Uint32Array(4);
  #spare: number | null = null;

  /**
   * Creates a generator from an integer seed.
   *
   * @param seed Any finite number; it is reduced to 32 bits.
   * @throws {RangeError} When `seed` is not a finite number.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(`Cannot create Rng: seed must be a finite number (got ${seed})`);
    }
    const sm = splitmix32(Math.floor(seed) >>> 0 ^ Math.floor(seed / 2 ** 32));
    for (let i = 0; i < 4; i++) this.#s[i] = sm();
    if ((this.#s[0]! | this.#s[1]! | this.#s[2]! | this.#s[3]!) === 0) this.#s[0] = 1;
  }

  /** Restores a generator from a state captured with {@linkcode Rng.state}. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** Captures the exact state (for checkpoints). */
  state(): RngState {
    return { s: [this.#s[0]!, this.#s[1]!, this.#s[2]!, this.#s[3]!], spare: this.#spare };
  }

  /**
   * Restores a state captured with {@linkcode Rng.state}.
   *
   * @throws {TypeError} When the state is not four unsigned 32-bit words.
   */
  setState(state: RngState): void {
    if (
      !state || !Array.isArray(state.s) || state.s.length !== 4 ||
      state.s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new TypeError(
        `Cannot restore Rng state: expected four unsigned 32-bit words (got ${
          JSON.stringify(state?.s)
        })`,
      );
    }
    this.#s.set(state.s);
    this.#spare = state.spare ?? null;
  }

  /**
   * Derives an independent child generator for a named purpose, without advancing this one.
   * `rng.fork("dropout")` always gives the same stream for the same parent state.
   */
  fork(label: string): Rng {
    const h = hashString(label);
    const child = new Rng(0);
    const sm = splitmix32(
      h ^ this.#s[0]! ^ rotl(this.#s[1]!, 7) ^ rotl(this.#s[2]!, 13) ^
        rotl(this.#s[3]!, 19),
    );
    child.#s[0] = sm();
    child.#s[1] = sm();
    child.#s[2] = sm();
    child.#s[3] = sm();
    if ((child.#s[0]! | child.#s[1]! | child.#s[2]! | child.#s[3]!) === 0) child.#s[0] = 1;
    return child;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform float in `[0, 1)` with 53 bits of resolution. */
  float(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in `[low, high)`. */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.float();
  }

  /**
   * Uniform integer in `[0, n)`.
   *
   * @throws {RangeError} When `n` is not a positive integer.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Cannot draw an integer: n must be a positive integer (got ${n})`);
    }
    return Math.floor(this.float() * n);
  }

  /** A 31-bit seed for APIs that take their own seed (e.g. `tf.dropout`). */
  seed(): number {
    return this.nextUint32() >>> 1;
  }

  /** Normal deviate with the given mean and standard deviation (Box-Muller). */
  normal(mean = 0, std = 1): number {
    if (this.#spare !== null) {
      const z = this.#spare;
      this.#spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Gamma(shape, 1) deviate (Marsaglia-Tsang; boosted for shape < 1).
   *
   * @throws {RangeError} When `shape` is not positive.
   */
  gamma(shape: number): number {
    if (!(shape > 0)) {
      throw new RangeError(`Cannot draw a gamma deviate: shape must be > 0 (got ${shape})`);
    }
    if (shape < 1) {
      let u = 0;
      while (u === 0) u = this.float();
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x = 0;
      let v = 0;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /**
   * Beta(a, b) deviate, drawn as `X / (X + Y)` with `X ~ Gamma(a)`, `Y ~ Gamma(b)`.
   *
   * @throws {RangeError} When `a` or `b` is not positive.
   */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x + y === 0 ? 0.5 : x / (x + y);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of `0 .. n-1`. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Fills a new `Float32Array` with normal deviates. */
  normalArray(length: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Fills a new `Float32Array` with uniform deviates in `[low, high)`. */
  uniformArray(length: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = low + (high - low) * this.float();
    return out;
  }
}
