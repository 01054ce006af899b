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
  /**
   * Frames of the variable when one frame of it was read (its 4th dimension; `dims` are then
   * those of the frame).
   */
  frames?: number;
}

/** `name [d1x d2 x ... class]`, for messages. */
export function describeMatVariable(v: MatVariableInfo): string {
  return `${v.name} [${v.dims.join("x")} ${v.complex ? "complex " : ""}${v.class}]`;
}

/** One step of a variable path: a struct field (`.name`) or a cell element (`{i}`, `{i,j}`). */
export type MatPathStep =
  | { kind: "field"; name: string }
  | { kind: "cell"; index: number[] };

/** A parsed variable path: the file's variable and the steps into its cells and structs. */
export interface MatPath {
  /** The variable of the file (`ImgData` in `ImgData{1}`). */
  variable: string;
  /** Cell elements and struct fields, in order. */
  steps: MatPathStep[];
}

const PATH_HEAD = /^[A-Za-z_][A-Za-z0-9_]*/;
const PATH_FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)/;
const PATH_CELL = /^\{\s*(\d+(?:\s*,\s*\d+)*)\s*\}/;

/**
 * Parses a variable path in MATLAB's syntax: a variable name followed by cell elements
 * (`{k}` linear or `{i,j}` subscripts, 1-based as in MATLAB) and struct fields (`.name`),
 * e.g. `ImgData{1}`, `P.spacing`, `Data{2}.img`. Struct arrays (`S(2).f`) are not part of the
 * syntax: the readers take fields of 1x1 structs only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMatPath } from "./mat_variable.ts";
 *
 * assert.deepEqual(parseMatPath("ImgData{1}.frame"), {
 *   variable: "ImgData",
 *   steps: [{ kind: "cell", index: [1] }, { kind: "field", name: "frame" }],
 * });
 * ```
 *
 * @param path The path.
 * @returns The variable and the steps.
 * @throws {RangeError} When the path is not of that form or an index is below 1.
 */
export function parseMatPath(path: string): MatPath {
  const head = PATH_HEAD.exec(path);
  const fail = (what: string) =>
    new RangeError(
      `Cannot parse MAT variable path: ${what}; write e.g. ImgData{1} or P.spacing (got ${
        JSON.stringify(path)
      })`,
    );
  if (!head) throw fail("it must start with a variable name");
  const steps: MatPathStep[] = [];
  let rest = path.slice(head[0].length);
  while (rest !== "") {
    const field = PATH_FIELD.exec(rest);
    const cell = PATH_CELL.exec(rest);
    if (field) {
      steps.push({ kind: "field", name: field[1]! });
      rest = rest.slice(field[0].length);
    } else if (cell) {
      const index = cell[1]!.split(",").map((s) => Number(s.trim()));
      if (index.some((i) => !(Number.isSafeInteger(i) && i >= 1))) {
        throw fail("cell indices are 1-based whole numbers");
      }
      steps.push({ kind: "cell", index });
      rest = rest.slice(cell[0].length);
    } else {
      throw fail(`unexpected ${JSON.stringify(rest.slice(0, 12))} after the name`);
    }
  }
  return { variable: head[0], steps };
}

/** The path text of a variable and steps (`ImgData{1}.x`). */
export function formatMatPath(path: MatPath): string {
  return path.variable +
    path.steps.map((s) => s.kind === "field" ? `.${s.name}` : `{${s.index.join(",")}}`).join("");
}

/**
 * The 0-based column-major position of a 1-based MATLAB index (`{k}` linear, or one
 * subscript per dimension, missing trailing ones being 1) in an array of size `dims`.
 *
 * @param index The 1-based index.
 * @param dims The array's size.
 * @returns The position, or a sentence saying why the index is out of range.
 */
export function matLinearIndex(index: number[], dims: number[]): number | string {
  const count = dims.reduce((a, b) => a * b, 1);
  if (index.length === 1) {
    const k = index[0]!;
    return k >= 1 && k <= count
      ? k - 1
      : `index ${k} is out of range for ${count} element${count === 1 ? "" : "s"}`;
  }
  if (index.length > Math.max(dims.length, 2) && index.slice(dims.length).some((i) => i !== 1)) {
    return `${index.length} subscripts for ${dims.length} dimensions`;
  }
  // Fewer subscripts than dimensions: the last one runs over the remaining dimensions.
  const sizes = index.length >= dims.length
    ? dims
    : [...dims.slice(0, index.length - 1), dims.slice(index.length - 1).reduce((a, b) => a * b, 1)];
  let at = 0, stride = 1;
  for (let d = 0; d < index.length; d++) {
    const size = sizes[d] ?? 1;
    const i = index[d]!;
    if (i > size) return `subscript ${i} of dimension ${d + 1} exceeds its size ${size}`;
    at += (i - 1) * stride;
    stride *= size;
  }
  return at;
}

/**
 * The frames of an array of size `dims`: its 4th dimension when it has four (trailing
 * singletons aside), as in a Verasonics `ImgData{1}` (rows x columns x sections x frames);
 * else 1.
 */
export function matFrameCount(dims: number[]): number {
  const d = [...dims];
  while (d.length > 2 && d[d.length - 1] === 1) d.pop();
  return d.length === 4 ? d[3]! : 1;
}
