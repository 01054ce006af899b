/**
 * Private helpers for the NRRD and MATLAB readers and writers: element types, typed arrays
 * from bytes of either byte order, and bytes from typed arrays.
 *
 * @module
 */
import type { VolumeArray } from "./volume.ts";

/** Element types of the scanner-format readers (64-bit integers are read as float64). */
export type ElementType =
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64";

/** Bytes per element of each type. */
export const ELEMENT_BYTES: Readonly<Record<ElementType, number>> = Object.freeze({
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
});

/** True on a little-endian host. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Ctor = { new (length: number): VolumeArray; BYTES_PER_ELEMENT: number };

const CTORS: Record<Exclude<ElementType, "int64" | "uint64">, Ctor> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** A zero-filled typed array of `n` elements (`Float64Array` for the 64-bit integer types). */
export function newTypedArray(type: ElementType, n: number): VolumeArray {
  return type === "int64" || type === "uint64" ? new Float64Array(n) : new CTORS[type](n);
}

/** The element type of a typed array. */
export function elementTypeOf(data: VolumeArray): ElementType {
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Float32Array) return "float32";
  return "float64";
}

/**
 * Decodes `n` elements of `type` from `bytes` (at least `n` elements long) in the given byte
 * order into a new typed array. 64-bit integers become a `Float64Array`; a value beyond
 * `Number.MAX_SAFE_INTEGER` in magnitude is an error naming `what`.
 */
export function typedFromBytes(
  bytes: Uint8Array,
  type: ElementType,
  n: number,
  littleEndian: boolean,
  what: string,
): VolumeArray {
  const size = ELEMENT_BYTES[type];
  if (type === "int64" || type === "uint64") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, n * size);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = type === "int64"
        ? view.getBigInt64(i * 8, littleEndian)
        : view.getBigUint64(i * 8, littleEndian);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new RangeError(
          `${what}: a ${type} value does not fit a float64 exactly (got ${v} at index ${i})`,
        );
      }
      out[i] = Number(v);
    }
    return out;
  }
  const ctor = CTORS[type];
  const out = new ctor(n);
  const copy = new Uint8Array(out.buffer);
  copy.set(bytes.subarray(0, n * size));
  if (size > 1 && littleEndian !== LITTLE_ENDIAN_HOST) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return out;
}

/** The bytes of a typed array in the given byte order (a copy when they must be swapped). */
export function bytesOfTyped(data: VolumeArray, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const size = data.BYTES_PER_ELEMENT;
  if (size === 1 || littleEndian === LITTLE_ENDIAN_HOST) return bytes;
  const copy = bytes.slice();
  for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  return copy;
}
