/**
 * Small synthetic scans for the data tests: intensities that are a known function of the voxel
 * position and labels that are horizontal layers along depth.
 * @module
 */
import type { ScanRecord } from "../../data/scan.ts";
import { affineFromSpacing, type Axis, type Volume, voxelIndex } from "../../data/volume.ts";

/** A volume whose voxel (x, y, z) holds `f(x, y, z)`. */
export function volumeOf<T extends Float32Array | Uint8Array>(
  shape: [number, number, number],
  f: (x: number, y: number, z: number) => number,
  make: new (n: number) => T,
  depthAxis?: Axis,
): Volume<T> {
  const data = new make(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[2]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[0]; x++) data[voxelIndex(shape, x, y, z)] = f(x, y, z);
    }
  }
  const spacing: [number, number, number] = [0.2, 0.3, 0.1];
  const affine = affineFromSpacing(spacing);
  affine[0]![3] = -4;
  affine[2]![3] = 7;
  return depthAxis === undefined
    ? { data, shape, spacing, affine }
    : { data, shape, spacing, affine, depthAxis };
}

/** Class of a depth index for a layered phantom with `n` voxels along depth. */
export function layerOf(depth: number, n: number): number {
  return Math.min(6, Math.floor((depth * 7) / n));
}

/** A labeled scan whose intensity and label depend on depth (layers), plus a lateral ripple. */
export function layeredScan(
  id: string,
  participant: string,
  shape: [number, number, number] = [6, 5, 14],
  withLabel = true,
): ScanRecord {
  const image = volumeOf(
    shape,
    (x, y, z) => 10 * layerOf(z, shape[2]) + 0.1 * ((x + 2 * y) % 3),
    Float32Array,
  );
  const scan: ScanRecord = { id, participant, image };
  if (withLabel) {
    scan.label = volumeOf(shape, (_x, _y, z) => layerOf(z, shape[2]), Uint8Array);
  }
  return scan;
}
