import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { writeFileAtomic } from "./atomic_write.ts";
import type { AnyTensor, AnyVariable } from "./tensor_types.ts";

/** One tensor as stored in a checkpoint. */
export interface StoredTensor {
  /** Shape of the tensor. */
  shape: number[];
  /** Data type. */
  dtype: "float32" | "int32";
  /** Values, row-major. */
  data: Float32Array | Int32Array;
}

/** A checkpoint read back from disk. */
export interface Checkpoint<M = unknown> {
  /** The JSON metadata written with it. */
  meta: M;
  /** Tensors by name. */
  tensors: Map<string, StoredTensor>;
}

const MAGIC = "GRNCKPT1";

/** How a version-2 header starts: the checksum comes first, so it can be cut out bytewise. */
const CHECKSUM_PREFIX = '{"checksum":"sha256:';

/**
 * SHA-256 (hex) of a checkpoint: the JSON header without its `checksum` field, then every byte
 * after the header (padding and tensor data).
 */
function checkpointDigest(headerWithoutChecksum: Uint8Array, rest: Uint8Array): string {
  return createHash("sha256").update(headerWithoutChecksum).update(rest).digest("hex");
}

/**
 * A checkpoint write refused because a tensor holds `NaN` or `±Infinity` (training diverged):
 * the file is not written, so the previous checkpoint at that path is kept.
 */
export class NonFiniteTensorError extends Error {
  /** The checkpoint that was not written. */
  readonly path: string;
  /** The tensor (variable) name, e.g. `S/enc0/conv1/kernel`. */
  readonly tensor: string;
  /** How many of its values are not finite. */
  readonly count: number;

  /**
   * Names the checkpoint, the tensor and its first non-finite value.
   *
   * @param path The checkpoint path.
   * @param tensor The tensor name.
   * @param count Non-finite values in it.
   * @param value The first non-finite value.
   * @param index Its flat index.
   */
  constructor(path: string, tensor: string, count: number, value: number, index: number) {
    super(
      `Cannot write checkpoint ${path}: tensor ${tensor} holds ${count} non-finite value${
        count === 1 ? "" : "s"
      } (got ${value} at index ${index}); training diverged, the previous checkpoint is kept`,
    );
    this.name = "NonFiniteTensorError";
    this.path = path;
    this.tensor = tensor;
    this.count = count;
  }
}

/**
 * Writes named tensors and JSON metadata to one file, atomically and durably (the project's
 * atomic writer: temporary file in the same folder, fsync, rename, fsync of the folder), so a
 * crash never leaves a half-written checkpoint. Float tensors holding `NaN` or `±Infinity` are
 * refused ({@linkcode NonFiniteTensorError}) and nothing is written, so a diverged run never
 * replaces a good checkpoint.
 *
 * Layout: 8-byte magic `GRNCKPT1`, uint32 (little-endian) header length, the JSON header
 * (`{ checksum, version, meta, tensors: [{ name, shape, dtype, offset, length }] }`), then the
 * raw little-endian tensor data, 4-byte aligned. `checksum` (first key, `"sha256:<hex>"`) is
 * the SHA-256 of the header without it followed by every byte after the header;
 * {@linkcode readCheckpoint} verifies it. Header `version` 2 has the checksum; version 1 (grn
 * before checksums) has none.
 *
 * @param path Destination file.
 * @param tensors Tensors by name (names must be unique).
 * @param meta Any JSON-serialisable metadata (epoch, RNG state, history, options).
 * @throws {NonFiniteTensorError} When a float tensor holds a non-finite value (names the file
 *   and the tensor).
 */
export async function writeCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, AnyTensor> | [string, AnyTensor][],
  meta: unknown,
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : [...tensors];
  const seen = new Set<string>();
  const index: { name: string; shape: number[]; dtype: string; offset: number; length: number }[] =
    [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (seen.has(name)) {
      throw new Error(`Cannot write checkpoint ${path}: duplicate tensor name (got ${name})`);
    }
    seen.add(name);
    if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
      throw new TypeError(
        `Cannot write checkpoint ${path}: tensor ${name} must be float32 or int32 (got ${tensor.dtype})`,
      );
    }
    const values = await tensor.data();
    if (values instanceof Float32Array) {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        let count = 0;
        for (const v of values) if (!Number.isFinite(v)) count++;
        throw new NonFiniteTensorError(path, name, count, values[bad]!, bad);
      }
    }
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    index.push({
      name,
      shape: [...tensor.shape],
      dtype: tensor.dtype,
      offset,
      length: values.length,
    });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const body = new TextEncoder().encode(JSON.stringify({ version: 2, meta, tensors: index }));
  // The checksum field has a fixed length, so the padding is known before the digest.
  const headerLength = CHECKSUM_PREFIX.length + 64 + 2 + body.byteLength - 1;
  const pad = (4 - ((12 + headerLength) % 4)) % 4;
  const rest = new Uint8Array(pad + offset);
  rest.fill(0x20, 0, pad); // JSON-safe spaces
  {
    let at = pad;
    for (const chunk of chunks) {
      rest.set(chunk, at);
      at += chunk.byteLength;
    }
  }
  const digest = checkpointDigest(body, rest);
  const header = new TextEncoder().encode(
    `${CHECKSUM_PREFIX}${digest}",${new TextDecoder().decode(body.subarray(1))}`,
  );
  const total = 12 + header.byteLength + pad + offset;
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.byteLength + pad, true);
  out.set(header, 12);
  out.set(rest, 12 + header.byteLength);
  await writeFileAtomic(path, out, { mkdir: true });
}

/**
 * Reads a checkpoint written by {@linkcode writeCheckpoint} and verifies its SHA-256 checksum:
 * a checkpoint with a few bytes overwritten, or concatenated with itself, is refused.
 * Backward compatible: checkpoints written before checksums existed (header version 1, no
 * `checksum`) still load, with only the structural checks (magic, header, sizes, no bytes
 * after the last tensor).
 *
 * @throws {Error} When the file is missing, not a checkpoint, truncated, longer than its
 *   tensors, has a corrupt header or a checksum that does not match (the message names the
 *   file).
 */
export async function readCheckpoint<M = unknown>(path: string): Promise<Checkpoint<M>> {
  let bytes: Uint8Array;
  try {
    // Only a regular file: a FIFO would hang the read, a device (/dev/zero) never end it.
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new Error(
        `not a regular file (got ${
          info.isDirectory ? "a folder" : info.isFifo ? "a FIFO" : "a device or socket"
        })`,
      );
    }
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read checkpoint ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.byteLength < 12 || magic !== MAGIC) {
    throw new Error(
      `Cannot read checkpoint ${path}: not a grn checkpoint (got magic ${JSON.stringify(magic)})`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.byteLength) {
    throw new Error(
      `Cannot read checkpoint ${path}: truncated header (got ${bytes.byteLength} bytes)`,
    );
  }
  const headerBytes = bytes.subarray(12, 12 + headerLength);
  const prefix = new TextEncoder().encode(CHECKSUM_PREFIX);
  const hasChecksum = prefix.every((b, i) => headerBytes[i] === b);
  let jsonBytes = headerBytes;
  if (hasChecksum) {
    const at = prefix.length;
    const stored = new TextDecoder().decode(headerBytes.subarray(at, at + 64));
    let end = headerBytes.length;
    while (end > 0 && headerBytes[end - 1] === 0x20) end--;
    const pad = headerBytes.length - end;
    jsonBytes = new Uint8Array(end - (at + 64 + 2) + 1);
    jsonBytes[0] = 0x7b; // "{"
    jsonBytes.set(headerBytes.subarray(at + 64 + 2, end), 1);
    const actual = checkpointDigest(jsonBytes, bytes.subarray(12 + headerLength - pad));
    if (actual !== stored || headerBytes[at + 64] !== 0x22 || headerBytes[at + 65] !== 0x2c) {
      throw new Error(
        `Cannot read checkpoint ${path}: checksum mismatch, the file is corrupt (expected ` +
          `sha256:${stored}, got sha256:${actual})`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (error) {
    throw new Error(
      `Cannot read checkpoint ${path}: corrupt header (got ${(error as Error).message})`,
    );
  }
  const header = parsed as {
    version: number;
    meta: M;
    tensors: {
      name: string;
      shape: number[];
      dtype: "float32" | "int32";
      offset: number;
      length: number;
    }[];
  };
  if (
    typeof parsed !== "object" || parsed === null || !Array.isArray(header.tensors) ||
    !header.tensors.every((t) =>
      typeof t === "object" && t !== null && Number.isInteger(t.offset) && t.offset >= 0 &&
      Number.isInteger(t.length) && t.length >= 0
    )
  ) {
    throw new Error(
      `Cannot read checkpoint ${path}: corrupt header, expected a tensor list (got ${
        JSON.stringify(parsed).slice(0, 80)
      })`,
    );
  }
  if (!hasChecksum && header.version !== 1) {
    throw new Error(
      `Cannot read checkpoint ${path}: corrupt header, its checksum is missing (got version ${
        JSON.stringify(header.version)
      } without "checksum")`,
    );
  }
  const base = 12 + headerLength;
  const expected = header.tensors.reduce(
    (end, t) => Math.max(end, base + t.offset + t.length * 4),
    base,
  );
  if (bytes.byteLength > expected) {
    throw new Error(
      `Cannot read checkpoint ${path}: ${
        bytes.byteLength - expected
      } bytes after the last tensor, the file is corrupt or concatenated (expected ${expected} bytes, got ${bytes.byteLength})`,
    );
  }
  const tensors = new Map<string, StoredTensor>();
  for (const t of header.tensors) {
    const start = base + t.offset;
    const end = start + t.length * 4;
    if (end > bytes.byteLength) {
      throw new Error(
        `Cannot read checkpoint ${path}: tensor ${t.name} is truncated (needs ${end} bytes, got ${bytes.byteLength})`,
      );
    }
    const buffer = bytes.slice(start, end).buffer;
    tensors.set(t.name, {
      shape: t.shape,
      dtype: t.dtype,
      data: t.dtype === "int32" ? new Int32Array(buffer) : new Float32Array(buffer),
    });
  }
  return { meta: header.meta, tensors };
}

/**
 * Assigns stored values to variables by name.
 *
 * @throws {Error} When a name is missing from the checkpoint or a shape differs; the message
 *   names the checkpoint, the variable and both shapes.
 */
export function assignFromCheckpoint(
  checkpoint: Checkpoint,
  variables: readonly AnyVariable[],
  names: readonly string[],
  source = "checkpoint",
): void {
  tf.tidy(() => {
    variables.forEach((variable, i) => {
      const name = names[i]!;
      const stored = checkpoint.tensors.get(name);
      if (!stored) {
        throw new Error(`Cannot restore ${source}: tensor ${name} is missing`);
      }
      if (
        stored.shape.length !== variable.shape.length ||
        stored.shape.some((d, k) => d !== variable.shape[k])
      ) {
        throw new Error(
          `Cannot restore ${source}: tensor ${name} has shape [${stored.shape}] but the model expects [${variable.shape}]`,
        );
      }
      variable.assign(tf.tensor(stored.data, stored.shape, stored.dtype));
    });
  });
}
