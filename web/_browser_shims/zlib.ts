/**
 * The part of `node:zlib` the SDK's NIfTI reader and writer (`gunzipSync`, `gzipSync`,
 * `constants.Z_SYNC_FLUSH`) and its PNG stack reader (`inflateSync`, the PNG-bomb check) use,
 * on fflate, for the browser bundle of `grn export --web`: the bundle maps `node:zlib` here, so
 * the page decodes and encodes `.nii.gz` and decodes PNG stacks with the SDK's own code. Not
 * for Deno (Deno has `node:zlib`).
 * @module
 */
import { Gunzip, gzipSync as fflateGzip, Unzlib } from "fflate";

/** The flush constant the NIfTI reader passes to read a gzip prefix. */
export const constants: Readonly<{ Z_SYNC_FLUSH: number }> = Object.freeze({ Z_SYNC_FLUSH: 2 });

/** Options of {@linkcode gunzipSync} that the SDK passes. */
export interface GunzipOptions {
  /** With `Z_SYNC_FLUSH`: return what the (possibly truncated) input inflates to so far. */
  finishFlush?: number;
  /** Fail with a `RangeError` (code `ERR_BUFFER_TOO_LARGE`) past this many output bytes. */
  maxOutputLength?: number;
}

function tooLarge(limit: number, total: number): RangeError {
  const error = new RangeError(
    `Cannot inflate data: more than ${limit} bytes of output (got at least ${total})`,
  );
  (error as RangeError & { code: string }).code = "ERR_BUFFER_TOO_LARGE";
  return error;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Inflates gzip data (every member of a multi-member stream), as Node's `gunzipSync`: with
 * `finishFlush: Z_SYNC_FLUSH` a truncated stream yields what it inflates to so far; otherwise
 * a truncated stream is an error, and more than `maxOutputLength` bytes is a `RangeError`
 * whose `code` is `ERR_BUFFER_TOO_LARGE`.
 *
 * @param bytes Gzip data.
 * @param options See {@linkcode GunzipOptions}.
 * @returns The inflated bytes.
 * @throws {RangeError} Past `maxOutputLength`.
 * @throws {Error} On corrupt data, or truncated data without `Z_SYNC_FLUSH`.
 */
export function gunzipSync(bytes: Uint8Array, options: GunzipOptions = {}): Uint8Array {
  const partial = options.finishFlush === constants.Z_SYNC_FLUSH;
  const limit = options.maxOutputLength ?? Infinity;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Gunzip((chunk) => {
    total += chunk.length;
    if (total > limit) throw tooLarge(limit, total);
    chunks.push(chunk);
  });
  inflater.push(bytes, !partial);
  return concat(chunks, total);
}

/**
 * Inflates zlib data (a PNG's `IDAT` stream), as Node's `inflateSync`: truncated or corrupt
 * data is an error, and more than `maxOutputLength` bytes is a `RangeError` whose `code` is
 * `ERR_BUFFER_TOO_LARGE` (the input is inflated in 16 KiB pieces, so it stops soon after).
 *
 * @param bytes Zlib data.
 * @param options `maxOutputLength`. @default {{}}
 * @returns The inflated bytes.
 * @throws {RangeError} Past `maxOutputLength`.
 * @throws {Error} On corrupt or truncated data.
 */
export function inflateSync(
  bytes: Uint8Array,
  options: Pick<GunzipOptions, "maxOutputLength"> = {},
): Uint8Array {
  const limit = options.maxOutputLength ?? Infinity;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > limit) throw tooLarge(limit, total);
    chunks.push(chunk);
  });
  // In small pieces: fflate inflates what one push holds at once, and deflate expands up to
  // about 1032 times, so a bomb is stopped after a bounded allocation.
  const piece = 1 << 14;
  for (let at = 0; at < bytes.length || at === 0; at += piece) {
    const end = Math.min(bytes.length, at + piece);
    inflater.push(bytes.subarray(at, end), end === bytes.length);
    if (end === bytes.length) break;
  }
  return concat(chunks, total);
}

/**
 * Compresses bytes as one gzip member, as Node's `gzipSync`.
 *
 * @param bytes The data.
 * @param options `level` 0-9. @default {{ level: 6 }}
 * @returns Gzip data.
 */
export function gzipSync(bytes: Uint8Array, options: { level?: number } = {}): Uint8Array {
  const level = options.level ?? 6;
  return fflateGzip(bytes, { level: level as 6 });
}
