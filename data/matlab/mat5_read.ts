/**
 * A small reader of MATLAB Level 5 MAT-files (MATLAB v5 to v7, `save -v7` and earlier; also
 * scipy's `savemat`), compressed (`miCOMPRESSED`) or not, in either byte order. It lists the
 * variables (and, on request, the elements of cell arrays and the fields of 1x1 structs, as
 * paths like `ImgData{1}` or `P.spacing`) and returns full numeric arrays, whole or one frame
 * of a 4-D array; objects, sparse and char arrays and struct arrays are listed but not read.
 *
 * Why not an npm package: the one Level 5 reader on npm (`mat-for-js`) is GPL-3.0, inflates
 * without a size limit and returns nested JavaScript arrays (gigabytes of objects for one
 * scan). The format is small (MathWorks' "MAT-File Format" document); this reader inflates
 * each element only up to the size its tag announces and decodes into typed arrays.
 *
 * @module
 */
import { constants as zlibConstants, inflateSync } from "node:zlib";
import { show } from "../_file_io.ts";
import { ELEMENT_BYTES, type ElementType, newTypedArray, typedFromBytes } from "../_typed_bytes.ts";
import type { VolumeArray } from "../volume.ts";
import { checkFrame, framesOf, notNumeric } from "./_mat_shared.ts";
import {
  describeMatVariable,
  formatMatPath,
  type MatArray,
  matLinearIndex,
  type MatPath,
  type MatVariableInfo,
  parseMatPath,
} from "./mat_variable.ts";

/** Largest array data a MAT reader returns by default, in bytes (4 GiB). */
export const MAT_MAX_BYTES = 4 * 1024 ** 3;

/** True when `bytes` starts like a Level 5 MAT-file (`MATLAB 5.0 MAT-file`). */
export function isMat5(bytes: Uint8Array): boolean {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 19));
  return text === "MATLAB 5.0 MAT-file" && bytes.length >= 128;
}

const MI_TYPES: Record<number, ElementType> = {
  1: "int8",
  2: "uint8",
  3: "int16",
  4: "uint16",
  5: "int32",
  6: "uint32",
  7: "float32",
  9: "float64",
  12: "int64",
  13: "uint64",
};
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;

const CLASSES: Record<number, string> = {
  1: "cell",
  2: "struct",
  3: "object",
  4: "char",
  5: "sparse",
  6: "double",
  7: "single",
  8: "int8",
  9: "uint8",
  10: "int16",
  11: "uint16",
  12: "int32",
  13: "uint32",
  14: "int64",
  15: "uint64",
  16: "function",
  17: "opaque",
};
const CLASS_TYPES: Record<string, ElementType> = {
  double: "float64",
  single: "float32",
  int8: "int8",
  uint8: "uint8",
  int16: "int16",
  uint16: "uint16",
  int32: "int32",
  uint32: "uint32",
  int64: "int64",
  uint64: "uint64",
  logical: "uint8",
};

interface Element {
  type: number;
  /** Offset of the data. */
  start: number;
  /** Number of data bytes. */
  size: number;
  /** Offset of the next element (8-byte aligned, except after compressed data). */
  next: number;
}

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly little: boolean, readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The element (or sub-element) whose tag is at `at`, checked to lie inside `end`. */
  element(at: number, end: number, padded = true): Element {
    if (at + 8 > end) {
      throw new Error(
        `${this.what}: truncated data: a data element tag at byte ${at} runs past the end (got ${end} bytes)`,
      );
    }
    const word = this.view.getUint32(at, this.little);
    const small = word >>> 16;
    if (small !== 0) {
      if (small > 4) {
        throw new Error(
          `${this.what}: corrupt data element at byte ${at}: a small element of ${small} bytes (got at most 4)`,
        );
      }
      return { type: word & 0xffff, start: at + 4, size: small, next: at + 8 };
    }
    const size = this.view.getUint32(at + 4, this.little);
    const next = at + 8 + (padded ? Math.ceil(size / 8) * 8 : size);
    if (at + 8 + size > end) {
      throw new Error(
        `${this.what}: truncated data: element of type ${word} at byte ${at} announces ${size} bytes (got ${
          Math.max(0, end - at - 8)
        })`,
      );
    }
    return { type: word, start: at + 8, size, next: Math.min(next, end) };
  }
}

/** Parses the array flags, dimensions and name of a matrix element's data. */
function matrixHeader(
  r: Reader,
  m: Element,
): { info: MatVariableInfo; logical: boolean; after: number } {
  const end = m.start + m.size;
  if (m.size === 0) {
    return {
      info: { name: "", class: "empty", dims: [0, 0], complex: false, numeric: false },
      logical: false,
      after: end,
    };
  }
  const flags = r.element(m.start, end);
  if (flags.type !== 6 || flags.size !== 8) {
    throw new Error(
      `${r.what}: corrupt array flags at byte ${m.start} (expected 8 bytes of miUINT32, got type ${flags.type} of ${flags.size} bytes)`,
    );
  }
  const word = r.view.getUint32(flags.start, r.little);
  const classCode = word & 0xff;
  const complex = (word & 0x0800) !== 0;
  const logical = (word & 0x0200) !== 0;
  const dimsEl = r.element(flags.next, end);
  if (dimsEl.type !== 5 || dimsEl.size % 4 !== 0 || dimsEl.size < 8) {
    throw new Error(
      `${r.what}: corrupt dimensions at byte ${flags.next} (expected miINT32 values, got type ${dimsEl.type} of ${dimsEl.size} bytes)`,
    );
  }
  const dims: number[] = [];
  for (let k = 0; k < dimsEl.size / 4; k++) {
    const d = r.view.getInt32(dimsEl.start + 4 * k, r.little);
    if (d < 0) throw new Error(`${r.what}: corrupt dimensions (got ${d})`);
    dims.push(d);
  }
  const nameEl = r.element(dimsEl.next, end);
  const name = new TextDecoder("latin1").decode(
    r.bytes.subarray(nameEl.start, nameEl.start + nameEl.size),
  );
  let cls = CLASSES[classCode] ?? `class ${classCode}`;
  if (logical && CLASS_TYPES[cls] !== undefined) cls = "logical";
  const numeric = CLASS_TYPES[cls] !== undefined;
  return { info: { name, class: cls, dims, complex, numeric }, logical, after: nameEl.next };
}

/** Reads the real or imaginary part, converting the stored type to the class's type. */
function readPart(
  r: Reader,
  el: Element,
  cls: string,
  count: number,
  part: string,
  name: string,
  range: { first: number; count: number } = { first: 0, count },
): VolumeArray {
  const stored = MI_TYPES[el.type];
  if (stored === undefined) {
    throw new Error(
      `${r.what}: the ${part} part of ${name} has an unknown data type (got ${el.type})`,
    );
  }
  const size = ELEMENT_BYTES[stored];
  if (el.size !== count * size) {
    throw new Error(
      `${r.what}: the ${part} part of ${name} has ${el.size} bytes, but ${count} ${stored} values need ${
        count * size
      } (got ${el.size})`,
    );
  }
  const values = typedFromBytes(
    r.bytes.subarray(el.start + range.first * size, el.start + (range.first + range.count) * size),
    stored,
    range.count,
    r.little,
    r.what,
  );
  const type = CLASS_TYPES[cls]!;
  if (type === stored) return values;
  const out = newTypedArray(type, range.count);
  out.set(values);
  return out;
}

/** Inflates at least `minBytes` of a zlib stream's start, with bounded memory. */
function inflatePrefix(bytes: Uint8Array, minBytes: number, what: string): Uint8Array {
  let last: unknown;
  for (let k = 64; k <= 1 << 16; k *= 4) {
    const end = Math.min(k, bytes.length);
    try {
      const out = inflateSync(bytes.subarray(0, end), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      if (out.length >= minBytes || end === bytes.length) {
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      }
    } catch (error) {
      last = error;
      if (end === bytes.length) break;
    }
  }
  throw new Error(
    `${what}: corrupt compressed data (got ${
      last ? (last as Error).message : `no ${minBytes}-byte header in the first 64 KiB`
    })`,
  );
}

/** The parsed file: its byte order and top-level elements. */
function topLevel(bytes: Uint8Array, file: string): { r: Reader; elements: Element[] } {
  const what = `Cannot read MAT file ${file}`;
  if (!isMat5(bytes)) {
    throw new Error(
      `${what}: not a Level 5 MAT-file (expected "MATLAB 5.0 MAT-file", got ${
        show(new TextDecoder("latin1").decode(bytes.subarray(0, 19)))
      })`,
    );
  }
  const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (indicator !== "IM" && indicator !== "MI") {
    throw new Error(
      `${what}: unknown endian indicator (expected "IM" or "MI", got ${show(indicator)})`,
    );
  }
  const r = new Reader(bytes, indicator === "IM", what);
  const elements: Element[] = [];
  for (let at = 128; at < bytes.length;) {
    if (bytes.length - at < 8 && bytes.subarray(at).every((b) => b === 0)) break; // padding
    const el = r.element(at, bytes.length, r.view.getUint32(at, r.little) !== MI_COMPRESSED);
    elements.push(el);
    at = el.next;
  }
  return { r, elements };
}

/** The matrix element inside a top-level element (inflated when compressed). */
function matrixOf(
  r: Reader,
  el: Element,
  headerOnly: boolean,
  maxBytes: number,
): { r: Reader; m: Element } | undefined {
  if (el.type === MI_MATRIX) return { r, m: el };
  if (el.type !== MI_COMPRESSED) return undefined;
  const data = r.bytes.subarray(el.start, el.start + el.size);
  const head = inflatePrefix(data, 8, r.what);
  const hr = new Reader(head, r.little, r.what);
  if (head.length < 8) {
    throw new Error(
      `${r.what}: truncated compressed element at byte ${el.start - 8} (got ${head.length} bytes)`,
    );
  }
  const type = hr.view.getUint32(0, r.little);
  const size = hr.view.getUint32(4, r.little);
  if (type !== MI_MATRIX) return undefined;
  if (size > maxBytes + 65536) {
    throw new Error(
      `${r.what}: a compressed variable announces ${size} bytes, more than the limit of ${maxBytes} (maxBytes; got ${size})`,
    );
  }
  let inflated: Uint8Array;
  if (headerOnly) {
    inflated = inflatePrefix(data, Math.min(8 + size, 4096), r.what);
    if (inflated.length < 8 + size) {
      // Enough for the flags, dimensions and name; the data are not needed.
      const ir = new Reader(inflated, r.little, r.what);
      return { r: ir, m: { type, start: 8, size: inflated.length - 8, next: inflated.length } };
    }
  } else {
    try {
      const out = inflateSync(data, { maxOutputLength: Math.max(1, 8 + size) });
      inflated = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      const e = error as Error & { code?: string };
      throw new Error(
        e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError
          ? `${r.what}: compressed data inflate to more than the ${
            8 + size
          } bytes their tag announces (decompression stopped)`
          : `${r.what}: corrupt or truncated compressed data at byte ${
            el.start - 8
          } (got ${e.message})`,
      );
    }
  }
  const ir = new Reader(inflated, r.little, r.what);
  return { r: ir, m: ir.element(0, inflated.length) };
}

/** Options of {@linkcode listMat5Variables} and `listMat73Variables`. */
export interface MatListOptions {
  /**
   * Also list the elements of cell arrays (`ImgData{1}`, 1-based linear indices) and the fields
   * of 1x1 structs (`P.spacing`), at any depth, each after its parent. A compressed cell or
   * struct is inflated whole for this (up to `maxBytes`); struct arrays are listed, not opened.
   * @default {false}
   */
  nested?: boolean;
  /**
   * Most cell elements and struct fields listed, all variables together (the rest are left
   * out, so a file with a huge cell still lists quickly).
   * @default {1000}
   */
  maxNested?: number;
}

/** Options of {@linkcode readMat5Variable} and `readMat73Variable`. */
export interface MatVariableReadOptions {
  /**
   * Read one frame of a 4-D array (frames along MATLAB's 4th dimension, as in a Verasonics
   * `ImgData{1}`): 1-based, like MATLAB's `A(:, :, :, frame)`. The array returned then has
   * the first three dimensions. An array with fewer dimensions has one frame.
   * @default {the whole array}
   */
  frame?: number;
}

/** Most levels of cells and structs listed or followed. */
const MAX_DEPTH = 16;

/** The most recently inflated compressed variable of a file, so listing then reading inflates once. */
const inflated = new WeakMap<Uint8Array, { start: number; found: { r: Reader; m: Element } }>();

function fullMatrix(
  r: Reader,
  el: Element,
  maxBytes: number,
): { r: Reader; m: Element } | undefined {
  const cached = inflated.get(r.bytes);
  if (cached && cached.start === el.start) return cached.found;
  const found = matrixOf(r, el, false, maxBytes);
  if (found && el.type === MI_COMPRESSED) inflated.set(r.bytes, { start: el.start, found });
  return found;
}

/** A reader of the same bytes whose messages name the variable being read. */
function scoped(r: Reader, variable: string): Reader {
  return new Reader(r.bytes, r.little, `${r.what}: in variable ${variable}`);
}

/** The field names of a 1x1 struct's matrix element and the offset of its first field. */
function structFields(
  r: Reader,
  m: Element,
  after: number,
  path: string,
): { fields: string[]; first: number } {
  const end = m.start + m.size;
  const lenEl = r.element(after, end);
  if (lenEl.type !== 5 || lenEl.size !== 4) {
    throw new Error(
      `${r.what}: corrupt struct ${path}: the field name length must be one miINT32 (got type ${lenEl.type} of ${lenEl.size} bytes)`,
    );
  }
  const length = r.view.getInt32(lenEl.start, r.little);
  if (!(length >= 1 && length <= 4096)) {
    throw new Error(
      `${r.what}: corrupt struct ${path}: the field name length must be 1 to 4096 bytes (got ${length})`,
    );
  }
  const namesEl = r.element(lenEl.next, end);
  if ((namesEl.type !== 1 && namesEl.type !== 2) || namesEl.size % length !== 0) {
    throw new Error(
      `${r.what}: corrupt struct ${path}: the field names must be miINT8 text, a multiple of ${length} bytes (got type ${namesEl.type} of ${namesEl.size} bytes)`,
    );
  }
  const fields: string[] = [];
  const text = new TextDecoder("latin1");
  for (let at = namesEl.start; at < namesEl.start + namesEl.size; at += length) {
    const raw = r.bytes.subarray(at, at + length);
    const nul = raw.indexOf(0);
    fields.push(text.decode(nul < 0 ? raw : raw.subarray(0, nul)));
  }
  return { fields, first: namesEl.next };
}

/** The matrix sub-element at `at` inside `end`, checked to be one. */
function subMatrix(r: Reader, at: number, end: number, which: string): Element {
  const el = r.element(at, end);
  if (el.type !== MI_MATRIX) {
    throw new Error(
      `${r.what}: corrupt ${which}: not an array element (expected type ${MI_MATRIX}, got type ${el.type})`,
    );
  }
  return el;
}

/**
 * The elements of a cell array (column-major) or the fields of a 1x1 struct, with their
 * paths; nothing for other classes and for struct arrays. Lazy, so reaching one element costs
 * no memory for the others.
 */
function* children(
  r: Reader,
  m: Element,
  info: MatVariableInfo,
  after: number,
  path: string,
): Generator<{ path: string; m: Element }> {
  const end = m.start + m.size;
  const count = info.dims.reduce((a, b) => a * b, 1);
  if (info.class === "cell") {
    let at = after;
    for (let k = 1; k <= count; k++) {
      const el = subMatrix(r, at, end, `cell element ${path}{${k}}`);
      yield { path: `${path}{${k}}`, m: el };
      at = el.next;
    }
  } else if (info.class === "struct" && count === 1) {
    const { fields, first } = structFields(r, m, after, path);
    let at = first;
    for (const f of fields) {
      const el = subMatrix(r, at, end, `struct field ${path}.${f}`);
      yield { path: `${path}.${f}`, m: el };
      at = el.next;
    }
  }
}

function listInside(
  r: Reader,
  m: Element,
  info: MatVariableInfo,
  after: number,
  out: MatVariableInfo[],
  budget: { left: number },
  depth: number,
): void {
  if (depth >= MAX_DEPTH) return;
  for (const child of children(r, m, info, after, info.name)) {
    if (budget.left <= 0) return;
    budget.left--;
    const h = matrixHeader(r, child.m);
    const entry = { ...h.info, name: child.path };
    out.push(entry);
    if (entry.class === "cell" || entry.class === "struct") {
      listInside(r, child.m, entry, h.after, out, budget, depth + 1);
    }
  }
}

/**
 * Lists the variables of a Level 5 MAT-file. Compressed variables are inflated only as far as
 * their name and size (a few hundred bytes each), except cells and structs when `nested` asks
 * for their contents.
 *
 * @param bytes The file.
 * @param file The name used in error messages.
 * @param maxBytes Largest variable accepted, in bytes.
 * @param options Whether to list inside cells and structs.
 * @returns The variables in file order (with `nested`, each cell element and struct field
 *   after its parent, named by its path).
 * @throws {Error} Naming the file when it is not a Level 5 MAT-file or is corrupt or truncated
 *   (naming the variable too when a cell or struct is).
 */
export function listMat5Variables(
  bytes: Uint8Array,
  file: string,
  maxBytes: number = MAT_MAX_BYTES,
  options: MatListOptions = {},
): MatVariableInfo[] {
  const { nested = false, maxNested = 1000 } = options;
  const { r, elements } = topLevel(bytes, file);
  const out: MatVariableInfo[] = [];
  const budget = { left: maxNested };
  for (const el of elements) {
    const found = matrixOf(r, el, true, maxBytes);
    if (!found) continue;
    const { info } = matrixHeader(found.r, found.m);
    out.push(info);
    const count = info.dims.reduce((a, b) => a * b, 1);
    const container = info.class === "cell" || (info.class === "struct" && count === 1);
    if (nested && container && budget.left > 0) {
      const full = fullMatrix(r, el, maxBytes)!;
      const sr = scoped(full.r, info.name);
      const h = matrixHeader(sr, full.m);
      listInside(sr, full.m, { ...h.info, name: info.name }, h.after, out, budget, 0);
    }
  }
  return out;
}

/** Follows a path's cell and struct steps from a variable's matrix element. */
function locate(
  r: Reader,
  m: Element,
  path: MatPath,
): { m: Element; info: MatVariableInfo; after: number; logical: boolean } {
  let h = matrixHeader(r, m);
  let here = path.variable;
  let info: MatVariableInfo = { ...h.info, name: here };
  for (const step of path.steps) {
    const next = formatMatPath({ variable: here, steps: [step] });
    const count = info.dims.reduce((a, b) => a * b, 1);
    let target: number;
    if (step.kind === "cell") {
      if (info.class !== "cell") {
        throw new Error(
          `${r.what}: no ${next}: ${here} is not a cell array (got ${describeMatVariable(info)})`,
        );
      }
      const k = matLinearIndex(step.index, info.dims);
      if (typeof k === "string") {
        throw new Error(`${r.what}: no ${next}: ${k} (got ${describeMatVariable(info)})`);
      }
      target = k;
    } else {
      if (info.class !== "struct") {
        throw new Error(
          `${r.what}: no ${next}: ${here} is not a struct (got ${describeMatVariable(info)})`,
        );
      }
      if (count !== 1) {
        throw new Error(
          `${r.what}: no ${next}: ${here} is a struct array and fields are read from 1x1 structs only (got ${
            describeMatVariable(info)
          })`,
        );
      }
      const { fields } = structFields(r, m, h.after, here);
      target = fields.indexOf(step.name);
      if (target < 0) {
        throw new Error(
          `${r.what}: no ${next}: struct ${here} has no field ${step.name} (got fields ${
            fields.join(", ") || "none"
          })`,
        );
      }
    }
    let k = 0;
    let found: Element | undefined;
    for (const child of children(r, m, info, h.after, here)) {
      if (k++ === target) {
        found = child.m;
        break;
      }
    }
    m = found!;
    h = matrixHeader(r, m);
    here = next;
    info = { ...h.info, name: here };
  }
  return { m, info, after: h.after, logical: h.logical };
}

function parsePath(name: string, what: string): MatPath {
  try {
    return parseMatPath(name);
  } catch (error) {
    throw new RangeError(
      `${what}: ${(error as Error).message.replace(/^Cannot parse MAT variable path: /, "")}`,
    );
  }
}

/**
 * Reads one numeric variable of a Level 5 MAT-file, or an array inside its cells and structs.
 *
 * @param bytes The file.
 * @param name The variable, or a path into it (`ImgData{1}`, `P.spacing`; see `parseMatPath`).
 * @param file The name used in error messages.
 * @param maxBytes Largest array accepted, in bytes (of the frame read, with `frame`).
 * @param options The frame of a 4-D array.
 * @returns The array (column-major), or `undefined` when the file has no such variable.
 * @throws {Error} Naming the file and the variable when the path does not lead to a full
 *   numeric array (a missing field or cell element, a struct array, ...), it is larger than
 *   `maxBytes`, the frame is out of range, or its data are corrupt or truncated.
 */
export function readMat5Variable(
  bytes: Uint8Array,
  name: string,
  file: string,
  maxBytes: number = MAT_MAX_BYTES,
  options: MatVariableReadOptions = {},
): MatArray | undefined {
  const { r, elements } = topLevel(bytes, file);
  const path = parsePath(name, r.what);
  for (const el of elements) {
    const head = matrixOf(r, el, true, maxBytes);
    if (!head || matrixHeader(head.r, head.m).info.name !== path.variable) continue;
    const full = fullMatrix(r, el, maxBytes)!;
    const sr = path.steps.length > 0 ? scoped(full.r, path.variable) : full.r;
    const { m, info: found, after } = locate(sr, full.m, path);
    const info = { ...found, name };
    if (!info.numeric) throw notNumeric(info, r.what);
    const frame = checkFrame(info, options.frame, r.what);
    const total = info.dims.reduce((a, b) => a * b, 1);
    const count = frame.dims.reduce((a, b) => a * b, 1);
    const bytesNeeded = count * ELEMENT_BYTES[CLASS_TYPES[info.class]!] * (info.complex ? 2 : 1);
    if (bytesNeeded > maxBytes) {
      throw new Error(
        `${r.what}: variable ${name} holds ${bytesNeeded} bytes, more than the limit of ${maxBytes} (maxBytes; got ${bytesNeeded})`,
      );
    }
    const end = m.start + m.size;
    const range = { first: frame.index * count, count };
    const realEl = sr.element(after, end);
    const real = readPart(sr, realEl, info.class, total, "real", name, range);
    const array: MatArray = { ...info, dims: frame.dims, real, ...framesOf(options, frame) };
    if (info.complex) {
      const imagEl = sr.element(realEl.next, end);
      array.imag = readPart(sr, imagEl, info.class, total, "imaginary", name, range);
    }
    return array;
  }
  return undefined;
}
