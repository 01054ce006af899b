/**
 * The variables of a MATLAB file as the MAT readers describe and return them.
 *
 * @module
 */
import type { VolumeArray } from "../volume.ts";

/** MATLAB classes of the numeric arrays the readers return. */
export type MatNumericClass =
  | "double"
  | "single"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "logical";

/** One variable of a MAT file, without its data. */
export interface MatVariableInfo {
  /** Variable name. */
  name: string;
  /** MATLAB class (`double`, `single`, `uint8`, ..., `char`, `struct`, `cell`, ...). */
  class: string;
  /** MATLAB size (column-major: the first dimension varies fastest). */
  dims: number[];
  /** True for complex data (e.g. beamformed IQ). */
  complex: boolean;
  /** True for a full (not sparse) numeric or logical array, which the readers can return. */
  numeric: boolean;
}

/** A numeric variable with its data in MATLAB's column-major order. */
export interface MatArray extends MatVariableInfo {
  /** Real part, in column-major order (`index = i + d1 * (j + d2 * k)`). */
  real: VolumeArray;
  /** Imaginary part of complex data. */
  imag?: VolumeArray;
}

/** `name [d1x d2 x ... class]`, for messages. */
export function describeMatVariable(v: MatVariableInfo): string {
  return `${v.name} [${v.dims.join("x")} ${v.complex ? "complex " : ""}${v.class}]`;
}
