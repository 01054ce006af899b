/**
 * The one atomic file writer of the project: every file grn writes (checkpoints, run and bench
 * JSON, CSV tables, NIfTI and PNG volumes, reports) goes through {@linkcode writeFileAtomic}.
 *
 * A write goes to a temporary file in the destination's folder, the file is flushed to disk
 * (`fsync`), renamed over the destination, and the folder is flushed too, so after a crash or
 * a power cut at any instant the destination holds either the old file or the complete new
 * one. Temporary files are named `.<name>.<pid>.<time>.<n>.tmp`; a killed writer leaves one
 * behind, which {@linkcode removeStaleTempFiles} cleans up (run folders do so on `--resume`).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

let counter = 0;

/** A failed {@linkcode writeFileAtomic}: names the file; `reason` is the message without it. */
export class FileWriteError extends Error {
  /** The destination that could not be written. */
  readonly path: string;
  /** What went wrong, without the `Cannot write <path>:` prefix. */
  readonly reason: string;

  /**
   * Names the destination and what went wrong.
   *
   * @param path The destination.
   * @param reason What went wrong.
   * @param cause The underlying error.
   */
  constructor(path: string, reason: string, cause?: unknown) {
    super(`Cannot write ${path}: ${reason}`, { cause });
    this.name = "FileWriteError";
    this.path = path;
    this.reason = reason;
  }
}

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * Create missing parent folders. Off, a missing folder is an error naming the path.
   * @default {false}
   */
  mkdir?: boolean;
}

/** True for the names of the temporary files {@linkcode writeFileAtomic} (and older grn) writes. */
export function isTempFileName(name: string): boolean {
  return name.endsWith(".tmp");
}

/**
 * Flushes a folder's entries (a rename or a new file inside it) to disk. Platforms that cannot
 * open a folder for syncing (Windows) skip it.
 *
 * @param dir The folder.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(dir, { read: true });
  } catch (error) {
    if (Deno.build.os === "windows") return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (Deno.build.os !== "windows") throw error;
  } finally {
    handle.close();
  }
}

/**
 * Writes `data` to `path` atomically and durably: temporary file in the same folder, `fsync`,
 * rename over `path`, `fsync` of the folder. Readers (and a crash at any instant) see either the
 * old file or the complete new one; the temporary file is removed when the write fails.
 *
 * @param path Destination file.
 * @param data Bytes, or a string written as UTF-8.
 * @param options See {@linkcode WriteFileAtomicOptions}.
 * @throws {TypeError} When `path` is not a non-empty string.
 * @throws {FileWriteError} When the folder is missing (and `mkdir` is off) or the write fails;
 *   the message names `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  if (typeof path !== "string" || path.length === 0) {
    throw new TypeError(`Cannot write a file: path must be a non-empty string (got ${path})`);
  }
  const dir = dirname(path);
  if (options.mkdir) await Deno.mkdir(dir, { recursive: true });
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = join(dir, `.${basename(path)}.${Deno.pid}.${Date.now()}.${counter++}.tmp`);
  let created = false;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    created = true;
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
    created = false;
    await syncDir(dir);
  } catch (error) {
    if (created) await Deno.remove(tmp).catch(() => {});
    if (error instanceof Deno.errors.NotFound && !created) {
      throw new FileWriteError(path, `the folder does not exist (got ${dir})`, error);
    }
    throw new FileWriteError(path, (error as Error).message, error);
  }
}

/**
 * Removes the temporary files that killed writers left in `dir` (names ending in `.tmp`, see
 * {@linkcode isTempFileName}), and in its sub-folders down to `depth` levels. Call it only
 * while no other process writes into `dir` (e.g. holding the run folder's lock).
 *
 * @param dir The folder (a missing folder has none).
 * @param depth Sub-folder levels to search too. @default {1}
 * @returns The paths removed.
 */
export async function removeStaleTempFiles(dir: string, depth = 1): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return removed;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile && isTempFileName(entry.name)) {
      await Deno.remove(path);
      removed.push(path);
    } else if (entry.isDirectory && depth > 0) {
      removed.push(...await removeStaleTempFiles(path, depth - 1));
    }
  }
  return removed;
}
