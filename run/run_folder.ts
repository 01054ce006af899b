/**
 * Opening a run folder for writing: a run folder is one grn created (it holds the marker
 * `.grn-run`, or a grn `config.json` of an older version), or it is refused, so nothing of the
 * user's is ever overwritten; one writer at a time holds its lock (`.grn-lock`); stale
 * temporary files of killed writes are removed; a run that never reached a checkpoint can be
 * started again with other settings.
 *
 * Crash consistency: the folder is created (or an empty one claimed), locked, marked, and only
 * then are `config.json` and `split.json` written (each atomically). A kill at any instant
 * leaves an empty folder, a marked folder without a checkpoint (restartable, with or without
 * `--resume`), or a folder with a complete checkpoint (resumable).
 * @module
 */
import { join } from "node:path";
import { isTempFileName, removeStaleTempFiles, writeFileAtomic } from "../engine/atomic_write.ts";
import { acquireLock, type FileLock } from "./file_lock.ts";
import { readRunConfig, RUN_FILES, type RunConfig } from "./run_config.ts";
import { GRN_VERSION } from "./version.ts";

/** Names of grn's bookkeeping files in a run folder. */
export const RUN_MARKER = ".grn-run";
/** The lock file of a run folder (and of a bench cell). */
export const RUN_LOCK = ".grn-lock";

/** Options of {@linkcode openRunFolder}. */
export interface OpenRunFolderOptions {
  /** Continue the run (`--resume`). @default {false} */
  resume?: boolean;
  /**
   * The caller already holds the folder's lock (e.g. the bench, for training and evaluation of
   * a cell); the folder must then exist. @default {false}
   */
  lockHeld?: boolean;
  /** What the lock records as its purpose. @default {"grn train"} */
  purpose?: string;
  /** Notes (stale lock taken over, temporary files removed, restart). @default {discarded} */
  log?: (line: string) => void;
}

/** A run folder opened for writing by {@linkcode openRunFolder}. */
export interface RunFolder {
  /** The folder. */
  dir: string;
  /** Whether it held a grn run before (marker or grn `config.json`). */
  existed: boolean;
  /** Whether it holds a checkpoint (`*.ckpt` in it or a stage sub-folder): resumable. */
  hasCheckpoint: boolean;
  /** Its `config.json`, when it has a readable one. */
  config: RunConfig | null;
  /** Whether this call created the folder. */
  created: boolean;
  /**
   * Releases the lock (unless the caller held it); call in a `finally`. With
   * `discardIfUnused` (after a failure), a folder that holds nothing but grn's marker loses the
   * marker, and is removed if this call created it.
   */
  release(options?: { discardIfUnused?: boolean }): Promise<void>;
}

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  return await Array.fromAsync(Deno.readDir(dir));
}

/** True when `dir` (or a sub-folder one level down) holds a `*.ckpt` file. */
async function holdsCheckpoint(dir: string): Promise<boolean> {
  for (const e of await entries(dir)) {
    if (e.isFile && e.name.endsWith(".ckpt")) return true;
    if (e.isDirectory) {
      for (const f of await entries(join(dir, e.name))) {
        if (f.isFile && f.name.endsWith(".ckpt")) return true;
      }
    }
  }
  return false;
}

async function hasGrnConfig(dir: string): Promise<boolean> {
  try {
    const json = JSON.parse(await Deno.readTextFile(join(dir, RUN_FILES.config)));
    return json?.format === "grn-run";
  } catch {
    return false;
  }
}

/**
 * Creates or opens the run folder `dir` for training, holding its lock.
 *
 * - A missing folder is created; an existing empty folder is claimed.
 * - A folder with the marker `.grn-run` (or a grn `config.json`) is a run folder: with a
 *   checkpoint it needs `resume`; without one (the run failed or was killed before its first
 *   checkpoint) it may be started again, with or without `resume`.
 * - Any other non-empty folder, or a file, is refused: nothing of the user's is overwritten.
 *
 * Under the lock, temporary files of killed writes (`*.tmp`) are removed and the marker is
 * written.
 *
 * @param dir The run folder.
 * @param options See {@linkcode OpenRunFolderOptions}.
 * @returns The opened folder; release it in a `finally`.
 * @throws {Error} When `dir` is a file or a folder grn did not create, or holds a run with a
 *   checkpoint and `resume` is false; {@linkcode LockHeldError} when another process writes it.
 */
export async function openRunFolder(
  dir: string,
  options: OpenRunFolderOptions = {},
): Promise<RunFolder> {
  const { resume = false, lockHeld = false, purpose = "grn train", log = () => {} } = options;
  const what = `Cannot ${resume ? "resume" : "train into"} ${dir}`;
  const stat = await Deno.stat(dir).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
  let created = false;
  if (stat === null) {
    if (lockHeld) throw new Error(`${what}: the folder does not exist`);
    await Deno.mkdir(dir, { recursive: true });
    created = true;
  } else if (!stat.isDirectory) {
    throw new Error(`${what}: it is a file, not a folder (got ${dir})`);
  }
  const lock: FileLock | null = lockHeld
    ? null
    : await acquireLock(join(dir, RUN_LOCK), { purpose, what, log: (l) => log(`grn train: ${l}`) });
  try {
    const names = (await entries(dir)).map((e) => e.name);
    const marked = names.includes(RUN_MARKER) || await hasGrnConfig(dir);
    const foreign = names.filter((n) =>
      n !== RUN_LOCK && n !== `${RUN_LOCK}.takeover` && !isTempFileName(n)
    );
    if (!marked && foreign.length > 0) {
      const shown = foreign.sort().slice(0, 5).join(", ") + (foreign.length > 5 ? ", ..." : "");
      throw new Error(
        `${what}: the folder is not empty and was not created by grn (got ${shown}); ` +
          "choose a new or empty folder",
      );
    }
    for (const path of await removeStaleTempFiles(dir)) {
      log(`grn train: removed ${path}, left by an interrupted write`);
    }
    const hasCheckpoint = marked && await holdsCheckpoint(dir);
    if (hasCheckpoint && !resume) {
      throw new Error(
        `${what}: it already holds a run with a checkpoint; pass --resume to continue it or ` +
          "choose another --out",
      );
    }
    let config: RunConfig | null = null;
    if (marked && await Deno.stat(join(dir, RUN_FILES.config)).then(() => true, () => false)) {
      try {
        config = await readRunConfig(dir);
      } catch (error) {
        if (hasCheckpoint) throw error;
        log(`grn train: ignoring the unreadable config of a run without a checkpoint: ${error}`);
      }
    }
    if (hasCheckpoint && config === null) {
      throw new Error(`${what}: it holds a checkpoint but no ${RUN_FILES.config}`);
    }
    if (marked && !hasCheckpoint) {
      log(
        `grn train: ${dir} holds a run that never reached its first checkpoint; ` +
          "starting it from scratch",
      );
    }
    if (!names.includes(RUN_MARKER)) {
      await writeFileAtomic(
        join(dir, RUN_MARKER),
        JSON.stringify({ format: "grn-run-folder", version: 1, grn: GRN_VERSION }) + "\n",
      );
    }
    return {
      dir,
      existed: marked,
      hasCheckpoint,
      config,
      created,
      release: async ({ discardIfUnused = false } = {}) => {
        try {
          if (discardIfUnused) {
            const left = (await entries(dir)).map((e) => e.name).filter((n) => n !== RUN_LOCK);
            if (left.length === 1 && left[0] === RUN_MARKER) {
              await Deno.remove(join(dir, RUN_MARKER));
              if (created && lock) {
                await lock.release();
                await Deno.remove(dir).catch(() => {});
              }
            }
          }
        } finally {
          await lock?.release();
        }
      },
    };
  } catch (error) {
    await lock?.release();
    throw error;
  }
}
