/**
 * Small file helpers of the CLI core.
 * @module
 */
import { writeFileAtomic } from "../../engine/atomic_write.ts";

/**
 * Writes text to `path` through the project's atomic writer (temporary file, fsync, rename,
 * fsync of the folder); creates missing folders.
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mkdir: true });
}
