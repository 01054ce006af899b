/**
 * Layer boundaries and label volume of one phantom scan. Private to the phantom.
 *
 * @module
 */
import type { Rng } from "../../engine/rng.ts";
import { smoothSurface } from "./_fields.ts";
import { LAYER_WAVINESS, type ResolvedPhantomOptions, THICKNESS_LAYERS } from "./options.ts";
import type { PhantomParticipant } from "./participant.ts";

/** Boundaries and labels of one scan. */
export interface ScanGeometry {
  /**
   * Six boundary depth maps in mm (each `nx * ny`, x fastest): `[0]` skin line (top of the
   * dermis), then the bottoms of dermis, superficial fat, SFM, deep fat and DFM.
   */
  boundaries: Float32Array[];
  /** Label volume (x fastest). */
  labels: Uint8Array;
}

/**
 * Draws the wavy boundaries of one scan and rasterises the labels at the voxel centres
 * (depth of voxel `z` is `z * dz`). Layer order is preserved because every boundary is the
 * previous one plus a positive local thickness of at least 1.02 voxels.
 */
export function buildScanGeometry(
  participant: PhantomParticipant,
  opts: ResolvedPhantomOptions,
  rng: Rng,
): ScanGeometry {
  const [nx, ny, nz] = opts.shape;
  const [dx, dy, dz] = opts.spacing;
  const columns = nx * ny;
  const j = opts.scanVariation;
  const minThickness = 1.02 * dz;

  const standoffFactor = rng.uniform(1 - j, 1 + j);
  const skinSurface = smoothSurface(rng, nx, ny, dx, dy, 12, 60);
  const skin = new Float32Array(columns);
  const standoff = participant.standoffMm * standoffFactor;
  const skinAmp = opts.waviness * LAYER_WAVINESS.standoff;
  for (let c = 0; c < columns; c++) {
    skin[c] = Math.max(0, standoff * (1 + skinAmp * skinSurface[c]!));
  }
  const boundaries: Float32Array[] = [skin];
  let previous = skin;
  for (const layer of THICKNESS_LAYERS) {
    const factor = rng.uniform(1 - j, 1 + j);
    const surface = smoothSurface(rng, nx, ny, dx, dy, 6, 40);
    const amp = opts.waviness * LAYER_WAVINESS[layer];
    const mean = participant.thicknessMm[layer] * factor;
    const next = new Float32Array(columns);
    for (let c = 0; c < columns; c++) {
      next[c] = previous[c]! + Math.max(minThickness, mean * (1 + amp * surface[c]!));
    }
    boundaries.push(next);
    previous = next;
  }

  const deepest = previous.reduce((m, v) => Math.max(m, v), 0);
  const lastDepth = (nz - 1) * dz;
  if (deepest > lastDepth) {
    throw new RangeError(
      `Cannot generate phantom scan: the layers above the muscle reach ${
        deepest.toFixed(2)
      } mm but the last voxel is at ${lastDepth.toFixed(2)} mm (got participant ${participant.id}` +
        `); draw the participant with the same shape and spacing`,
    );
  }

  const labels = new Uint8Array(columns * nz);
  const b = new Float64Array(6);
  for (let c = 0; c < columns; c++) {
    for (let k = 0; k < 6; k++) b[k] = boundaries[k]![c]!;
    let label = 0;
    for (let z = 0; z < nz; z++) {
      const depth = z * dz;
      while (label < 6 && depth >= b[label]!) label++;
      labels[c + columns * z] = label;
    }
  }
  return { boundaries, labels };
}
