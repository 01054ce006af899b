/**
 * Private helper: atomic text-file writes for the result writers.
 * @module
 */
import { writeFileAtomic } from "../engine/atomic_write.ts";

/**
 * Writes `text` (UTF-8) to `path` atomically and durably through the project's one atomic
 * writer (`engine/atomic_write.ts`: temporary file, fsync, rename, fsync of the folder), so a
 * reader (or a crash) sees either the old file or the complete new one. The temporary file is
 * removed on failure. Missing parent folders are created.
 */
export async function writeTextAtomic(what: string, path: string, text: string): Promise<void> {
  if (typeof path !== "string" || path.length === 0) {
    throw new TypeError(`Cannot ${what}: path must be a non-empty string (got ${path})`);
  }
  await writeFileAtomic(path, text, { mkdir: true });
}
