/**
 * A bounded cache of oneDNN plans keyed by geometry.
 * @module
 */
import type { Plan } from "./onednn.ts";

/**
 * Least-recently-used cache of {@linkcode Plan}s. Creating a primitive takes 0.2-2 ms (more
 * for the first of a kind), running a cached one ~0.1 ms of overhead; training uses a fixed
 * set of geometries, so a few hundred entries hold all of them. Evicted plans are destroyed.
 */
export class PlanCache {
  readonly #plans = new Map<string, Plan>();
  readonly #capacity: number;
  #created = 0;

  /** @param capacity Most plans kept. @default {512} */
  constructor(capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot create a plan cache: capacity must be >= 1 (got ${capacity})`);
    }
    this.#capacity = capacity;
  }

  /** The plan for `key`, built by `make` on first use. */
  get(key: string, make: () => Plan): Plan {
    const hit = this.#plans.get(key);
    if (hit !== undefined) {
      this.#plans.delete(key);
      this.#plans.set(key, hit);
      return hit;
    }
    const plan = make();
    this.#created++;
    this.#plans.set(key, plan);
    if (this.#plans.size > this.#capacity) {
      const [oldest, evicted] = this.#plans.entries().next().value as [string, Plan];
      this.#plans.delete(oldest);
      evicted.destroy();
    }
    return plan;
  }

  /** Plans currently cached. */
  get size(): number {
    return this.#plans.size;
  }

  /** Plans built since the cache was created (cache misses). */
  get created(): number {
    return this.#created;
  }

  /** Destroys every cached plan. */
  clear(): void {
    for (const plan of this.#plans.values()) plan.destroy();
    this.#plans.clear();
  }
}
