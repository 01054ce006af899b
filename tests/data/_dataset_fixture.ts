/**
 * Small in-memory scans and temp folders for the dataset tests.
 * @module
 */
import type { ScanRecord } from "../../data/scan.ts";
import { affineFromSpacing } from "../../data/volume.ts";
import { Rng } from "../../engine/rng.ts";

/** Spacing of the fixture scans (mm). */
export const FIXTURE_SPACING: [number, number, number] = [0.2, 0.5, 0.1];

/**
 * A scan of shape `[6, 3, 8]` with a layered label (depth along z) and a noisy image whose
 * mean follows the label. Unlabeled when `labeled` is false.
 */
export function fixtureScan(
  id: string,
  participant: string,
  seed: number,
  labeled = true,
): ScanRecord {
  const rng = new Rng(seed);
  const shape: [number, number, number] = [6, 3, 8];
  const n = shape[0] * shape[1] * shape[2];
  const label = new Uint8Array(n);
  const image = new Float32Array(n);
  for (let z = 0; z < shape[2]; z++) {
    const cls = Math.min(6, z);
    for (let i = 0; i < shape[0] * shape[1]; i++) {
      const idx = i + z * shape[0] * shape[1];
      label[idx] = cls;
      image[idx] = 20 * cls + rng.normal(0, 5);
    }
  }
  const spacing: [number, number, number] = [...FIXTURE_SPACING];
  const scan: ScanRecord = {
    id,
    participant,
    image: { data: image, shape, spacing, affine: affineFromSpacing(spacing), depthAxis: 2 },
  };
  if (labeled) {
    scan.label = {
      data: label,
      shape: [...shape],
      spacing: [...spacing],
      affine: affineFromSpacing(spacing),
      depthAxis: 2,
    };
  }
  return scan;
}

/** Three labeled scans (two participants) and one unlabeled scan. */
export function fixtureScans(): ScanRecord[] {
  return [
    fixtureScan("s01", "p1", 1),
    fixtureScan("s02", "p1", 2),
    fixtureScan("s03", "p2", 3),
    fixtureScan("u01", "p3", 4, false),
  ];
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_dataset_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
