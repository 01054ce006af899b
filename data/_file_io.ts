/**
 * Private file helpers for the data readers and writers: atomic writes, gzip detection,
 * natural filename order and a few formatting helpers for error messages.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
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
 * multi-member stream; otherwise returns `bytes` unchanged.
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
