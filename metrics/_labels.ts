/**
 * Private helpers shared by the per-class metrics: class list resolution and label counting.
 * @module
 */

/** Resolves the evaluated classes: `classes`, or `1 .. numClasses - 1` (background excluded). */
export function resolveClasses(
  what: string,
  numClasses: number,
  classes: readonly number[] | undefined,
): number[] {
  if (!Number.isInteger(numClasses) || numClasses < 2 || numClasses > 65536) {
    throw new RangeError(
      `Cannot ${what}: numClasses must be an integer in 2..65536 (got ${numClasses})`,
    );
  }
  if (classes === undefined) {
    return Array.from({ length: numClasses - 1 }, (_, i) => i + 1);
  }
  if (!Array.isArray(classes) || classes.length === 0) {
    throw new TypeError(
      `Cannot ${what}: classes must be a non-empty array (got ${JSON.stringify(classes)})`,
    );
  }
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new RangeError(
        `Cannot ${what}: classes must be integers in 0..${numClasses - 1} (got [${
          classes.join(", ")
        }])`,
      );
    }
  }
  return [...classes];
}

/** Throws the house-style error for a label outside `0 .. numClasses - 1`. */
export function badLabel(what: string, which: string, value: number, numClasses: number): never {
  throw new RangeError(
    `Cannot ${what}: ${which} holds a label outside the integers 0..${
      numClasses - 1
    } (got ${value})`,
  );
}

/** Mean of the non-NaN entries (`NaN` when there are none). */
export function nanMean(values: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    s += v;
    n++;
  }
  return n === 0 ? NaN : s / n;
}
