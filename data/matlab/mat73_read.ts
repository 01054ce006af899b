/**
 * Reading MATLAB v7.3 MAT-files (`save -v7.3`): HDF5 files with a 512-byte user block, read
 * with `h5wasm` (the HDF5 C library compiled to WebAssembly; loaded on first use). Each
 * variable is a dataset whose `MATLAB_class` attribute names its class; MATLAB writes an
 * array of size `[d1, d2, d3]` as an HDF5 dataset of shape `[d3, d2, d1]` (so the bytes are
 * in column-major order) and complex data as a compound of `real` and `imag`. A 1x1 struct is
 * a group (`MATLAB_class` "struct") whose members are its fields; a cell array is a dataset of
 * HDF5 object references (`MATLAB_class` "cell") to its elements, kept in the `#refs#` group.
 *
 * @module
 */
import { ELEMENT_BYTES, type ElementType, typedFromBytes } from "../_typed_bytes.ts";
import { checkFrame, framesOf, notNumeric } from "./_mat_shared.ts";
import { MAT_MAX_BYTES, type MatListOptions, type MatVariableReadOptions } from "./mat5_read.ts";
import {
  describeMatVariable,
  formatMatPath,
  type MatArray,
  matLinearIndex,
  type MatPath,
  type MatVariableInfo,
  parseMatPath,
} from "./mat_variable.ts";

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

/** HDF5 type class of object references. */
const H5T_REFERENCE = 7;

/** True for a struct group whose fields hold references: a struct array, not opened. */
function isStructArray(node: H5): boolean {
  return (node.keys() as string[]).some((k) => {
    const field = node.get(k);
    return field?.type === "Dataset" && field.metadata?.type === H5T_REFERENCE &&
      classOf(field) !== "cell";
  });
}

function describe(name: string, node: H5): MatVariableInfo {
  if (node.type !== "Dataset") {
    const cls = classOf(node) || "group";
    if (cls === "struct" && node.type === "Group" && isStructArray(node)) {
      const field = node.get((node.keys() as string[])[0]);
      const dims = [...(field?.shape ?? [1, 1])].reverse();
      return { name, class: "struct", dims, complex: false, numeric: false };
    }
    return { name, class: cls, dims: [1, 1], complex: false, numeric: false };
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

/** Most cell elements listed per cell (a larger cell is listed without its elements). */
const MAX_LISTED_CELL = 4096;
/** Most levels of cells and structs listed or followed. */
const MAX_DEPTH = 16;

/** A cell dataset, checked to hold object references. */
function checkCell(node: H5, path: string, what: string): void {
  if (node.type !== "Dataset" || node.metadata?.type !== H5T_REFERENCE) {
    throw new Error(
      `${what}: corrupt cell ${path}: its elements must be HDF5 object references (got ${
        node.type === "Dataset" ? `HDF5 type class ${node.metadata?.type}` : `a ${node.type}`
      })`,
    );
  }
}

/** The object a cell element's reference points to. */
function dereference(f: H5, ref: H5, path: string, what: string): H5 {
  let target: H5;
  try {
    target = f.dereference(ref);
  } catch (error) {
    throw new Error(
      `${what}: corrupt cell element ${path}: its reference does not resolve (got ${
        reason(error)
      })`,
    );
  }
  if (target === null || target === undefined) {
    throw new Error(
      `${what}: corrupt cell element ${path}: its reference does not resolve (got nothing)`,
    );
  }
  return target;
}

/** The elements of a cell (column-major) or the fields of a 1x1 struct, with their paths. */
function* children(
  f: H5,
  node: H5,
  info: MatVariableInfo,
  what: string,
): Generator<{ path: string; node: H5 }> {
  if (info.class === "cell") {
    checkCell(node, info.name, what);
    const count = info.dims.reduce((a, b) => a * b, 1);
    if (count > MAX_LISTED_CELL) return;
    // The dataset's C order over the reversed dims is MATLAB's column-major order.
    const refs = node.value as H5[];
    for (let k = 0; k < count; k++) {
      const path = `${info.name}{${k + 1}}`;
      yield { path, node: dereference(f, refs[k], path, what) };
    }
  } else if (info.class === "struct" && node.type === "Group" && !isStructArray(node)) {
    for (const key of node.keys() as string[]) {
      yield { path: `${info.name}.${key}`, node: node.get(key) };
    }
  }
}

function listInside(
  f: H5,
  node: H5,
  info: MatVariableInfo,
  out: MatVariableInfo[],
  budget: { left: number },
  depth: number,
  what: string,
): void {
  if (depth >= MAX_DEPTH) return;
  for (const child of children(f, node, info, what)) {
    if (budget.left <= 0) return;
    budget.left--;
    const entry = describe(child.path, child.node);
    out.push(entry);
    listInside(f, child.node, entry, out, budget, depth + 1, what);
  }
}

/**
 * Lists the variables of a MAT v7.3 file (top-level datasets and groups; MATLAB's `#refs#`
 * and `#subsystem#` groups are left out), and on request what their cells and structs hold.
 *
 * @param bytes The file.
 * @param file The name used in error messages.
 * @param options Whether to list inside cells and structs (`nested`).
 * @returns The variables (with `nested`, each cell element and struct field after its parent,
 *   named by its path; a cell of more than 4096 elements is listed without them).
 * @throws {Error} Naming the file when it is not a readable HDF5 file, and the variable when
 *   a cell's references are corrupt.
 */
export async function listMat73Variables(
  bytes: Uint8Array,
  file: string,
  options: MatListOptions = {},
): Promise<MatVariableInfo[]> {
  const { nested = false, maxNested = 1000 } = options;
  const what = `Cannot read MAT file ${file}`;
  return await withHdf5(bytes, file, (f) => {
    const out: MatVariableInfo[] = [];
    const budget = { left: maxNested };
    for (const k of (f.keys() as string[]).filter((k) => !k.startsWith("#"))) {
      const node = f.get(k);
      const info = describe(k, node);
      out.push(info);
      if (nested) listInside(f, node, info, out, budget, 0, `${what}: in variable ${k}`);
    }
    return out;
  });
}

/** Follows a path's cell and struct steps; reads one reference per cell step. */
function locate(f: H5, path: MatPath, what: string): { node: H5; info: MatVariableInfo } {
  let node = f.get(path.variable);
  let here = path.variable;
  let info = describe(here, node);
  for (const step of path.steps) {
    const next = formatMatPath({ variable: here, steps: [step] });
    if (step.kind === "cell") {
      if (info.class !== "cell") {
        throw new Error(
          `${what}: no ${next}: ${here} is not a cell array (got ${describeMatVariable(info)})`,
        );
      }
      checkCell(node, here, what);
      const k = matLinearIndex(step.index, info.dims);
      if (typeof k === "string") {
        throw new Error(`${what}: no ${next}: ${k} (got ${describeMatVariable(info)})`);
      }
      // Column-major subscripts of k, reversed into the dataset's (C-order) coordinates.
      const coords: number[] = [];
      let rest = k;
      for (const d of info.dims) {
        coords.push(rest % d);
        rest = Math.floor(rest / d);
      }
      const [ref] = node.slice(coords.reverse().map((c) => [c, c + 1])) as H5[];
      node = dereference(f, ref, next, what);
    } else {
      if (info.class !== "struct" || node.type !== "Group") {
        throw new Error(
          `${what}: no ${next}: ${here} is not a struct (got ${describeMatVariable(info)})`,
        );
      }
      if (isStructArray(node)) {
        throw new Error(
          `${what}: no ${next}: ${here} is a struct array and fields are read from 1x1 structs only (got ${
            describeMatVariable(info)
          })`,
        );
      }
      const fields = node.keys() as string[];
      if (!fields.includes(step.name)) {
        throw new Error(
          `${what}: no ${next}: struct ${here} has no field ${step.name} (got fields ${
            fields.join(", ") || "none"
          })`,
        );
      }
      node = node.get(step.name);
    }
    here = next;
    info = describe(here, node);
  }
  return { node, info };
}

/**
 * Reads one numeric variable of a MAT v7.3 file, or an array inside its cells and structs.
 * The dataset's declared size is checked against `maxBytes` before anything is read, so a
 * small file with a huge compressed dataset costs no memory; with `frame`, only that frame is
 * read (an HDF5 hyperslab).
 *
 * @param bytes The file.
 * @param name The variable, or a path into it (`ImgData{1}`, `P.spacing`; see `parseMatPath`).
 * @param file The name used in error messages.
 * @param maxBytes Largest array accepted, in bytes (of the frame read, with `frame`).
 * @param options The frame of a 4-D array.
 * @returns The array (column-major), or `undefined` when the file has no such variable.
 * @throws {Error} Naming the file and the variable when the path does not lead to a full
 *   numeric array, it is larger than `maxBytes`, the frame is out of range, or it cannot be
 *   read.
 */
export async function readMat73Variable(
  bytes: Uint8Array,
  name: string,
  file: string,
  maxBytes: number = MAT_MAX_BYTES,
  options: MatVariableReadOptions = {},
): Promise<MatArray | undefined> {
  const what = `Cannot read MAT file ${file}`;
  let path: MatPath;
  try {
    path = parseMatPath(name);
  } catch (error) {
    throw new RangeError(
      `${what}: ${(error as Error).message.replace(/^Cannot parse MAT variable path: /, "")}`,
    );
  }
  return await withHdf5(bytes, file, (f, module) => {
    if (!(f.keys() as string[]).includes(path.variable)) return undefined;
    const scope = path.steps.length > 0 ? `${what}: in variable ${path.variable}` : what;
    const { node, info: found } = locate(f, path, scope);
    const info = { ...found, name };
    if (!info.numeric) throw notNumeric(info, what);
    const frame = checkFrame(info, options.frame, what);
    const meta = node.metadata;
    const count = frame.dims.reduce((a: number, b: number) => a * b, 1);
    const total = count * (meta.size as number);
    if (total > maxBytes) {
      throw new Error(
        `${what}: variable ${name} holds ${total} bytes, more than the limit of ${maxBytes} (maxBytes; got ${total})`,
      );
    }
    // A frame is the hyperslab [frame, 0, ...] of size [1, ...] along MATLAB's 4th dimension,
    // which is the dataset's axis (rank - 4) (its shape is MATLAB's size reversed).
    let hyperslab: [bigint[], bigint[], bigint[]] | [null, null, null] = [null, null, null];
    if (options.frame !== undefined && frame.frames > 1) {
      const shape = node.shape as number[];
      const axis = shape.length - 4;
      hyperslab = [
        shape.map((s, i) => BigInt(i === axis ? 1 : s)),
        shape.map((_, i) => BigInt(i === axis ? frame.index : 0)),
        shape.map(() => 1n),
      ];
    }
    const ptr = module._malloc(Math.max(1, total));
    if (!ptr) {
      throw new Error(
        `${what}: out of WebAssembly memory for ${total} bytes of ${name} (got none)`,
      );
    }
    let raw: Uint8Array;
    try {
      module.get_dataset_data(
        f.file_id,
        node.path,
        hyperslab[0],
        hyperslab[1],
        hyperslab[2],
        BigInt(ptr),
      );
      raw = module.HEAPU8.slice(ptr, ptr + total);
    } catch (error) {
      throw new Error(
        `${what}: cannot read variable ${name} (got ${reason(error)})`,
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
      return { ...info, dims: frame.dims, real, ...framesOf(options, frame) };
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
    return {
      ...info,
      dims: frame.dims,
      real: part("real"),
      imag: part("imag"),
      ...framesOf(options, frame),
    };
  });
}
