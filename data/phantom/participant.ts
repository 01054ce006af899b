/**
 * Per-participant anatomy of the lumbar phantom: layer thicknesses, echogenicity offsets,
 * septa density, muscle pennation.
 *
 * @module
 */
import type { Rng } from "../../engine/rng.ts";
import {
  LAYER_WAVINESS,
  type LayerThicknessesMm,
  type PhantomOptions,
  resolvePhantomOptions,
  THICKNESS_LAYERS,
} from "./options.ts";

/** Tissues whose echogenicity varies between participants. */
export type EchoTissue = "dermis" | "superficialFat" | "sfm" | "deepFat" | "dfm" | "muscle";

/** Anatomical parameters of one phantom participant, shared by all of their scans. */
export interface PhantomParticipant {
  /** Participant id, e.g. `"p03"`. */
  id: string;
  /** Mean thickness of each layer in mm (muscle fills the rest of the depth). */
  thicknessMm: LayerThicknessesMm;
  /** Mean gel/standoff thickness above the skin in mm (0: the skin touches the probe). */
  standoffMm: number;
  /** Echogenicity offset of each tissue in dB (participant-to-participant variation). */
  echoOffsetDb: Record<EchoTissue, number>;
  /** Pennation angle of the muscle fascicles to the skin, in degrees. */
  pennationDeg: number;
  /** Number of septa per cm of superficial fat thickness. */
  superficialSeptaPerCm: number;
  /** Number of septa per cm of deep fat thickness. */
  deepSeptaPerCm: number;
  /** Number of dense (echogenic) sub-layers of the deep fascial membrane. */
  dfmSublayers: 2 | 3;
  /** Density of perimysial septa in the muscle cross-section, per mm². */
  striationsPerMm2: number;
}

/** Options of {@linkcode drawParticipant}: the phantom options plus the participant id. */
export interface DrawParticipantOptions extends PhantomOptions {
  /** Participant id. @default {"p00"} */
  id?: string;
}

/**
 * Draws the anatomy of one participant. Thicknesses are uniform in the configured ranges; when
 * the deepest possible layer stack (with waviness and per-scan jitter) would leave less than
 * `minMuscleFraction` of the depth for muscle, the fat layers are shrunk towards the lower end of
 * their ranges, and only if that is not enough are all layers scaled down.
 *
 * @param rng Seeded generator (advanced).
 * @param options Phantom options (geometry and ranges) and the id.
 * @returns The participant's parameters.
 * @throws {RangeError} When an option is out of range.
 *
 * @example Draw a participant
 * ```ts
 * import { drawParticipant, Rng } from "./mod.ts";
 * const p = drawParticipant(new Rng(1), { id: "p01" });
 * console.assert(p.thicknessMm.dermis >= 1.5 && p.thicknessMm.dermis <= 2.5);
 * ```
 */
export function drawParticipant(
  rng: Rng,
  options: DrawParticipantOptions = {},
): PhantomParticipant {
  const opts = resolvePhantomOptions(options);
  const ranges = opts.thicknessRangesMm;
  const thickness = {} as LayerThicknessesMm;
  for (const layer of THICKNESS_LAYERS) {
    thickness[layer] = rng.uniform(ranges[layer][0], ranges[layer][1]);
  }
  let standoffMm = rng.uniform(opts.standoffMm[0], opts.standoffMm[1]);

  // Make the worst-case stack fit above the reserved muscle depth.
  const depthMm = (opts.shape[2] - 1) * opts.spacing[2];
  const budget = (1 - opts.minMuscleFraction) * depthMm;
  const jitter = 1 + opts.scanVariation;
  const worst = (layer: keyof typeof LAYER_WAVINESS, t: number) =>
    t * jitter * (1 + opts.waviness * LAYER_WAVINESS[layer]);
  const fixedWorst = () =>
    worst("standoff", standoffMm) + worst("dermis", thickness.dermis) +
    worst("sfm", thickness.sfm) + worst("dfm", thickness.dfm);
  const fats = ["superficialFat", "deepFat"] as const;
  const fatWorst = (s: number) =>
    fats.reduce(
      (acc, f) => acc + worst(f, ranges[f][0] + s * (thickness[f] - ranges[f][0])),
      0,
    );
  if (fixedWorst() + fatWorst(1) > budget) {
    const room = budget - fixedWorst() - fatWorst(0);
    const extra = fatWorst(1) - fatWorst(0);
    const s = room > 0 ? Math.min(1, room / extra) : 0;
    for (const f of fats) thickness[f] = ranges[f][0] + s * (thickness[f] - ranges[f][0]);
    const total = fixedWorst() + fatWorst(1);
    if (total > budget) {
      const scale = budget / total;
      for (const layer of THICKNESS_LAYERS) thickness[layer] *= scale;
      standoffMm *= scale;
    }
  }

  const offset = () => Math.max(-3, Math.min(3, rng.normal(0, 1.5)));
  const echoOffsetDb: Record<EchoTissue, number> = {
    dermis: offset(),
    superficialFat: offset(),
    sfm: offset(),
    deepFat: offset(),
    dfm: offset(),
    muscle: offset(),
  };
  return {
    id: options.id ?? "p00",
    thicknessMm: thickness,
    standoffMm,
    echoOffsetDb,
    pennationDeg: rng.uniform(8, 25),
    superficialSeptaPerCm: rng.uniform(1.5, 3.5),
    deepSeptaPerCm: rng.uniform(1, 2.5),
    dfmSublayers: rng.float() < 0.5 ? 2 : 3,
    striationsPerMm2: rng.uniform(0.35, 0.7),
  };
}
