/**
 * Parsing and formatting of NRRD headers (`NRRD0001` to `NRRD0005`): the fields the readers
 * use, with every type and encoding spelling of the format, and the `key:=value` pairs (where
 * 3D Slicer keeps its segmentation metadata).
 *
 * @module
 */
import { show } from "../_file_io.ts";
import type { ElementType } from "../_typed_bytes.ts";

export type { ElementType } from "../_typed_bytes.ts";

/** Encodings the NRRD reader decodes (`hex` and `bzip2` are refused with a clear error). */
export type NrrdEncoding = "raw" | "gzip" | "ascii";

/** A parsed NRRD header. */
export interface NrrdHeader {
  /** Format version, the digit of `NRRD000X` (1 to 5). */
  version: number;
  /** Element type (NRRD's `type`, canonical spelling). */
  type: ElementType;
  /** Number of axes (`dimension`). */
  dimension: number;
  /** Size of each axis, fastest first (`sizes`). */
  sizes: number[];
  /** Data encoding. */
  encoding: NrrdEncoding;
  /** Byte order of multi-byte data; undefined when the file does not say (single bytes, ascii). */
  endian?: "little" | "big";
  /** Named world space, lower case (`left-posterior-superior`, ...), when given. */
  space?: string;
  /** Number of world coordinates (from `space` or `space dimension`). */
  spaceDimension?: number;
  /** One world vector per axis, `null` for a non-spatial axis (`none`). */
  spaceDirections?: Array<number[] | null>;
  /** World position of the first sample. */
  spaceOrigin?: number[];
  /** Units of the world coordinates (`space units`), e.g. `["mm", "mm", "mm"]`. */
  spaceUnits?: string[];
  /** Per-axis sample spacing (`spacings`; NaN for an axis without one). */
  spacings?: number[];
  /** Per-axis world position of the first sample (`axis mins`; NaN where unknown). */
  axisMins?: number[];
  /** Per-axis kind (`kinds`: `domain`, `space`, `list`, `vector`, ...), lower case. */
  kinds?: string[];
  /** Detached data file (`data file`), as written in the header. */
  dataFile?: string;
  /** Lines to skip before the data (`line skip`). */
  lineSkip: number;
  /** Bytes to skip before the data (`byte skip`); -1 means "the data end the file". */
  byteSkip: number;
  /** The `key:=value` pairs, unescaped, in file order. */
  keyValues: Record<string, string>;
  /** Bytes of the header including the blank line after it (where attached data start). */
  headerBytes: number;
}

/** Largest NRRD header read, in bytes (1 MiB). */
export const NRRD_MAX_HEADER_BYTES = 1 << 20;

const TYPES: Record<string, ElementType> = {};
for (
  const [type, names] of [
    ["int8", ["signed char", "int8", "int8_t"]],
    ["uint8", ["uchar", "unsigned char", "uint8", "uint8_t"]],
    ["int16", ["short", "short int", "signed short", "signed short int", "int16", "int16_t"]],
    [
      "uint16",
      ["ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"],
    ],
    ["int32", ["int", "signed int", "int32", "int32_t"]],
    ["uint32", ["uint", "unsigned int", "uint32", "uint32_t"]],
    [
      "int64",
      ["longlong", "long long", "long long int", "signed long long", "signed long long int"]
        .concat(["int64", "int64_t"]),
    ],
    [
      "uint64",
      ["ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t"],
    ],
    ["float32", ["float"]],
    ["float64", ["double"]],
  ] as const
) {
  for (const name of names) TYPES[name] = type;
}

/** NRRD's canonical name of each element type (what the writer puts in `type:`). */
export const NRRD_TYPE_NAMES: Readonly<Record<ElementType, string>> = Object.freeze({
  int8: "signed char",
  uint8: "uchar",
  int16: "short",
  uint16: "ushort",
  int32: "int",
  uint32: "uint",
  int64: "longlong",
  uint64: "ulonglong",
  float32: "float",
  float64: "double",
});

const SPACE_NAMES: Record<string, [string, number]> = {
  "right-anterior-superior": ["right-anterior-superior", 3],
  ras: ["right-anterior-superior", 3],
  "left-anterior-superior": ["left-anterior-superior", 3],
  las: ["left-anterior-superior", 3],
  "left-posterior-superior": ["left-posterior-superior", 3],
  lps: ["left-posterior-superior", 3],
  "right-anterior-superior-time": ["right-anterior-superior-time", 4],
  rast: ["right-anterior-superior-time", 4],
  "left-anterior-superior-time": ["left-anterior-superior-time", 4],
  last: ["left-anterior-superior-time", 4],
  "left-posterior-superior-time": ["left-posterior-superior-time", 4],
  lpst: ["left-posterior-superior-time", 4],
  "scanner-xyz": ["scanner-xyz", 3],
  "scanner-xyz-time": ["scanner-xyz-time", 4],
  "3d-right-handed": ["3d-right-handed", 3],
  "3d-left-handed": ["3d-left-handed", 3],
  "3d-right-handed-time": ["3d-right-handed-time", 4],
  "3d-left-handed-time": ["3d-left-handed-time", 4],
};

/** Unescapes a `key:=value` string (`\n` and `\\`). */
function unescapeKeyValue(text: string): string {
  return text.replace(/\\(n|\\)/g, (_m, c: string) => (c === "n" ? "\n" : "\\"));
}

/** Escapes a `key:=value` string for the header (`\` → `\\`, newline → `\n`). */
export function escapeNrrdKeyValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Parses `(a,b,c)` (spaces allowed) or `none`. */
function parseVector(text: string): number[] | null {
  const t = text.trim();
  if (t === "none") return null;
  const m = /^\(([^()]*)\)$/.exec(t);
  if (!m) return [NaN];
  return m[1]!.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
}

/** Splits `(a,b,c) none (d,e,f)` into its vectors and `none`s. */
function splitVectors(text: string): string[] {
  return text.match(/\([^()]*\)|none|[^\s()]+/g) ?? [];
}

function parseNumbers(text: string): number[] {
  return text.trim().split(/\s+/).filter((s) => s !== "").map((s) =>
    s.toLowerCase() === "nan" ? NaN : Number(s)
  );
}

/**
 * Finds the end of an attached header: the first empty line. Returns the byte offset where the
 * data start, or -1 when `bytes` has no empty line.
 */
function headerEnd(bytes: Uint8Array): number {
  const n = Math.min(bytes.length, NRRD_MAX_HEADER_BYTES);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** True when `bytes` starts with the NRRD magic `NRRD000`. */
export function isNrrd(bytes: Uint8Array): boolean {
  const magic = [0x4e, 0x52, 0x52, 0x44, 0x30, 0x30, 0x30];
  return bytes.length >= 8 && magic.every((b, i) => bytes[i] === b);
}

/**
 * Parses an NRRD header. With `detached` (a `.nhdr` file) the header may end at the end of
 * the bytes; otherwise it must end with an empty line, after which the data start.
 *
 * @param bytes The file's bytes (at least the whole header).
 * @param file The name used in error messages.
 * @param detached Whether the bytes are a detached header (`.nhdr`).
 * @returns The header.
 * @throws {Error} Naming the file and the field when the magic, a required field (`type`,
 *   `dimension`, `sizes`, `encoding`, `endian` for multi-byte raw or gzip data) or a value is
 *   missing or invalid, or the header is longer than {@linkcode NRRD_MAX_HEADER_BYTES}.
 */
export function parseNrrdHeader(bytes: Uint8Array, file: string, detached = false): NrrdHeader {
  const what = `Cannot read NRRD file ${file}`;
  if (!isNrrd(bytes)) {
    const start = new TextDecoder("latin1").decode(bytes.subarray(0, 8));
    throw new Error(
      `${what}: not an NRRD file (expected the magic "NRRD000X", got ${show(start)})`,
    );
  }
  const version = bytes[7]! - 0x30;
  if (!(version >= 1 && version <= 5)) {
    throw new Error(
      `${what}: unknown NRRD version (expected NRRD0001 to NRRD0005, got ${
        show(new TextDecoder("latin1").decode(bytes.subarray(0, 8)))
      })`,
    );
  }
  let end = headerEnd(bytes);
  if (end < 0) {
    if (!detached) {
      throw new Error(
        bytes.length > NRRD_MAX_HEADER_BYTES
          ? `${what}: no end of header (an empty line) in the first ${NRRD_MAX_HEADER_BYTES} bytes (got ${bytes.length} bytes)`
          : `${what}: truncated header: no empty line before the data (got ${bytes.length} bytes)`,
      );
    }
    if (bytes.length > NRRD_MAX_HEADER_BYTES) {
      throw new Error(
        `${what}: the detached header is longer than ${NRRD_MAX_HEADER_BYTES} bytes (got ${bytes.length})`,
      );
    }
    end = bytes.length;
  }
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, end));
  const lines = text.split(/\r?\n/).slice(1);
  const fields = new Map<string, string>();
  const keyValues: Record<string, string> = {};
  for (const raw of lines) {
    const line = raw.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    const kv = line.indexOf(":=");
    const colon = line.indexOf(": ");
    if (kv >= 0 && (colon < 0 || kv < colon)) {
      keyValues[unescapeKeyValue(line.slice(0, kv))] = unescapeKeyValue(line.slice(kv + 2));
      continue;
    }
    if (colon < 0) {
      throw new Error(
        `${what}: a header line is neither "field: value" nor "key:=value" (got ${show(line)})`,
      );
    }
    const name = line.slice(0, colon).trim().toLowerCase().replace(/ /g, "");
    fields.set(name, line.slice(colon + 2).trim());
  }
  const get = (name: string): string | undefined => fields.get(name.replace(/ /g, ""));
  const need = (name: string): string => {
    const v = get(name);
    if (v === undefined) throw new Error(`${what}: the header has no "${name}" field (got none)`);
    return v;
  };

  const typeText = need("type");
  const type = TYPES[typeText.toLowerCase()];
  if (type === undefined) {
    throw new Error(
      `${what}: type must be a signed or unsigned integer of 8 to 64 bits, float or double (got ${
        show(typeText)
      })`,
    );
  }
  const dimension = Number(need("dimension"));
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16) {
    throw new Error(`${what}: dimension must be an integer 1..16 (got ${show(get("dimension"))})`);
  }
  const sizes = parseNumbers(need("sizes"));
  if (sizes.length !== dimension || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(
      `${what}: sizes must be ${dimension} positive integers (got ${show(get("sizes"))})`,
    );
  }
  const encodingText = need("encoding").toLowerCase();
  const encoding: NrrdEncoding | undefined = encodingText === "raw"
    ? "raw"
    : encodingText === "gz" || encodingText === "gzip"
    ? "gzip"
    : ["txt", "text", "ascii"].includes(encodingText)
    ? "ascii"
    : undefined;
  if (encoding === undefined) {
    throw new Error(
      `${what}: encoding must be raw, gzip or ascii; convert ${
        ["hex", "bz2", "bzip2"].includes(encodingText) ? "this" : "the"
      } file with unu or 3D Slicer (got ${show(encodingText)})`,
    );
  }
  const header: NrrdHeader = {
    version,
    type,
    dimension,
    sizes,
    encoding,
    lineSkip: 0,
    byteSkip: 0,
    keyValues,
    headerBytes: end,
  };
  const endian = get("endian")?.toLowerCase();
  if (endian !== undefined) {
    if (endian !== "little" && endian !== "big") {
      throw new Error(`${what}: endian must be little or big (got ${show(endian)})`);
    }
    header.endian = endian;
  } else if (encoding !== "ascii" && !["int8", "uint8"].includes(type)) {
    throw new Error(
      `${what}: the header has no "endian" field, which ${type} ${encoding} data need (got none)`,
    );
  }
  const space = get("space");
  if (space !== undefined) {
    const named = SPACE_NAMES[space.toLowerCase()];
    if (named === undefined) {
      throw new Error(
        `${what}: unknown space (expected e.g. left-posterior-superior, got ${show(space)})`,
      );
    }
    header.space = named[0];
    header.spaceDimension = named[1];
  }
  const spaceDimension = get("space dimension");
  if (spaceDimension !== undefined) {
    const n = Number(spaceDimension);
    if (!Number.isInteger(n) || n < 1 || (header.spaceDimension ?? n) !== n) {
      throw new Error(
        `${what}: space dimension must be a positive integer matching space (got ${
          show(spaceDimension)
        })`,
      );
    }
    header.spaceDimension = n;
  }
  const directions = get("space directions");
  if (directions !== undefined) {
    const vectors = splitVectors(directions).map(parseVector);
    const sd = header.spaceDimension;
    if (
      sd === undefined || vectors.length !== dimension ||
      vectors.some((v) => v !== null && (v.length !== sd || v.some((x) => !Number.isFinite(x))))
    ) {
      throw new Error(
        `${what}: space directions must be ${dimension} vectors of ${
          sd ?? "(no space given)"
        } numbers or none (got ${show(directions)})`,
      );
    }
    header.spaceDirections = vectors;
  }
  const origin = get("space origin");
  if (origin !== undefined) {
    const v = parseVector(origin);
    if (
      header.spaceDimension === undefined || v === null || v.length !== header.spaceDimension ||
      v.some((x) => !Number.isFinite(x))
    ) {
      throw new Error(
        `${what}: space origin must be a vector of ${
          header.spaceDimension ?? "(no space given)"
        } numbers (got ${show(origin)})`,
      );
    }
    header.spaceOrigin = v;
  }
  const units = get("space units");
  if (units !== undefined) {
    header.spaceUnits = (units.match(/"[^"]*"|\S+/g) ?? []).map((u) => u.replace(/"/g, ""));
  }
  for (const [name, key] of [["spacings", "spacings"], ["axis mins", "axisMins"]] as const) {
    const value = get(name);
    if (value === undefined) continue;
    const numbers = parseNumbers(value);
    if (numbers.length !== dimension) {
      throw new Error(`${what}: ${name} must have ${dimension} values (got ${show(value)})`);
    }
    header[key] = numbers;
  }
  const kinds = get("kinds");
  if (kinds !== undefined) {
    const list = kinds.toLowerCase().split(/\s+/).filter((s) => s !== "");
    if (list.length !== dimension) {
      throw new Error(`${what}: kinds must have ${dimension} values (got ${show(kinds)})`);
    }
    header.kinds = list;
  }
  const dataFile = get("data file") ?? get("datafile");
  if (dataFile !== undefined) header.dataFile = dataFile;
  for (const [name, key] of [["line skip", "lineSkip"], ["byte skip", "byteSkip"]] as const) {
    const value = get(name) ?? get(name.replace(" ", ""));
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < (key === "byteSkip" ? -1 : 0)) {
      throw new Error(
        `${what}: ${name} must be a ${
          key === "byteSkip" ? "non-negative integer or -1" : "non-negative integer"
        } (got ${show(value)})`,
      );
    }
    header[key] = n;
  }
  if (header.byteSkip === -1 && encoding !== "raw") {
    throw new Error(`${what}: byte skip -1 needs raw encoding (got ${encoding})`);
  }
  return header;
}

/** Formats a number for a header: the shortest round-trip decimal, `-0` as `0`. */
export function formatNrrdNumber(value: number): string {
  return Object.is(value, -0) ? "0" : String(value);
}

/** Formats a vector `(a,b,c)`. */
export function formatNrrdVector(values: readonly number[]): string {
  return `(${values.map(formatNrrdNumber).join(",")})`;
}
