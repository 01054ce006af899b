/**
 * Lock files: one writer per run folder (and so per bench cell). A lock is a small JSON file
 * created atomically (`createNew`), holding the writer's pid, host and start time; a lock whose
 * process is gone on the same host is stale and is taken over (and reported).
 * @module
 */
import { hostname } from "node:os";
import { writeFileAtomic } from "../engine/atomic_write.ts";

/** Who holds a lock (the content of a lock file). */
export interface LockHolder {
  /** Always `"grn-lock"`. */
  format: "grn-lock";
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** What the holder does, e.g. `"grn train"`. */
  purpose: string;
}

/** A lock another live process holds (or one on another host, which cannot be checked). */
export class LockHeldError extends Error {
  /** The lock file. */
  readonly path: string;
  /** Its holder (`null` when the file is being written or unreadable). */
  readonly holder: LockHolder | null;

  /**
   * The error naming the lock file and its holder (pid, host, purpose, since when).
   *
   * @param path The lock file.
   * @param holder Its holder.
   * @param what What could not be done, e.g. `"Cannot train into runs/a"`.
   */
  constructor(path: string, holder: LockHolder | null, what: string) {
    const who = holder
      ? `pid ${holder.pid} on ${holder.host} (${holder.purpose}, since ${holder.startedAt})`
      : "another process (the lock file is being written)";
    const hint = holder && holder.host !== hostname()
      ? "; it is on another host, so grn cannot tell whether it still runs: delete the lock " +
        "file if it does not"
      : "";
    super(`${what}: another process holds the lock ${path} (got ${who})${hint}`);
    this.name = "LockHeldError";
    this.path = path;
    this.holder = holder;
  }
}

/** Options of {@linkcode acquireLock}. */
export interface AcquireLockOptions {
  /** What the holder does, stored in the lock (e.g. `"grn train"`). @default {"grn"} */
  purpose?: string;
  /** Start of error messages, e.g. `"Cannot train into runs/a"`. @default {"Cannot lock <path>"} */
  what?: string;
  /** Notes (a stale lock taken over). @default {discarded} */
  log?: (line: string) => void;
  /**
   * Whether a process id is alive on this host. @default {a check of `/proc/<pid>` on Linux,
   * `kill -0` elsewhere}
   */
  isAlive?: (pid: number) => Promise<boolean>;
}

/** A held lock; {@linkcode FileLock.release} removes it. */
export interface FileLock {
  /** The lock file. */
  path: string;
  /** What was written into it. */
  holder: LockHolder;
  /** The stale holder taken over, if any. */
  tookOver: LockHolder | null;
  /** Removes the lock file if it is still this process's (idempotent). */
  release(): Promise<void>;
}

/** Seconds after which an unreadable (half-written) lock file counts as stale. */
const UNREADABLE_STALE_SECONDS = 30;

/**
 * The default liveness check of a process on this host: `/proc/<pid>` where Deno may read it
 * (`--allow-all`), else `kill -0 <pid>` (needs `--allow-run`; a process of another user, which
 * cannot be signalled, counts as alive). When neither works the process counts as alive, so a
 * lock is never taken from a process that may still run.
 */
export async function processIsAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  if (Deno.build.os === "linux") {
    try {
      await Deno.stat(`/proc/${pid}`);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      // Without --allow-all Deno refuses /proc/<pid> (NotCapable): ask kill -0 instead.
    }
  }
  try {
    const { code, stderr } = await new Deno.Command("kill", {
      args: ["-0", String(pid)],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code === 0) return true;
    return /not permitted/i.test(new TextDecoder().decode(stderr));
  } catch {
    return true;
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const json = JSON.parse(text);
    if (
      json?.format === "grn-lock" && Number.isInteger(json.pid) && typeof json.host === "string"
    ) {
      return json as LockHolder;
    }
  } catch {
    // unreadable
  }
  return null;
}

async function readLock(path: string): Promise<{ text: string; holder: LockHolder | null } | null> {
  try {
    const text = await Deno.readTextFile(path);
    return { text, holder: parseHolder(text) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function createLock(path: string, holder: LockHolder): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw new Error(`Cannot create the lock ${path}: ${(error as Error).message}`);
  }
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } finally {
    file.close();
  }
  return true;
}

/**
 * Takes the lock file `path` for this process. The file is created atomically (`createNew`),
 * so of several processes exactly one gets it. An existing lock is stale when its process is
 * gone on this host (or it has been unreadable for 30 s); a stale lock is taken over under a
 * second lock (`<path>.takeover`), so two processes never both take it over, and the takeover is
 * reported through `log`.
 *
 * @param path The lock file (its folder must exist).
 * @param options See {@linkcode AcquireLockOptions}.
 * @returns The held lock; release it in a `finally`.
 * @throws {LockHeldError} When another live process (or one on another host) holds it; the
 *   message names the lock file and the holder.
 */
export async function acquireLock(
  path: string,
  options: AcquireLockOptions = {},
): Promise<FileLock> {
  const { purpose = "grn", log = () => {}, isAlive = processIsAlive } = options;
  const what = options.what ?? `Cannot lock ${path}`;
  const holder: LockHolder = {
    format: "grn-lock",
    pid: Deno.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    purpose,
  };
  const text = JSON.stringify(holder) + "\n";
  const held = (tookOver: LockHolder | null): FileLock => {
    let released = false;
    return {
      path,
      holder,
      tookOver,
      async release() {
        if (released) return;
        released = true;
        const now = await readLock(path).catch(() => null);
        if (now?.text === text) await Deno.remove(path).catch(() => {});
      },
    };
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createLock(path, holder)) return held(null);
    const current = await readLock(path);
    if (current === null) continue; // released meanwhile: try again
    const other = current.holder;
    let stale: boolean;
    if (other === null) {
      const age = await Deno.stat(path).then((s) =>
        (Date.now() - (s.mtime?.getTime() ?? 0)) / 1000
      );
      stale = age > UNREADABLE_STALE_SECONDS;
    } else {
      stale = other.host === hostname() && !(await isAlive(other.pid));
    }
    if (!stale) throw new LockHeldError(path, other, what);
    // Take the stale lock over, guarded by a second lock so only one process does.
    const guard = `${path}.takeover`;
    if (!await createLock(guard, holder)) {
      const g = await readLock(guard);
      const guardStale = g?.holder
        ? g.holder.host === hostname() && !(await isAlive(g.holder.pid))
        : true;
      if (!guardStale) throw new LockHeldError(path, other, what);
      await Deno.remove(guard).catch(() => {});
      continue;
    }
    try {
      const again = await readLock(path);
      if (again !== null && again.text !== current.text) continue; // someone else was faster
      await writeFileAtomic(path, text);
      const who = other
        ? `pid ${other.pid} on ${other.host}, since ${other.startedAt}`
        : "unreadable";
      log(`took over the stale lock ${path} (its holder is gone: ${who})`);
      return held(other);
    } finally {
      await Deno.remove(guard).catch(() => {});
    }
  }
  throw new LockHeldError(path, (await readLock(path))?.holder ?? null, what);
}
