/**
 * Reading MATLAB v7.3 MAT-files (`save -v7.3`): HDF5 files with a 512-byte user block, read
 * with `h5wasm` (the HDF5 C library compiled to WebAssembly; loaded on first use). Each
 * variable is a dataset whose `MATLAB_class` attribute names its class; MATLAB writes an
 * array of size `[d1, d2, d3]` as an HDF5 dataset of shape `[d3, d2, d1]` (so the bytes are
 * in column-major order) and complex data as a compound of `real` and `imag`.
 *
 * @module
 */
import { ELEMENT_BYTES, type ElementType, typedFromBytes } from "../_typed_bytes.ts";
import { MAT_MAX_BYTES } from "./mat5_read.ts";
import type { MatArray, MatVariableInfo } from "./mat_variable.ts";

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * True when `bytes` hold an HDF5 signature at offset 0 or 512 (a MAT v7.3 file: MATLAB's
 * 128-byte text header in a 512-byte user block, then HDF5).
 */
export function isMat73(bytes: Uint8Array): boolean {
  return [0, 512].some((at) => HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b));
}

const NUMERIC = new Set([
  "double",
  "single",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "logical",
]);

// deno-lint-ignore no-explicit-any
type H5 = any;
let loaded: Promise<H5> | undefined;

/** h5wasm and its WebAssembly module, loaded once. */
function h5wasm(): Promise<H5> {
  loaded ??= (async () => {
    const h5 = (await import("h5wasm")).default;
    const module = await h5.ready;
    return { h5, module };
  })();
  return loaded;
}

let fileCounter = 0;

/** The first line of an HDF5 error, for a message. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const detail = lines.find((l) => /^#\d+:/.test(l));
  return (detail ?? lines[0] ?? "unknown error").replace(/^#\d+: \S+ line \d+ in /, "").slice(
    0,
    200,
  );
}

/**
 * Opens `bytes` as an HDF5 file in h5wasm's memory file system for the duration of `fn`.
 * HDF5 errors (printed to stderr by default) are thrown instead and reported naming the file.
 */
async function withHdf5<T>(
  bytes: Uint8Array,
  file: string,
  fn: (f: H5, module: H5) => T,
): Promise<T> {
  const { h5, module } = await h5wasm();
  module.activate_throwing_error_handler();
  const name = `/grn_mat73_${Deno.pid}_${fileCounter++}.h5`;
  module.FS.writeFile(name, bytes);
  let f: H5 | undefined;
  try {
    f = new h5.File(name, "r");
    return fn(f, module);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`Cannot read MAT file ${file}`)) {
      throw error;
    }
    throw new Error(
      `Cannot read MAT file ${file}: not a readable HDF5 (MAT v7.3) file: corrupt or truncated (got ${
        reason(error)
      })`,
      { cause: error },
    );
  } finally {
    try {
      f?.close();
    } catch { /* a file that failed to open has nothing to close */ }
    module.FS.unlink(name);
  }
}

function classOf(node: H5): string {
  const value = node.attrs?.["MATLAB_class"]?.value;
  return typeof value === "string" ? value : Array.isArray(value) ? String(value[0]) : "";
}

function describe(name: string, node: H5): MatVariableInfo {
  if (node.type !== "Dataset") {
    return { name, class: classOf(node) || "group", dims: [1, 1], complex: false, numeric: false };
  }
  const cls = classOf(node) || "unknown";
  const shape: number[] = node.shape ?? [];
  const dims = shape.length === 0 ? [1, 1] : [...shape].reverse();
  const meta = node.metadata;
  const members: H5[] = meta?.compound_type?.members ?? [];
  const complex = meta?.type === 6 && members.some((m) => m.name === "real") &&
    members.some((m) => m.name === "imag");
  const empty = node.attrs?.["MATLAB_empty"] !== undefined;
  const numeric = NUMERIC.has(cls) && !empty && (meta?.type === 0 || meta?.type === 1 || complex);
  return { name, class: empty ? `empty ${cls}` : cls, dims, complex, numeric };
}

/** HDF5 integer/float metadata → element type. */
function elementType(meta: H5, what: string): ElementType {
  const size = meta.size as number;
  if (meta.type === 1) {
    if (size === 4) return "float32";
    if (size === 8) return "float64";
  } else if (meta.type === 0) {
    const t = `${meta.signed ? "int" : "uint"}${size * 8}` as ElementType;
    if (t in ELEMENT_BYTES) return t;
  }
  throw new Error(
    `${what}: unsupported HDF5 element type (got class ${meta.type} of ${size} bytes)`,
  );
}

/**
 * Lists the variables of a MAT v7.3 file (top-level datasets and groups; MATLAB's `#refs#`
 * and `#subsystem#` groups are left out).
 *
 * @param bytes The file.
 * @param file The name used in error messages.
 * @returns The variables.
 * @throws {Error} Naming the file when it is not a readable HDF5 file.
 */
export async function listMat73Variables(
  bytes: Uint8Array,
  file: string,
): Promise<MatVariableInfo[]> {
  return await withHdf5(
    bytes,
    file,
    (f) =>
      (f.keys() as string[]).filter((k) => !k.startsWith("#")).map((k) => describe(k, f.get(k))),
  );
}

/**
 * Reads one numeric variable of a MAT v7.3 file. The dataset's declared size is checked
 * against `maxBytes` before anything is read, so a small file with a huge compressed dataset
 * costs no memory.
 *
 * @param bytes The file.
 * @param name The variable.
 * @param file The name used in error messages.
 * @param maxBytes Largest array accepted, in bytes.
 * @returns The array (column-major), or `undefined` when there is no such variable.
 * @throws {Error} Naming the file and the variable when it is not a full numeric array, is
 *   larger than `maxBytes`, or cannot be read.
 */
export async function readMat73Variable(
  bytes: Uint8Array,
  name: string,
  file: string,
  maxBytes = MAT_MAX_BYTES,
): Promise<MatArray | undefined> {
  const what = `Cannot read MAT file ${file}`;
  return await withHdf5(bytes, file, (f, module) => {
    if (name.startsWith("#") || !(f.keys() as string[]).includes(name)) return undefined;
    const node = f.get(name);
    const info = describe(name, node);
    if (!info.numeric) {
      throw new Error(
        `${what}: variable ${name} is a ${info.class}, not a numeric array (got class ${info.class})`,
      );
    }
    const meta = node.metadata;
    const count = info.dims.reduce((a: number, b: number) => a * b, 1);
    const total = count * (meta.size as number);
    if (total > maxBytes) {
      throw new Error(
        `${what}: variable ${name} holds ${total} bytes, more than the limit of ${maxBytes} (maxBytes; got ${total})`,
      );
    }
    const ptr = module._malloc(Math.max(1, total));
    if (!ptr) {
      throw new Error(
        `${what}: out of WebAssembly memory for ${total} bytes of ${name} (got none)`,
      );
    }
    let raw: Uint8Array;
    try {
      module.get_dataset_data(f.file_id, node.path, null, null, null, BigInt(ptr));
      raw = module.HEAPU8.slice(ptr, ptr + total);
    } catch (error) {
      throw new Error(
        `${what}: cannot read variable ${name} (got ${(error as Error).message ?? error})`,
      );
    } finally {
      module._free(ptr);
    }
    if (!info.complex) {
      const real = typedFromBytes(
        raw,
        elementType(meta, what),
        count,
        meta.littleEndian !== false,
        what,
      );
      return { ...info, real };
    }
    const parts = meta.compound_type.members as H5[];
    const part = (partName: string) => {
      const m = parts.find((p) => p.name === partName)!;
      const type = elementType(m, what);
      const size = ELEMENT_BYTES[type];
      const out = new Uint8Array(count * size);
      for (let i = 0; i < count; i++) {
        out.set(raw.subarray(i * meta.size + m.offset, i * meta.size + m.offset + size), i * size);
      }
      return typedFromBytes(out, type, count, m.littleEndian !== false, what);
    };
    return { ...info, real: part("real"), imag: part("imag") };
  });
}
