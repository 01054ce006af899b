/**
 * Atomic JSON result writer.
 * @module
 */
import { writeTextAtomic } from "./_atomic.ts";

/** Options of {@linkcode writeJsonAtomic}. */
export interface WriteJsonOptions {
  /**
   * Indentation passed to `JSON.stringify` (0 for one line).
   * @default {2}
   */
  space?: number;
}

/**
 * Writes a value as JSON atomically: the text goes to a temporary file in the same folder, is
 * flushed, and is renamed over `path`, so readers never see a half-written file and no
 * temporary file is left behind. Missing parent folders are created. The file ends with a line
 * break.
 *
 * Standard JSON has no `NaN` or `Infinity`: `JSON.stringify` writes them as `null` (so a Dice
 * of `NaN` for an absent class reads back as `null`). Use the CSV writer to keep them spelled
 * out.
 *
 * @param path Destination file.
 * @param value Any JSON-serialisable value.
 * @param options See {@linkcode WriteJsonOptions}.
 * @throws {TypeError} When `path` is empty or the value cannot be serialised (e.g. a cycle or
 *   a `bigint`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeJsonAtomic } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await writeJsonAtomic(`${dir}/r.json`, { dice: [0.5, NaN] }, { space: 0 });
 * assert.equal(await Deno.readTextFile(`${dir}/r.json`), '{"dice":[0.5,null]}\n');
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: WriteJsonOptions = {},
): Promise<void> {
  const { space = 2 } = options;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, space);
  } catch (error) {
    throw new TypeError(
      `Cannot write JSON: the value is not serialisable (got ${(error as Error).message})`,
    );
  }
  if (text === undefined) {
    throw new TypeError(`Cannot write JSON: the value is not serialisable (got ${typeof value})`);
  }
  await writeTextAtomic("write JSON", path, text + "\n");
}
