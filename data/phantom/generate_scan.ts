/**
 * One synthetic 3-D lumbar B-mode scan: labels and image as {@linkcode Volume}s.
 *
 * @module
 */
import type { Rng } from "../../engine/rng.ts";
import { affineFromSpacing, type Volume } from "../volume.ts";
import { buildEchoMaps } from "./_echo.ts";
import { buildScanGeometry } from "./_geometry.ts";
import { formImage } from "./_image.ts";
import { type PhantomOptions, resolvePhantomOptions } from "./options.ts";
import type { PhantomParticipant } from "./participant.ts";

/** One phantom scan. */
export interface PhantomScan {
  /** Scan id, `<participant id>_s<NN>`, e.g. `"p03_s02"`. */
  id: string;
  /** Id of the participant the scan belongs to. */
  participantId: string;
  /** Index of the scan within its participant (0-based). */
  scanIndex: number;
  /**
   * B-mode image, Float32 in [0, 1] (log-compressed; quantised to `k / 255` by default), depth
   * along z with the probe face at z = 0.
   */
  image: Volume<Float32Array>;
  /** Labels (Uint8, 0 background ... 6 muscle), same geometry as `image`. */
  labels: Volume<Uint8Array>;
  /** Envelope after TGC and before log compression (only with `keepEnvelope: true`). */
  envelope?: Volume<Float32Array>;
  /**
   * The six boundary depth maps in mm (`nx * ny` each, x fastest): skin line, then the bottoms
   * of dermis, superficial fat, SFM, deep fat and DFM.
   */
  boundariesMm: Float32Array[];
  /** The participant's anatomical parameters. */
  participant: PhantomParticipant;
}

/** Extra fields of {@linkcode generatePhantomScan}'s options. */
export interface GeneratePhantomScanOptions extends PhantomOptions {
  /** Index of the scan within its participant, used for the id. @default {0} */
  scanIndex?: number;
}

/**
 * Generates one 3-D scan of a participant: wavy layer boundaries that differ from scan to scan
 * (layer order always dermis, superficial fat, SFM, deep fat, DFM, muscle from the skin down,
 * with gel above the skin), tissue scatterer maps, and the B-mode image from the convolution
 * model. The generator `rng` is advanced, so consecutive calls give different scans; the same
 * generator state gives identical bytes.
 *
 * @param participant Anatomy from {@linkcode drawParticipant} (drawn with the same shape and spacing).
 * @param options Phantom options and the scan index.
 * @param rng Seeded generator (advanced by one step).
 * @returns The scan with image and label volumes.
 * @throws {RangeError} When an option is out of range or the layers do not fit the volume depth.
 *
 * @example Generate a scan
 * ```ts
 * import { drawParticipant, generatePhantomScan, Rng } from "./mod.ts";
 * const rng = new Rng(7);
 * const shape: [number, number, number] = [16, 16, 128];
 * const scan = generatePhantomScan(drawParticipant(rng, { shape }), { shape }, rng);
 * console.assert(scan.labels.data.length === 16 * 16 * 128);
 * ```
 */
export function generatePhantomScan(
  participant: PhantomParticipant,
  options: GeneratePhantomScanOptions = {},
  rng: Rng,
): PhantomScan {
  const opts = resolvePhantomOptions(options);
  const scanIndex = options.scanIndex ?? 0;
  if (!Number.isInteger(scanIndex) || scanIndex < 0) {
    throw new RangeError(
      `Cannot generate phantom scan: scanIndex must be a non-negative integer (got ${scanIndex})`,
    );
  }
  const scanRng = rng.fork("phantom-scan");
  rng.nextUint32();
  const geometry = buildScanGeometry(participant, opts, scanRng.fork("geometry"));
  const echo = buildEchoMaps(geometry, participant, opts, scanRng.fork("echo"));
  const formed = formImage(echo, geometry.labels, opts, scanRng.fork("image"));
  const shape: [number, number, number] = [...opts.shape];
  const spacing: [number, number, number] = [...opts.spacing];
  const volume = <T extends Float32Array | Uint8Array>(data: T): Volume<T> => ({
    data,
    shape: [...shape],
    spacing: [...spacing],
    affine: affineFromSpacing(spacing),
    depthAxis: 2,
  });
  const scan: PhantomScan = {
    id: `${participant.id}_s${String(scanIndex).padStart(2, "0")}`,
    participantId: participant.id,
    scanIndex,
    image: volume(formed.image),
    labels: volume(geometry.labels),
    boundariesMm: geometry.boundaries,
    participant,
  };
  if (opts.keepEnvelope) scan.envelope = volume(formed.envelope);
  return scan;
}
