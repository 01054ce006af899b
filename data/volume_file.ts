/**
 * One entry point for scan files: NIfTI, NRRD (and 3D Slicer `.seg.nrrd`) and MATLAB files,
 * recognised by content (magic bytes) or, failing that, by extension, read into a
 * {@linkcode Volume} and written back by extension.
 *
 * @module
 */
import { checkRegularFile, readErrorReason, show } from "./_file_io.ts";
import { isMat5 } from "./matlab/mat5_read.ts";
import { isMat73 } from "./matlab/mat73_read.ts";
import { type DecodedMat, type MatReadOptions, readMatFile } from "./matlab/mat_read.ts";
import { type MatWriteOptions, writeMat } from "./matlab/mat5_write.ts";
import type { NiftiHeader } from "./nifti_header.ts";
import { readNiftiFile } from "./nifti_read.ts";
import { type NiftiWriteOptions, writeNifti } from "./nifti_write.ts";
import { isNrrd } from "./nrrd/nrrd_header.ts";
import { readNrrdFile } from "./nrrd/nrrd_read.ts";
import { type NrrdWriteOptions, writeNrrd } from "./nrrd/nrrd_write.ts";
import { readSegNrrd } from "./nrrd/seg_nrrd_read.ts";
import { type SegNrrdWriteOptions, writeSegNrrd } from "./nrrd/seg_nrrd_write.ts";
import type { Axis, Volume } from "./volume.ts";

/** Scan file formats. */
export type VolumeFormat = "nifti" | "nrrd" | "seg-nrrd" | "mat";

/** File endings of the scan formats, longest first. */
export const VOLUME_FILE_ENDINGS: readonly string[] = Object.freeze([
  ".seg.nrrd",
  ".seg.nhdr",
  ".nii.gz",
  ".nii",
  ".nrrd",
  ".nhdr",
  ".mat",
]);

/** The format a path's ending names, or undefined. */
export function volumeFormatFromPath(path: string): VolumeFormat | undefined {
  const p = path.toLowerCase();
  if (p.endsWith(".seg.nrrd") || p.endsWith(".seg.nhdr")) return "seg-nrrd";
  if (p.endsWith(".nii") || p.endsWith(".nii.gz")) return "nifti";
  if (p.endsWith(".nrrd") || p.endsWith(".nhdr")) return "nrrd";
  if (p.endsWith(".mat")) return "mat";
  return undefined;
}

/**
 * The format of a file from its first bytes (at least 520 for a MAT v7.3 file): `NRRD000`,
 * `MATLAB 5.0 MAT-file`, the HDF5 signature at byte 0 or 512 (MAT v7.3), gzip data or a NIfTI
 * header (`sizeof_hdr` 348 or 540 in either byte order); otherwise the path's ending. An NRRD
 * whose path ends in `.seg.nrrd` or `.seg.nhdr` is a segmentation.
 *
 * @param head The first bytes of the file.
 * @param path The file's path (for the ending).
 * @returns The format, or undefined when neither the bytes nor the ending say.
 */
export function detectVolumeFormat(head: Uint8Array, path = ""): VolumeFormat | undefined {
  const byPath = volumeFormatFromPath(path);
  if (isNrrd(head)) return byPath === "seg-nrrd" ? "seg-nrrd" : "nrrd";
  if (isMat5(head) || isMat73(head)) return "mat";
  if (head.length >= 4) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const le = view.getInt32(0, true);
    const be = view.getInt32(0, false);
    if ([348, 540].includes(le) || [348, 540].includes(be)) return "nifti";
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    return byPath === "nrrd" || byPath === "seg-nrrd" ? byPath : "nifti"; // .nii.gz
  }
  return byPath;
}

/** Options of {@linkcode readVolume} and {@linkcode readVolumeFile}. */
export interface ReadVolumeOptions extends
  Pick<
    MatReadOptions,
    | "variable"
    | "spacingVariable"
    | "frame"
    | "compression"
    | "dynamicRange"
    | "sidecar"
    | "maxBytes"
  > {
  /**
   * Voxel size in mm for a file that gives none (NIfTI without `pixdim`, NRRD without space
   * directions or spacings, a MAT file without spacing variable, affine or sidecar).
   * @default {undefined}
   */
  spacing?: [number, number, number];
  /**
   * `native` keeps the stored element type, `float32` converts (images); segmentations are
   * always uint8.
   * @default {"native"}
   */
  dtype?: "native" | "float32";
  /**
   * Axis along which ultrasound depth runs. Wins over what a MAT file's sidecar or the file
   * itself says.
   * @default {a MAT file's sidecar `depthAxis`, else its `depthAxis` variable, else
   *   `fallbackDepthAxis`}
   */
  depthAxis?: Axis;
  /**
   * Depth axis when neither `depthAxis` nor (for a MAT file) the sidecar or the file gives
   * one, e.g. the depth axis of the data a model was trained on.
   * @default {2}
   */
  fallbackDepthAxis?: Axis;
  /**
   * Folder the file must stay in (symbolic links leaving it are refused).
   * @default {no confinement}
   */
  root?: string;
  /**
   * Follow symbolic links leaving `root`.
   * @default {false}
   */
  allowExternalLinks?: boolean;
}

/** Result of {@linkcode readVolumeFile}. */
export interface VolumeFileResult {
  /** The volume. */
  volume: Volume;
  /** The format read. */
  format: VolumeFormat;
  /** The NIfTI header, for a NIfTI file (to write outputs with its conventions). */
  niftiHeader?: NiftiHeader;
  /** The variable read, for a MAT file (a path such as `ImgData{1}` inside a cell or struct). */
  variable?: string;
  /** For a MAT file: how the variable was chosen, and the frame read of how many. */
  mat?: Pick<DecodedMat, "variableFrom" | "frame" | "frames" | "spacingFrom">;
  /** Where the volume's depth axis came from. */
  depthAxisFrom: DecodedMat["depthAxisFrom"];
}

/** Bytes read to recognise a format (a MAT v7.3 signature sits at byte 512). */
const HEAD = 1024;

async function readHead(path: string, options: ReadVolumeOptions): Promise<Uint8Array> {
  const { realPath } = await checkRegularFile(path, {
    ...(options.root !== undefined ? { root: options.root } : {}),
    allowExternalLinks: options.allowExternalLinks ?? false,
  });
  const file = await Deno.open(realPath, { read: true });
  try {
    const head = new Uint8Array(HEAD);
    let at = 0;
    while (at < HEAD) {
      const n = await file.read(head.subarray(at));
      if (n === null) break;
      at += n;
    }
    return head.subarray(0, at);
  } finally {
    file.close();
  }
}

/**
 * Reads a scan file of any supported format (recognised by content, see
 * {@linkcode detectVolumeFormat}) and says which format it was.
 *
 * @param path The file: `.nii`, `.nii.gz`, `.nrrd`, `.nhdr`, `.seg.nrrd` or `.mat`.
 * @param options Reading options (the MAT ones apply to MAT files only).
 * @returns The volume, its format and, for NIfTI, its header.
 * @throws {Error} Naming the file when it is missing, not a regular file, of an unknown
 *   format, or cannot be read by its format's reader.
 */
export async function readVolumeFile(
  path: string,
  options: ReadVolumeOptions = {},
): Promise<VolumeFileResult> {
  let head: Uint8Array;
  try {
    head = await readHead(path, options);
  } catch (error) {
    throw new Error(`Cannot read scan ${path}: ${readErrorReason(error)}`, { cause: error });
  }
  const format = detectVolumeFormat(head, path);
  const confine = {
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(options.allowExternalLinks !== undefined
      ? { allowExternalLinks: options.allowExternalLinks }
      : {}),
  };
  // Depth axis of formats that do not carry one: the option, else the fallback, else 2.
  const depthAxis = options.depthAxis ?? options.fallbackDepthAxis;
  const depthAxisFrom: DecodedMat["depthAxisFrom"] = options.depthAxis !== undefined
    ? "option"
    : options.fallbackDepthAxis !== undefined
    ? "fallback"
    : "default";
  const common = {
    ...confine,
    ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
    ...(depthAxis !== undefined ? { depthAxis } : {}),
  };
  switch (format) {
    case "nifti": {
      const { volume, header } = await readNiftiFile(path, {
        ...common,
        ...(options.spacing ? { spacing: options.spacing } : {}),
      });
      return { volume, format, niftiHeader: header, depthAxisFrom };
    }
    case "nrrd": {
      const { volume } = await readNrrdFile(path, {
        ...common,
        ...(options.spacing ? { spacing: options.spacing } : {}),
      });
      return { volume, format, depthAxisFrom };
    }
    case "seg-nrrd": {
      const { volume } = await readSegNrrd(path, {
        ...confine,
        ...(depthAxis !== undefined ? { depthAxis } : {}),
      });
      return { volume, format, depthAxisFrom };
    }
    case "mat": {
      const { spacing, ...rest } = options;
      const r = await readMatFile(path, {
        ...rest,
        ...(spacing ? { fallbackSpacing: spacing } : {}),
      });
      const { variableFrom, frame, frames, spacingFrom } = r;
      return {
        volume: r.volume,
        format,
        variable: r.variable,
        mat: { variableFrom, frame, frames, spacingFrom },
        depthAxisFrom: r.depthAxisFrom,
      };
    }
    default:
      throw new Error(
        `Cannot read scan ${path}: unknown format: expected NIfTI, NRRD or a MAT file (ending in ${
          VOLUME_FILE_ENDINGS.join(", ")
        }; got ${show(new TextDecoder("latin1").decode(head.subarray(0, 16)))})`,
      );
  }
}

/**
 * Reads a scan (or label) file of any supported format into a {@linkcode Volume}: NIfTI
 * (`.nii`, `.nii.gz`), NRRD (`.nrrd`, `.nhdr`), 3D Slicer segmentations (`.seg.nrrd`, labels
 * mapped to the classes by segment name) and MATLAB files (`.mat`, v5 or v7.3). The format is
 * recognised by content, so a misnamed file still reads; the geometry is RAS millimetres
 * whatever the format.
 *
 * @example Read a scan whatever its format
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineFromSpacing, readVolume, writeVolume } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const scan = { data: new Float32Array(24).fill(1), shape: [4, 3, 2] as [number, number, number], spacing: [0.1, 0.2, 0.3] as [number, number, number] };
 * for (const name of ["scan.nii.gz", "scan.nrrd", "scan.mat"]) {
 *   await writeVolume(`${dir}/${name}`, { ...scan, affine: affineFromSpacing(scan.spacing) });
 *   const back = await readVolume(`${dir}/${name}`);
 *   assert.deepEqual([back.shape, back.spacing], [scan.shape, scan.spacing]);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file.
 * @param options Reading options.
 * @returns The volume.
 * @throws {Error} As {@linkcode readVolumeFile}.
 */
export async function readVolume(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  return (await readVolumeFile(path, options)).volume;
}

/** Options of {@linkcode writeVolume}: those of the writer the path's ending chooses. */
export interface WriteVolumeOptions {
  /**
   * For `.nii` / `.nii.gz`.
   * @default {{}}
   */
  nifti?: NiftiWriteOptions;
  /**
   * For `.nrrd` / `.nhdr`.
   * @default {{}}
   */
  nrrd?: NrrdWriteOptions;
  /**
   * For `.seg.nrrd` / `.seg.nhdr` (the volume must hold uint8 labels).
   * @default {{}}
   */
  segNrrd?: SegNrrdWriteOptions;
  /**
   * For `.mat`.
   * @default {{}}
   */
  mat?: MatWriteOptions;
}

/**
 * Writes a volume in the format its path's ending names: NIfTI (`.nii`, `.nii.gz`), NRRD
 * (`.nrrd`, `.nhdr`), a 3D Slicer segmentation (`.seg.nrrd`, `.seg.nhdr`; uint8 labels) or a
 * Level 5 MAT-file (`.mat`). Every file is written atomically.
 *
 * @param path The destination; its folder must exist.
 * @param volume The volume.
 * @param options Per-format options.
 * @returns The format written.
 * @throws {Error} Naming the file when the ending is unknown, a segmentation is not uint8, or
 *   the writer fails.
 */
export async function writeVolume(
  path: string,
  volume: Volume,
  options: WriteVolumeOptions = {},
): Promise<VolumeFormat> {
  const format = volumeFormatFromPath(path);
  switch (format) {
    case "nifti":
      await writeNifti(path, volume, options.nifti);
      break;
    case "nrrd":
      await writeNrrd(path, volume, options.nrrd);
      break;
    case "seg-nrrd":
      await writeSegNrrd(path, volume as Volume<Uint8Array>, options.segNrrd);
      break;
    case "mat":
      await writeMat(path, volume, options.mat);
      break;
    default:
      throw new Error(
        `Cannot write scan ${path}: unknown format: the path must end in ${
          VOLUME_FILE_ENDINGS.join(", ")
        } (got ${show(path)})`,
      );
  }
  return format;
}
