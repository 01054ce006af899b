/**
 * Name look-up errors of the registries: the valid names and the nearest one.
 * @module
 */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The valid name closest to `name` (case-insensitive edit distance; ties: first in order). */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    const d = levenshtein(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * `RangeError: Cannot <action>: unknown <kind> name; valid names are a, b, c; did you mean
 * "b"? (got "x")`.
 */
export function unknownNameError(
  action: string,
  kind: string,
  name: unknown,
  valid: readonly string[],
): RangeError {
  const nearest = typeof name === "string" ? nearestName(name, valid) : undefined;
  return new RangeError(
    `Cannot ${action}: unknown ${kind} name; valid names are ${valid.join(", ")}${
      nearest ? `; did you mean "${nearest}"?` : ""
    } (got ${JSON.stringify(name)})`,
  );
}
