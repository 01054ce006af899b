/**
 * Private helpers shared by the split functions.
 * @module
 */
import type { ScanRecord } from "./scan.ts";

/**
 * Resolves a fraction-or-count option to a participant count.
 * Values in `[0, 1)` are fractions of `total` (nearest integer, halves up, at least 1 when
 * positive); integers `>= 1` are counts.
 *
 * @throws {RangeError} When the value is negative, not finite, or a non-integer `>= 1`.
 */
export function resolveParticipantCount(value: number, total: number, what: string): number {
  if (!Number.isFinite(value) || value < 0 || (value >= 1 && !Number.isInteger(value))) {
    throw new RangeError(
      `Cannot split participants: ${what} must be a fraction in [0, 1) or an integer count (got ${value})`,
    );
  }
  if (value >= 1) return value;
  if (value === 0) return 0;
  return Math.max(1, Math.floor(value * total + 0.5 + 1e-9));
}

/** Throws when two scans share an id. */
export function checkUniqueIds(scans: readonly ScanRecord[], what: string): void {
  const seen = new Set<string>();
  for (const s of scans) {
    if (seen.has(s.id)) {
      throw new RangeError(`Cannot ${what}: scan ids must be unique (got "${s.id}" twice)`);
    }
    seen.add(s.id);
  }
}
