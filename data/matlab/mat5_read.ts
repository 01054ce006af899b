/**
 * A small reader of MATLAB Level 5 MAT-files (MATLAB v5 to v7, `save -v7` and earlier; also
 * scipy's `savemat`), compressed (`miCOMPRESSED`) or not, in either byte order. It lists the
 * variables and returns full numeric arrays; structs, cells, objects, sparse and char arrays
 * are listed but not read.
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
import type { MatArray, MatVariableInfo } from "./mat_variable.ts";

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
    r.bytes.subarray(el.start, el.start + el.size),
    stored,
    count,
    r.little,
    r.what,
  );
  const type = CLASS_TYPES[cls]!;
  if (type === stored) return values;
  const out = newTypedArray(type, count);
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

/**
 * Lists the variables of a Level 5 MAT-file. Compressed variables are inflated only as far as
 * their name and size (a few hundred bytes each).
 *
 * @param bytes The file.
 * @param file The name used in error messages.
 * @param maxBytes Largest variable accepted, in bytes.
 * @returns The variables in file order.
 * @throws {Error} Naming the file when it is not a Level 5 MAT-file or is corrupt or truncated.
 */
export function listMat5Variables(
  bytes: Uint8Array,
  file: string,
  maxBytes = MAT_MAX_BYTES,
): MatVariableInfo[] {
  const { r, elements } = topLevel(bytes, file);
  const out: MatVariableInfo[] = [];
  for (const el of elements) {
    const found = matrixOf(r, el, true, maxBytes);
    if (found) out.push(matrixHeader(found.r, found.m).info);
  }
  return out;
}

/**
 * Reads one numeric variable of a Level 5 MAT-file.
 *
 * @param bytes The file.
 * @param name The variable.
 * @param file The name used in error messages.
 * @param maxBytes Largest array accepted, in bytes.
 * @returns The array (column-major), or `undefined` when there is no such variable.
 * @throws {Error} Naming the file and the variable when it is not a full numeric array, is
 *   larger than `maxBytes`, or its data are corrupt or truncated.
 */
export function readMat5Variable(
  bytes: Uint8Array,
  name: string,
  file: string,
  maxBytes = MAT_MAX_BYTES,
): MatArray | undefined {
  const { r, elements } = topLevel(bytes, file);
  for (const el of elements) {
    const head = matrixOf(r, el, true, maxBytes);
    if (!head || matrixHeader(head.r, head.m).info.name !== name) continue;
    const { r: mr, m } = matrixOf(r, el, false, maxBytes)!;
    const { info, after } = matrixHeader(mr, m);
    if (!info.numeric) {
      throw new Error(
        `${r.what}: variable ${name} is a ${info.class}, not a numeric array (got class ${info.class})`,
      );
    }
    const count = info.dims.reduce((a, b) => a * b, 1);
    const bytesNeeded = count * ELEMENT_BYTES[CLASS_TYPES[info.class]!] * (info.complex ? 2 : 1);
    if (bytesNeeded > maxBytes) {
      throw new Error(
        `${r.what}: variable ${name} holds ${bytesNeeded} bytes, more than the limit of ${maxBytes} (maxBytes; got ${bytesNeeded})`,
      );
    }
    const end = m.start + m.size;
    const realEl = mr.element(after, end);
    const real = readPart(mr, realEl, info.class, count, "real", name);
    const array: MatArray = { ...info, real };
    if (info.complex) {
      array.imag = readPart(mr, mr.element(realEl.next, end), info.class, count, "imaginary", name);
    }
    return array;
  }
  return undefined;
}
