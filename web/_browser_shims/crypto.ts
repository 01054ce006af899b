/**
 * `node:crypto` for the browser bundle of `grn export --web`: the SDK hashes files only on the
 * Deno side (dataset fingerprints), which the page never runs, so `createHash` says so.
 * @module
 */

/**
 * Refuses: no synchronous hashing in the page.
 * @throws {Error} Always.
 */
export function createHash(algorithm: string): never {
  throw new Error(
    `Cannot hash in the browser: node:crypto is not available in the web page (got createHash(${
      JSON.stringify(algorithm)
    }))`,
  );
}
