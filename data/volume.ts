/**
 * The 3-D volume type shared by the phantom, file readers/writers, slicing and metrics.
 *
 * Layout conventions (used everywhere in `data/` and `metrics/`):
 * - `data` is stored in NIfTI order: x fastest, then y, then z:
 *   `index = x + nx * (y + ny * z)`.
 * - `shape` is `[nx, ny, nz]`; `spacing` is the voxel size in millimetres along x, y, z.
 * - `affine` is the 4x4 voxel-to-world matrix in millimetres (row-major, NIfTI sform), so a
 *   volume written back to NIfTI keeps its geometry.
 * - Ultrasound depth runs along the axis named by `depthAxis` (default 2, i.e. z), skin at
 *   index 0. A 2-D B-mode image is a plane that contains the depth axis.
 *
 * @module
 */

/** Typed arrays a volume may hold. */
export type VolumeArray =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Int32Array
  | Uint32Array;

/** Axis index into `[x, y, z]`. */
export type Axis = 0 | 1 | 2;

/** A 3-D image or label volume with its geometry. */
export interface Volume<T extends VolumeArray = VolumeArray> {
  /** Voxel values in NIfTI order (x fastest): `index = x + nx * (y + ny * z)`. */
  data: T;
  /** `[nx, ny, nz]`. */
  shape: [number, number, number];
  /** Voxel size in millimetres along x, y, z. */
  spacing: [number, number, number];
  /** 4x4 voxel-to-world affine in millimetres, row-major (NIfTI sform). */
  affine: number[][];
  /** Axis along which ultrasound depth runs (skin at index 0). @default {2} */
  depthAxis?: Axis;
}

/** The diagonal affine for a spacing with the origin at 0. */
export function affineFromSpacing(spacing: [number, number, number]): number[][] {
  return [
    [spacing[0], 0, 0, 0],
    [0, spacing[1], 0, 0],
    [0, 0, spacing[2], 0],
    [0, 0, 0, 1],
  ];
}

/** Flat index of voxel `(x, y, z)` in a volume of `shape`. */
export function voxelIndex(
  shape: [number, number, number],
  x: number,
  y: number,
  z: number,
): number {
  return x + shape[0] * (y + shape[1] * z);
}
