/**
 * A bounded cache of oneDNN plans keyed by geometry.
 * @module
 */
import type { OneDnn, Plan } from "./onednn.ts";

/**
 * How a plan uses threads: `parallel` plans (convolutions) use oneDNN's configured OpenMP
 * threads; `serial` plans (memory-bound primitives) are built and run on one thread.
 */
export type PlanThreads = "parallel" | "serial";

/**
 * Least-recently-used cache of {@linkcode Plan}s. Creating a primitive takes 0.2-2 ms (more
 * for the first of a kind), running a cached one ~0.1 ms of overhead; training uses a fixed
 * set of geometries, so a few hundred entries hold all of them. Evicted plans are destroyed.
 */
export class PlanCache {
  readonly #plans = new Map<string, Plan>();
  readonly #capacity: number;
  readonly #dnn: OneDnn;
  #created = 0;

  /**
   * @param dnn The runtime (for serial plans).
   * @param capacity Most plans kept. @default {512}
   */
  constructor(dnn: OneDnn, capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot create a plan cache: capacity must be >= 1 (got ${capacity})`);
    }
    this.#capacity = capacity;
    this.#dnn = dnn;
  }

  /** The plan for `key`, built by `make` on first use (on one thread for `serial` plans). */
  get(key: string, make: () => Plan, threads: PlanThreads): Plan {
    const hit = this.#plans.get(key);
    if (hit !== undefined) {
      this.#plans.delete(key);
      this.#plans.set(key, hit);
      return hit;
    }
    let plan: Plan;
    if (threads === "serial") {
      plan = this.#dnn.serially(make);
      plan.markSerial();
    } else {
      plan = make();
    }
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
