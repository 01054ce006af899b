/**
 * "Did you mean" suggestions for mistyped names.
 * @module
 */

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/**
 * The candidate closest to `name`, or `undefined` when none is close: a candidate that starts
 * with `name` (or the reverse) wins; otherwise the smallest edit distance (case-insensitive),
 * if it is at most `max(2, length / 3)`.
 */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  if (lower.length === 0) return undefined;
  const prefixed = candidates.filter((c) => {
    const l = c.toLowerCase();
    return l.startsWith(lower) || (lower.startsWith(l) && l.length >= 3);
  });
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(lower, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  const limit = Math.max(2, Math.floor(lower.length / 3));
  return bestDistance <= limit ? best : prefixed[0];
}

/** `" (did you mean X?)"` or `""`. */
export function didYouMean(name: string, candidates: readonly string[], prefix = ""): string {
  const hit = nearest(name, candidates);
  return hit === undefined ? "" : ` (did you mean ${prefix}${hit}?)`;
}
