/**
 * Reading a scan from a MATLAB file (Level 5 MAT-files, compressed or not, and v7.3 HDF5
 * files, as a Verasonics Vantage system's MATLAB scripts save them) into a {@linkcode Volume}.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { readErrorReason, readRegularFile, show } from "../_file_io.ts";
import { affineFromSpacing, type Axis, type Volume } from "../volume.ts";
import { DEFAULT_DYNAMIC_RANGE_DB, logCompress } from "./bmode.ts";
import { isMat5, listMat5Variables, MAT_MAX_BYTES, readMat5Variable } from "./mat5_read.ts";
import { isMat73, listMat73Variables, readMat73Variable } from "./mat73_read.ts";
import { notNumeric } from "./_mat_shared.ts";
import {
  describeMatVariable,
  type MatArray,
  matFrameCount,
  type MatVariableInfo,
  parseMatPath,
} from "./mat_variable.ts";

export { MAT_MAX_BYTES } from "./mat5_read.ts";

/** Options of {@linkcode readMat} and {@linkcode readMatFile}. */
export interface MatReadOptions {
  /**
   * The variable holding the scan, or a path into a cell array or a 1x1 struct in MATLAB's
   * syntax (1-based): `ImgData{1}`, `P.img`, `Data{2}.img` (see `parseMatPath`).
   * @default {the sidecar's `variable`, else the only numeric array with three non-singleton
   *   dimensions (a frame of it for a 4-D array), looking inside cells and structs too, else
   *   the only 2-D numeric matrix}
   */
  variable?: string;
  /**
   * The frame of a 4-D array (frames along MATLAB's 4th dimension, as in a Verasonics
   * `ImgData{1}` of size rows x columns x sections x frames): 1-based, like MATLAB's
   * `A(:, :, :, frame)`. An array of three dimensions or fewer has one frame.
   * @default {the sidecar's `frame`, else 1}
   */
  frame?: number;
  /**
   * Voxel size in mm along MATLAB dimensions 1, 2, 3 (x, y, z of the volume). Wins over the
   * file and the sidecar.
   * @default {from a 4x4 `affine` variable, `spacingVariable`, or the sidecar; an error when
   *   none gives it}
   */
  spacing?: [number, number, number];
  /**
   * Voxel size in mm used when neither the file nor the sidecar gives one (`spacing` wins over
   * both; this comes last), e.g. a dataset manifest's `spacing`.
   * @default {undefined}
   */
  fallbackSpacing?: [number, number, number];
  /**
   * A variable with the three voxel sizes in mm, or a path into a struct or cell
   * (`P.spacing`). Values in other units (e.g. Verasonics' `PData.PDelta`, in wavelengths)
   * are not converted: give those as `spacing` in mm.
   * @default {the sidecar's `spacingVariable`, else `"spacing"` when the file has it}
   */
  spacingVariable?: string;
  /**
   * Sidecar JSON with `spacing`, `variable`, `spacingVariable`, `frame`, `depthAxis` and
   * `dynamicRange` fields; `false` for none.
   * @default {`<name>.json` beside `<name>.mat`, when it exists}
   */
  sidecar?: string | false;
  /**
   * How values become image intensities: `auto` log-compresses complex data (the magnitude of
   * beamformed IQ) and keeps real data as they are; `log` log-compresses the magnitude of any
   * data (e.g. a real envelope); `none` keeps real data and takes the magnitude of complex
   * data. Log compression maps to `[0, 1]` like the phantom's B-mode (see `logCompress`).
   * @default {"auto"}
   */
  compression?: "auto" | "log" | "none";
  /**
   * Displayed dynamic range of log compression, in dB.
   * @default {the sidecar's `dynamicRange`, else 60}
   */
  dynamicRange?: number;
  /**
   * Element type of real data kept as they are: `native` keeps the stored class (double →
   * float64, uint8 → uint8, ...), `float32` converts. Magnitudes and log-compressed data are
   * always float32.
   * @default {"native"}
   */
  dtype?: "native" | "float32";
  /**
   * Axis along which ultrasound depth runs (0 when the array's rows are depth, as in a
   * Verasonics `ImgData` frame). Wins over the sidecar and the file.
   * @default {the sidecar's `depthAxis`, else the file's `depthAxis` variable (see
   *   `writeMat`), else `fallbackDepthAxis`, else 2}
   */
  depthAxis?: Axis;
  /**
   * Depth axis used when neither `depthAxis`, the sidecar nor the file gives one, e.g. the
   * depth axis of the data a model was trained on.
   * @default {2}
   */
  fallbackDepthAxis?: Axis;
  /**
   * Largest array read, in bytes (real and imaginary parts together).
   * @default {MAT_MAX_BYTES (4 GiB)}
   */
  maxBytes?: number;
  /**
   * Folder the file must stay in (see `readNifti`).
   * @default {no confinement}
   */
  root?: string;
  /**
   * Follow symbolic links leaving `root`.
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/** Result of {@linkcode readMatFile}. */
export interface DecodedMat {
  /** The scan. */
  volume: Volume;
  /** File format. */
  format: "MAT v5" | "MAT v7.3";
  /** The variable read (a path such as `ImgData{1}` for an array inside a cell or struct). */
  variable: string;
  /** How the variable was chosen: named by the option, by the sidecar, or the only candidate. */
  variableFrom: "option" | "sidecar" | "only candidate";
  /** The frame read (1-based), of `frames`. */
  frame: number;
  /** Frames of the variable (its 4th dimension; 1 for an array of three dimensions or fewer). */
  frames: number;
  /** Where the depth axis came from. */
  depthAxisFrom: "option" | "sidecar" | "file" | "fallback" | "default";
  /** Where the spacing came from. */
  spacingFrom: "option" | "variable" | "affine" | "sidecar" | "fallback";
  /**
   * Every variable of the file; when the variable was not named, also what its cells and
   * structs hold (by path, e.g. `ImgData{1}`).
   */
  variables: MatVariableInfo[];
}

/** The sidecar JSON's fields. */
interface MatSidecar {
  spacing?: [number, number, number];
  variable?: string;
  spacingVariable?: string;
  frame?: number;
  depthAxis?: Axis;
  dynamicRange?: number;
}

function isSpacing(v: unknown): v is [number, number, number] {
  return Array.isArray(v) && v.length === 3 &&
    v.every((x) => typeof x === "number" && Number.isFinite(x) && x > 0);
}

async function readSidecar(path: string, explicit: boolean): Promise<MatSidecar> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readRegularFile(path, { maxBytes: 1 << 20 }));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !explicit) return {};
    throw new Error(`Cannot read MAT sidecar ${path}: ${readErrorReason(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read MAT sidecar ${path}: invalid JSON (${(error as Error).message})`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError(
      `Cannot read MAT sidecar ${path}: expected an object like {"spacing": [0.1, 0.1, 0.2]} (got ${
        show(json)
      })`,
    );
  }
  const j = json as Record<string, unknown>;
  const problems: string[] = [];
  if (j.spacing !== undefined && !isSpacing(j.spacing)) {
    problems.push(`spacing must be three positive numbers in mm (got ${show(j.spacing)})`);
  }
  for (const key of ["variable", "spacingVariable"]) {
    if (j[key] !== undefined && typeof j[key] !== "string") {
      problems.push(`${key} must be a variable name or path (got ${show(j[key])})`);
    }
  }
  if (j.frame !== undefined && !(Number.isSafeInteger(j.frame) && (j.frame as number) >= 1)) {
    problems.push(`frame must be a whole number from 1 (got ${show(j.frame)})`);
  }
  if (j.depthAxis !== undefined && ![0, 1, 2].includes(j.depthAxis as number)) {
    problems.push(`depthAxis must be 0, 1 or 2 (got ${show(j.depthAxis)})`);
  }
  if (j.dynamicRange !== undefined && !(typeof j.dynamicRange === "number" && j.dynamicRange > 0)) {
    problems.push(`dynamicRange must be a positive number of dB (got ${show(j.dynamicRange)})`);
  }
  if (problems.length > 0) {
    throw new RangeError(`Cannot read MAT sidecar ${path}: ${problems.join("; ")}`);
  }
  return j as MatSidecar;
}

/** MATLAB dims → volume shape: trailing 1s padded or dropped, singletons dropped beyond 3. */
function volumeShape(dims: number[]): [number, number, number] | undefined {
  let d = [...dims];
  if (d.length > 3) d = d.filter((n) => n !== 1);
  if (d.length > 3) return undefined;
  while (d.length < 3) d.push(1);
  return d as [number, number, number];
}

/** The dims of one frame: the first three of a 4-D array (frames along the 4th). */
function frameDims(dims: number[]): number[] {
  return matFrameCount(dims) > 1 ? dims.slice(0, 3) : dims;
}

function nonSingleton(v: MatVariableInfo): number {
  return frameDims(v.dims).filter((n) => n > 1).length;
}

/** The first `max` descriptions, then how many more. */
function listed(variables: MatVariableInfo[], max = 40): string {
  if (variables.length === 0) return "no variables";
  const shown = variables.slice(0, max).map(describeMatVariable).join(", ");
  return variables.length > max ? `${shown} and ${variables.length - max} more` : shown;
}

/** The only numeric array of three (else two) non-singleton dimensions, or an error. */
function onlyCandidate(variables: MatVariableInfo[], what: string): MatVariableInfo {
  const numeric = variables.filter((v) => v.numeric);
  for (const rank of [3, 2]) {
    const candidates = numeric.filter((v) =>
      nonSingleton(v) === rank && volumeShape(frameDims(v.dims)) !== undefined
    );
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) {
      throw new Error(
        `${what}: it holds several ${rank}-D numeric arrays; choose one with variable (--var) (got ${
          listed(candidates)
        })`,
      );
    }
  }
  throw new Error(
    `${what}: no 3-D or 2-D numeric array to read; choose one with variable (--var) (got ${
      listed(variables)
    })`,
  );
}

/** Checks that a variable read can be a volume (a frame of it for a 4-D array). */
function checkVolume(v: MatVariableInfo, what: string): void {
  if (!v.numeric) throw notNumeric(v, what);
  if (volumeShape(frameDims(v.dims)) === undefined) {
    throw new Error(
      `${what}: variable ${v.name} has more than 3 dimensions larger than 1 besides frames (got ${
        describeMatVariable(v)
      })`,
    );
  }
}

/**
 * Reads a scan from a MAT file and says where everything came from.
 *
 * The array keeps MATLAB's column-major order, which is the volume's order: MATLAB dimension
 * 1 is x (fastest), 2 is y, 3 is z, so `A(i, j, k)` is voxel `(i-1, j-1, k-1)`; a 2-D matrix is
 * one slice (`nz = 1`) and singleton dimensions beyond the third are dropped. The affine is
 * the spacing diagonal, or a 4x4 `affine` variable (voxel to RAS mm) when the file has one.
 *
 * @param path The `.mat` file (Level 5, or v7.3/HDF5: recognised by content).
 * @param options Variable, spacing, compression and limits.
 * @returns The volume, the format, the variable and the source of the spacing.
 * @throws {Error} Naming the file when it is not a MAT file, is corrupt or truncated, the
 *   variable is missing, not numeric or ambiguous (the message lists the candidates), larger
 *   than `maxBytes`, or no spacing is given (the message says how to give one).
 */
export async function readMatFile(path: string, options: MatReadOptions = {}): Promise<DecodedMat> {
  const what = `Cannot read MAT file ${path}`;
  const maxBytes = options.maxBytes ?? MAT_MAX_BYTES;
  if (!(maxBytes > 0)) {
    throw new RangeError(`${what}: maxBytes must be positive (got ${show(maxBytes)})`);
  }
  const { compression = "auto", dtype = "native" } = options;
  if (!["auto", "log", "none"].includes(compression)) {
    throw new RangeError(
      `${what}: compression must be "auto", "log" or "none" (got ${show(compression)})`,
    );
  }
  if (dtype !== "native" && dtype !== "float32") {
    throw new RangeError(`${what}: dtype must be "native" or "float32" (got ${show(dtype)})`);
  }
  if (options.spacing !== undefined && !isSpacing(options.spacing)) {
    throw new RangeError(
      `${what}: spacing must be three positive numbers in mm (got ${show(options.spacing)})`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, {
      ...(options.root !== undefined ? { root: options.root } : {}),
      allowExternalLinks: options.allowExternalLinks ?? false,
    });
  } catch (error) {
    throw new Error(`${what}: ${readErrorReason(error)}`, { cause: error });
  }
  const sidecarPath = options.sidecar === false
    ? undefined
    : options.sidecar ?? join(dirname(path), `${basename(path).replace(/\.mat$/i, "")}.json`);
  const sidecar = sidecarPath === undefined
    ? {}
    : await readSidecar(sidecarPath, typeof options.sidecar === "string");

  if (
    options.frame !== undefined && !(Number.isSafeInteger(options.frame) && options.frame >= 1)
  ) {
    throw new RangeError(
      `${what}: frame must be a whole number from 1 (got ${show(options.frame)})`,
    );
  }
  const named = options.variable ?? sidecar.variable;
  const variableFrom: DecodedMat["variableFrom"] = options.variable !== undefined
    ? "option"
    : sidecar.variable !== undefined
    ? "sidecar"
    : "only candidate";

  // Without a name, the candidates include what cells and structs hold (ImgData{1}).
  const nested = named === undefined;
  let format: DecodedMat["format"];
  let list: (nested: boolean) => Promise<MatVariableInfo[]>;
  let read: (name: string, frame?: number) => Promise<MatArray | undefined>;
  if (isMat5(bytes)) {
    format = "MAT v5";
    list = (nested) => Promise.resolve(listMat5Variables(bytes, path, maxBytes, { nested }));
    read = (name, frame) =>
      Promise.resolve(
        readMat5Variable(bytes, name, path, maxBytes, frame === undefined ? {} : { frame }),
      );
  } else if (isMat73(bytes)) {
    format = "MAT v7.3";
    list = (nested) => listMat73Variables(bytes, path, { nested });
    read = (name, frame) =>
      readMat73Variable(bytes, name, path, maxBytes, frame === undefined ? {} : { frame });
  } else {
    throw new Error(
      `${what}: not a MAT file (expected "MATLAB 5.0 MAT-file" or an HDF5 signature at byte 0 or 512, got ${
        show(new TextDecoder("latin1").decode(bytes.subarray(0, 20)))
      })`,
    );
  }
  const variables = await list(nested);
  let name: string;
  if (named === undefined) {
    name = onlyCandidate(variables, what).name;
  } else {
    let top: string;
    try {
      top = parseMatPath(named).variable;
    } catch (error) {
      throw new RangeError(
        `${what}: ${(error as Error).message.replace(/^Cannot parse MAT variable path: /, "")}`,
      );
    }
    if (!variables.some((v) => v.name === top)) {
      throw new Error(`${what}: no variable ${show(top)} (got ${listed(await list(true))})`);
    }
    const info = variables.find((v) => v.name === named);
    if (info) checkVolume(info, what);
    name = named;
  }
  const array = (await read(name, options.frame ?? sidecar.frame ?? 1))!;
  const chosen: MatVariableInfo = { ...array, name };
  checkVolume(chosen, what);
  const shape = volumeShape(array.dims)!;

  // Spacing: explicit, then an affine variable, then a spacing variable, then the sidecar.
  let spacing = options.spacing;
  let affine: number[][] | undefined;
  let spacingFrom: DecodedMat["spacingFrom"] = "option";
  if (spacing === undefined && options.spacingVariable === undefined) {
    const info = variables.find((v) =>
      v.name === "affine" && v.numeric && v.dims.join("x") === "4x4"
    );
    if (info) {
      const m = (await read("affine"))!.real; // column-major 4x4
      affine = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => m[r + 4 * c]!));
      const s = [0, 1, 2].map((c) => Math.hypot(affine![0]![c]!, affine![1]![c]!, affine![2]![c]!));
      if (!isSpacing(s) || affine.flat().some((v) => !Number.isFinite(v))) {
        throw new Error(
          `${what}: variable affine must be a finite 4x4 voxel-to-world matrix with non-zero columns (got ${
            show(affine)
          })`,
        );
      }
      spacing = s;
      spacingFrom = "affine";
    }
  }
  const spacingName = options.spacingVariable ?? sidecar.spacingVariable ??
    (variables.some((v) => v.name === "spacing") ? "spacing" : undefined);
  if (spacing === undefined && spacingName !== undefined) {
    const info = variables.find((v) => v.name === spacingName);
    // A path (P.spacing) is read to be described; a top-level variable is described first.
    const values = info && !info.numeric ? undefined : await read(spacingName);
    const found = values ? Array.from(values.real) : undefined;
    if (!isSpacing(found) || values?.imag !== undefined) {
      throw new Error(
        `${what}: variable ${spacingName} must hold three positive voxel sizes in mm (got ${
          found ? show(found) : info ? describeMatVariable(info) : "no such variable"
        })`,
      );
    }
    spacing = found;
    spacingFrom = "variable";
  }
  if (spacing === undefined && sidecar.spacing !== undefined) {
    spacing = sidecar.spacing;
    spacingFrom = "sidecar";
  }
  if (spacing === undefined && options.fallbackSpacing !== undefined) {
    if (!isSpacing(options.fallbackSpacing)) {
      throw new RangeError(
        `${what}: fallbackSpacing must be three positive numbers in mm (got ${
          show(options.fallbackSpacing)
        })`,
      );
    }
    spacing = options.fallbackSpacing;
    spacingFrom = "fallback";
  }
  if (spacing === undefined) {
    throw new Error(
      `${what}: no voxel spacing for ${
        describeMatVariable(chosen)
      }: give it in mm with spacing (--spacing 0.1,0.1,0.2), a 3-element variable in the file (spacingVariable / --spacing-var, or one named "spacing"), or a sidecar ${
        sidecarPath ?? "<name>.json"
      } such as {"spacing": [0.1, 0.1, 0.2]} (got none)`,
    );
  }

  const dynamicRange = options.dynamicRange ?? sidecar.dynamicRange ?? DEFAULT_DYNAMIC_RANGE_DB;
  let data: Volume["data"];
  const needsMagnitude = array.imag !== undefined || compression === "log";
  if (!needsMagnitude) {
    data = dtype === "float32" && !(array.real instanceof Float32Array)
      ? Float32Array.from(array.real)
      : array.real;
  } else {
    const magnitude = new Float32Array(array.real.length);
    const re = array.real, im = array.imag;
    for (let i = 0; i < magnitude.length; i++) {
      magnitude[i] = im ? Math.hypot(re[i]!, im[i]!) : Math.abs(re[i]!);
    }
    data = compression === "none" ? magnitude : logCompress(magnitude, { dynamicRange });
  }
  // Depth axis: explicit, then the sidecar, then the file, then the caller's fallback.
  let depthAxis: Axis = 2;
  let depthAxisFrom: DecodedMat["depthAxisFrom"] = "default";
  if (options.depthAxis !== undefined) {
    [depthAxis, depthAxisFrom] = [options.depthAxis, "option"];
  } else if (sidecar.depthAxis !== undefined) {
    [depthAxis, depthAxisFrom] = [sidecar.depthAxis, "sidecar"];
  } else if (variables.some((v) => v.name === "depthAxis" && v.numeric)) {
    const value = (await read("depthAxis"))!.real;
    if (!(value.length === 1 && [0, 1, 2].includes(Number(value[0])))) {
      throw new Error(
        `${what}: variable depthAxis must be 0, 1 or 2 (got ${show(Array.from(value))})`,
      );
    }
    [depthAxis, depthAxisFrom] = [Number(value[0]) as Axis, "file"];
  } else if (options.fallbackDepthAxis !== undefined) {
    [depthAxis, depthAxisFrom] = [options.fallbackDepthAxis, "fallback"];
  }
  if (![0, 1, 2].includes(depthAxis)) {
    throw new RangeError(`${what}: depthAxis must be 0, 1 or 2 (got ${show(depthAxis)})`);
  }
  return {
    volume: {
      data,
      shape,
      spacing,
      affine: affine ?? affineFromSpacing(spacing),
      depthAxis,
    },
    format,
    variable: name,
    variableFrom,
    frame: options.frame ?? sidecar.frame ?? 1,
    frames: array.frames ?? 1,
    depthAxisFrom,
    spacingFrom,
    variables,
  };
}

/**
 * Reads a scan from a MATLAB file into a {@linkcode Volume}: Level 5 MAT-files (`save -v7`
 * and earlier, compressed or not; scipy's `savemat`) and v7.3 files (HDF5 with MATLAB's
 * 512-byte user block). See {@linkcode readMatFile} for the axis order, the choice of the
 * variable, the spacing and complex (IQ) data.
 *
 * @example Read a beamformed frame saved by MATLAB
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMat, writeMat } from "./mod.ts";
 * import { affineFromSpacing } from "../volume.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".mat" }); // e.g. "Vantage_scan.mat"
 * const data = Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => i);
 * await writeMat(path, { data, shape: [4, 3, 2], spacing: [0.1, 0.2, 0.3], affine: affineFromSpacing([0.1, 0.2, 0.3]) });
 * const scan = await readMat(path); // the only 3-D array, spacing from the file
 * assert.deepEqual([scan.shape, scan.spacing, scan.data], [[4, 3, 2], [0.1, 0.2, 0.3], data]);
 * await Deno.remove(path);
 * ```
 *
 * @param path The `.mat` file.
 * @param options Variable, spacing, compression and limits.
 * @returns The volume.
 * @throws {Error} As {@linkcode readMatFile}.
 */
export async function readMat(path: string, options: MatReadOptions = {}): Promise<Volume> {
  return (await readMatFile(path, options)).volume;
}
