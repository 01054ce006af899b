/**
 * Small file helpers of the run package: the atomic text writer and the checks that keep a
 * command from overwriting its own inputs or the user's files.
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { OutputPathError } from "./output_path_error.ts";

/**
 * Writes text to `path` through the project's atomic writer (temporary file, fsync, rename,
 * fsync of the folder); creates missing folders.
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mkdir: true });
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * True when `a` and `b` name the same file: the same resolved real path (symbolic links
 * followed), or — when both exist — the same device and inode (hard links).
 */
export async function samePath(a: string, b: string): Promise<boolean> {
  const real = async (p: string) => {
    // The real path of the folder plus the name: works for files that do not exist yet.
    const abs = resolve(p);
    try {
      return await Deno.realPath(abs);
    } catch {
      try {
        return resolve(await Deno.realPath(dirname(abs)), basename(abs));
      } catch {
        return abs;
      }
    }
  };
  if (await real(a) === await real(b)) return true;
  const [sa, sb] = [await statOrNull(a), await statOrNull(b)];
  return sa !== null && sb !== null && sa.ino !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

/** One output of a command, for {@linkcode checkOutputPath}. */
export interface OutputCheck {
  /** The output file. */
  path: string;
  /** Its option, for messages, e.g. `"--output"`. */
  flag: string;
  /** Files the command reads (or writes elsewhere): the output may be none of them. */
  others: readonly { path: string; what: string }[];
  /** Replace an existing file. @default {false} */
  overwrite?: boolean;
}

/**
 * Checks one output path before a command does any work: it may not be one of the command's
 * inputs or other outputs, its folder must exist, and an existing file is replaced only with
 * `overwrite`.
 *
 * @param what Start of the message, e.g. `"Cannot predict"`.
 * @param check See {@linkcode OutputCheck}.
 * @throws {OutputPathError} When the path is refused.
 */
export async function checkOutputPath(what: string, check: OutputCheck): Promise<void> {
  const { path, flag, others, overwrite = false } = check;
  for (const other of others) {
    if (await samePath(path, other.path)) {
      throw new OutputPathError(
        `${what}: ${flag} must not be the ${other.what}, it would be overwritten (got ${path})`,
        true,
      );
    }
  }
  const dir = dirname(resolve(path));
  const parent = await statOrNull(dir);
  if (!parent?.isDirectory) {
    throw new OutputPathError(`${what}: the folder of ${flag} does not exist (got ${path})`, false);
  }
  const existing = await statOrNull(path);
  if (existing && !existing.isFile) {
    throw new OutputPathError(`${what}: ${flag} is a folder, not a file (got ${path})`, false);
  }
  if (existing && !overwrite) {
    throw new OutputPathError(
      `${what}: ${flag} already exists; pass --overwrite to replace it (got ${path})`,
      false,
    );
  }
}
