/**
 * Private file helpers for the data readers and writers: atomic writes, confined reads of
 * regular files, bounded gzip decompression, natural filename order and a few formatting
 * helpers for error messages.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { writeFileAtomic as writeAtomic } from "../engine/atomic_write.ts";

/**
 * Writes `bytes` to `path` atomically and durably through the project's one atomic writer
 * (`engine/atomic_write.ts`: temporary file in the same folder, fsync, rename, fsync of the
 * folder), so readers never see a half-written file. The folder must exist.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeAtomic(path, bytes);
}

/** Writes a UTF-8 text file atomically (see {@linkcode writeFileAtomic}). */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(text));
}

/** True when `bytes` starts with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzips `bytes` when they start with the gzip magic number, reading every member of a
 * multi-member stream; otherwise returns `bytes` unchanged. Unbounded: for data whose size a
 * header announces, use {@linkcode gunzipPrefix} and {@linkcode gunzipLimited} (as the NIfTI
 * reader does).
 *
 * @throws {Error} When the gzip stream is corrupt or truncated; the message names `file`.
 */
export function gunzipIfNeeded(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new Error(
      `Cannot read ${file}: corrupt or truncated gzip data (got ${bytes.length} bytes: ${
        (error as Error).message
      })`,
    );
  }
}

/** Options of {@linkcode readRegularFile} and {@linkcode checkRegularFile}. */
export interface ReadRegularFileOptions {
  /**
   * Folder the file must stay in: a path that is (or goes through) a symbolic link whose real
   * target lies outside `root` is refused unless `allowExternalLinks` is set.
   * @default {no confinement}
   */
  root?: string;
  /**
   * Follow symbolic links whose target leaves `root`.
   * @default {false}
   */
  allowExternalLinks?: boolean;
  /**
   * Largest file size read, in bytes; a larger file is refused before it is read.
   * @default {Infinity}
   */
  maxBytes?: number;
}

/** Options of {@linkcode readRegularFile}: those of {@linkcode checkRegularFile} and a size check. */
export interface ReadRegularFileWithHeadOptions extends ReadRegularFileOptions {
  /**
   * Called with the first {@linkcode HEAD_BYTES} bytes (or the whole file when smaller) and the
   * file size before the rest is read; it throws to refuse the file (e.g. when a header says
   * the file should be smaller), so an oversized file is not read in full.
   * @default {no check}
   */
  checkHead?: (head: Uint8Array, size: number) => void;
}

/** Bytes given to `checkHead` of {@linkcode readRegularFile}: 1 MiB. */
export const HEAD_BYTES = 1 << 20;

/** A file {@linkcode readRegularFile} refused or could not read; `reason` omits the path. */
export class FileReadError extends Error {
  /** The file. */
  readonly path: string;
  /** What was wrong, without the `Cannot read <path>:` prefix. */
  readonly reason: string;

  /**
   * @param path The file.
   * @param reason What was wrong.
   * @param cause The underlying error.
   */
  constructor(path: string, reason: string, cause?: unknown) {
    super(`Cannot read ${path}: ${reason}`, { cause });
    this.name = "FileReadError";
    this.path = path;
    this.reason = reason;
  }
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * Checks, without opening it, that `path` is a regular file (after following symbolic links)
 * and, with `root`, that its real path stays inside `root` unless `allowExternalLinks`. A
 * FIFO, a device such as `/dev/zero` or a folder is refused, so a read never hangs or runs
 * forever.
 *
 * @returns The real path (symbolic links resolved) and its size.
 * @throws {Deno.errors.NotFound} When the file (or a link's target) does not exist.
 * @throws {FileReadError} When it is not a regular file, is too large, or is a link leaving
 *   `root`; the message names the file.
 */
export async function checkRegularFile(
  path: string,
  options: ReadRegularFileOptions = {},
): Promise<{ realPath: string; size: number }> {
  const { root, allowExternalLinks = false, maxBytes = Infinity } = options;
  const link = await Deno.lstat(path);
  const info = link.isSymlink ? await Deno.stat(path) : link;
  const real = await Deno.realPath(path);
  if (!info.isFile) {
    throw new FileReadError(
      path,
      `not a regular file (got ${kindOf(info)}${real === path ? "" : ` at ${real}`})`,
    );
  }
  if (root !== undefined && !allowExternalLinks) {
    const realRoot = await Deno.realPath(root);
    const rel = relative(realRoot, real);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new FileReadError(
        path,
        `it is a symbolic link (or inside a linked folder) whose target leaves ${root} (got ` +
          `${real}); allow it explicitly with allowExternalLinks (--allow-external-links)`,
      );
    }
  }
  if (info.size > maxBytes) {
    throw new FileReadError(path, `file is larger than ${maxBytes} bytes (got ${info.size})`);
  }
  return { realPath: real, size: info.size };
}

/**
 * Reads a whole regular file after {@linkcode checkRegularFile}; the opened file is checked
 * again (a file swapped for something else between the check and the open is refused) and
 * at most the checked size is read. With `checkHead`, the first {@linkcode HEAD_BYTES} are
 * checked before the rest is read.
 *
 * @param path The file.
 * @param options Confinement, size limit and head check.
 * @returns The bytes.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {FileReadError} When the file is refused or cannot be read; the message names it.
 */
export async function readRegularFile(
  path: string,
  options: ReadRegularFileWithHeadOptions = {},
): Promise<Uint8Array> {
  const { realPath, size } = await checkRegularFile(path, options);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(realPath, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw error;
    throw new FileReadError(path, (error as Error).message, error);
  }
  try {
    const info = await file.stat();
    if (!info.isFile) {
      throw new FileReadError(path, `not a regular file (got ${kindOf(info)})`);
    }
    const readInto = async (bytes: Uint8Array, from: number): Promise<number> => {
      let at = from;
      while (at < bytes.length) {
        const n = await file.read(bytes.subarray(at));
        if (n === null) break;
        at += n;
      }
      return at;
    };
    let bytes: Uint8Array;
    let at = 0;
    if (options.checkHead !== undefined && size > HEAD_BYTES) {
      const head = new Uint8Array(HEAD_BYTES);
      at = await readInto(head, 0);
      options.checkHead(head.subarray(0, at), size);
      bytes = new Uint8Array(size);
      bytes.set(head.subarray(0, at));
    } else {
      bytes = new Uint8Array(size);
    }
    at = await readInto(bytes, at);
    if (options.checkHead !== undefined && size <= HEAD_BYTES) {
      options.checkHead(bytes.subarray(0, at), size);
    }
    return at === size ? bytes : bytes.subarray(0, at);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw new FileReadError(path, (error as Error).message, error);
  } finally {
    file.close();
  }
}

/**
 * SHA-256 (hex) of a regular file's bytes, read in 1 MiB chunks (memory stays bounded however
 * large the file), after the checks of {@linkcode checkRegularFile}. At most the checked size
 * is hashed; a file that shrinks meanwhile is an error.
 *
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {FileReadError} When the file is refused or cannot be read; the message names it.
 */
export async function hashRegularFile(
  path: string,
  options: ReadRegularFileOptions = {},
): Promise<string> {
  const { realPath, size } = await checkRegularFile(path, options);
  const hash = createHash("sha256");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(realPath, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw error;
    throw new FileReadError(path, (error as Error).message, error);
  }
  try {
    const buffer = new Uint8Array(Math.min(size, 1 << 20) || 1);
    let left = size;
    while (left > 0) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, left)));
      if (n === null) {
        throw new FileReadError(
          path,
          `file shrank while reading (got ${size - left} of ${size} bytes)`,
        );
      }
      hash.update(buffer.subarray(0, n));
      left -= n;
    }
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw new FileReadError(path, (error as Error).message, error);
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/** The message of a read error without a leading `Cannot read <path>: `. */
export function readErrorReason(error: unknown): string {
  if (error instanceof FileReadError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

/** Largest gzip prefix (bytes) inflated to find a header before giving up. */
const MAX_PREFIX_INPUT = 1 << 20;

/**
 * Inflates only the beginning of gzip data, enough for at least `minBytes` of output (or all
 * of it when it is shorter), without inflating the rest: used to read a header before the
 * size of the whole is known. Memory stays bounded (about 1 KiB of output per input byte
 * of the prefix, at most 1 MiB of input).
 *
 * @throws {Error} When the data is not gzip, is corrupt, or yields fewer than `minBytes` in
 *   its first MiB; the message names `file`.
 */
export function gunzipPrefix(bytes: Uint8Array, minBytes: number, file: string): Uint8Array {
  let lastError: unknown;
  for (let k = 256;; k *= 4) {
    const end = Math.min(k, bytes.length);
    try {
      const out = gunzipSync(bytes.subarray(0, end), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
      });
      if (out.length >= minBytes) {
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      }
      if (end === bytes.length) {
        // All of it inflates to less than minBytes: decode strictly, so truncation is an error.
        const all = gunzipSync(bytes, { maxOutputLength: minBytes });
        return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
      }
    } catch (error) {
      lastError = error;
      if (end === bytes.length) break;
    }
    if (end >= MAX_PREFIX_INPUT) {
      throw new Error(
        `Cannot read ${file}: the first ${end} bytes of gzip data do not inflate to a ${minBytes}-byte ` +
          `header (got ${lastError ? (lastError as Error).message : "less data"})`,
      );
    }
  }
  throw new Error(
    `Cannot read ${file}: corrupt or truncated gzip data (got ${bytes.length} bytes: ${
      (lastError as Error).message
    })`,
  );
}

/** Thrown by {@linkcode gunzipLimited} when the data inflate to more than the limit. */
export class DecompressedSizeError extends Error {
  /** The limit in bytes. */
  readonly limit: number;

  /**
   * @param file The file.
   * @param limit The limit in bytes.
   * @param detail What the limit is made of.
   */
  constructor(file: string, limit: number, detail: string) {
    super(
      `Cannot read ${file}: gzip data inflate to more than the header implies (expected at most ` +
        `${limit} bytes: ${detail}; got more than ${limit}, decompression stopped)`,
    );
    this.name = "DecompressedSizeError";
    this.limit = limit;
  }
}

/**
 * Gunzips `bytes` (every member of a multi-member stream) but stops as soon as the output
 * exceeds `limit` bytes, so a gzip bomb costs at most `limit` bytes of memory.
 *
 * @param bytes Gzip data.
 * @param limit Largest output accepted, in bytes.
 * @param file The name used in error messages.
 * @param detail What the limit is made of (for the message), e.g. `header 352 + voxels 18432`.
 * @throws {DecompressedSizeError} When the output would exceed `limit`.
 * @throws {Error} When the gzip data is corrupt or truncated; the message names `file`.
 */
export function gunzipLimited(
  bytes: Uint8Array,
  limit: number,
  file: string,
  detail: string,
): Uint8Array {
  try {
    const out = gunzipSync(bytes, { maxOutputLength: Math.max(1, Math.min(limit, 2 ** 32)) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      throw new DecompressedSizeError(file, limit, detail);
    }
    throw new Error(
      `Cannot read ${file}: corrupt or truncated gzip data (got ${bytes.length} bytes: ${e.message})`,
    );
  }
}

/**
 * Compares two file names in natural order: runs of digits compare as numbers, so
 * `slice2.png` comes before `slice10.png`.
 */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return pa.length - pb.length;
}

/** True when `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** JSON for an error message: short, and `undefined` spelled out. */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return formatNumber(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "number")) {
    return `[${value.map((v) => formatNumber(v as number)).join(", ")}]`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Formats a number for a message (`NaN`, `Infinity` and `-0` spelled as JavaScript does). */
export function formatNumber(value: number): string {
  return Object.is(value, -0) ? "0" : String(value);
}

/**
 * The shortest decimal that a float32 value rounds to, so `0.1` stored in a float32 header
 * field reads back as `0.1` rather than `0.10000000149011612`.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const f = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}
