/**
 * Private helper: atomic text-file writes for the result writers.
 * @module
 */
import { basename, dirname, join } from "node:path";

let counter = 0;

/**
 * Writes `text` (UTF-8) to `path` atomically: the bytes go to a temporary file in the same
 * folder, are flushed to disk, and the file is renamed over `path`, so a reader (or a crash)
 * sees either the old file or the complete new one. The temporary file is removed on failure.
 * Missing parent folders are created.
 */
export async function writeTextAtomic(what: string, path: string, text: string): Promise<void> {
  if (typeof path !== "string" || path.length === 0) {
    throw new TypeError(`Cannot ${what}: path must be a non-empty string (got ${path})`);
  }
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${Deno.pid}.${Date.now()}.${counter++}.tmp`);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
