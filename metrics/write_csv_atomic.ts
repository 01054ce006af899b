/**
 * Atomic CSV result writer.
 * @module
 */
import { writeTextAtomic } from "./_atomic.ts";
import { type CsvValue, toCsv } from "./to_csv.ts";

/**
 * Writes rows as a CSV file atomically (see `toCsv` for the format): the text goes to a
 * temporary file in the same folder, is flushed, and is renamed over `path`, so readers never
 * see a half-written file and no temporary file is left behind. Missing parent folders are
 * created.
 *
 * @param path Destination file.
 * @param rows One object per line.
 * @param columns Column names in order (default: all keys in order of first appearance).
 * @throws {TypeError} When `path` is empty or `rows` is not an array of objects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeCsvAtomic } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await writeCsvAtomic(`${dir}/dice.csv`, [{ class: 1, dice: 0.5 }]);
 * assert.equal(await Deno.readTextFile(`${dir}/dice.csv`), "class,dice\n1,0.5\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCsvAtomic(
  path: string,
  rows: readonly Record<string, CsvValue>[],
  columns?: readonly string[],
): Promise<void> {
  await writeTextAtomic("write CSV", path, toCsv(rows, columns));
}
