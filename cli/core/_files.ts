/**
 * Small file helpers of the CLI core.
 * @module
 */
import { dirname } from "node:path";

/** Writes text to `path` through a temporary file and a rename (creates missing folders). */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`Cannot write ${path}: ${(error as Error).message}`);
  }
}
