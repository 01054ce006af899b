/**
 * Options of the synthetic lumbar ultrasound phantom: geometry, anatomy ranges, echogenicity,
 * acoustics and the difficulty knobs, with their defaults and validation.
 *
 * @module
 */

/** Thickness of each tissue layer above the muscle, in millimetres. */
export interface LayerThicknessesMm {
  /** Epidermis + dermis. */
  dermis: number;
  /** Superficial (subcutaneous) fat. */
  superficialFat: number;
  /** Superficial fascial membrane. */
  sfm: number;
  /** Deep fat. */
  deepFat: number;
  /** Deep fascial membrane (thoracolumbar fascia, posterior layer). */
  dfm: number;
}

/** Names of the layers that have a drawn thickness (muscle fills the rest of the depth). */
export type ThicknessLayer = keyof LayerThicknessesMm;

/** The layers with a drawn thickness, from the skin down. */
export const THICKNESS_LAYERS: readonly ThicknessLayer[] = Object.freeze(
  [
    "dermis",
    "superficialFat",
    "sfm",
    "deepFat",
    "dfm",
  ] as const,
);

/** `[min, max]` in millimetres for each layer, drawn uniformly per participant. */
export type ThicknessRangesMm = { [K in ThicknessLayer]: readonly [number, number] };

/**
 * Default per-participant thickness ranges (mm), from the ultrasound literature for the lumbar
 * region (see the project's phantom notes): dermis 1.5-2.5, superficial fat 3-15, deep fat 2-10.
 * The membranes are given their ultrasound-apparent (annotated) thickness, so that they are
 * 2-3 (SFM) and 3-5 (DFM) voxels thick at the default 0.3 mm depth spacing: SFM 0.6-0.9
 * (literature 0.4-0.8 on ultrasound), DFM 1.0-1.5 (literature 1.3-1.5 ± 0.4).
 */
export const DEFAULT_THICKNESS_RANGES_MM: ThicknessRangesMm = Object.freeze({
  dermis: [1.5, 2.5] as const,
  superficialFat: [3, 15] as const,
  sfm: [0.6, 0.9] as const,
  deepFat: [2, 10] as const,
  dfm: [1.0, 1.5] as const,
});

/**
 * Relative amplitude of the within-scan thickness variation of each layer at `waviness: 1`
 * (`standoff` is the gel layer above the skin). The local thickness of layer `k` in a scan is
 * `T_k * f_k * (1 + waviness * LAYER_WAVINESS[k] * S_k(x, y))` with `|S_k| <= 1` a smooth
 * random surface and `f_k` the per-scan factor in `[1 - scanVariation, 1 + scanVariation]`.
 */
export const LAYER_WAVINESS: Readonly<{ [K in ThicknessLayer | "standoff"]: number }> = Object
  .freeze({
    standoff: 0.5,
    dermis: 0.12,
    superficialFat: 0.18,
    sfm: 0.15,
    deepFat: 0.22,
    dfm: 0.15,
  });

/**
 * Echo amplitudes (linear, relative to a unit scatterer) of the tissues and their structures.
 * Diffuse values are the RMS amplitude of the random scatterers; `*Sheet` and `skinEcho` are
 * coherent (specular) amplitudes integrated across the sheet.
 */
export interface EchoParameters {
  /** Gel/standoff above the skin (almost anechoic). @default {0.004} */
  gel: number;
  /** Bright specular entry echo at the skin line. @default {1.2} */
  skinEcho: number;
  /** Dermis (hyperechoic band). @default {0.42} */
  dermis: number;
  /** Superficial fat (hypoechoic). @default {0.025} */
  superficialFat: number;
  /** Extra amplitude of the connective septa in superficial fat. @default {0.16} */
  superficialSepta: number;
  /** Superficial fascial membrane, diffuse part. @default {0.09} */
  sfm: number;
  /** Superficial fascial membrane, specular sheet. @default {0.8} */
  sfmSheet: number;
  /** Deep fat (hypoechoic). @default {0.028} */
  deepFat: number;
  /** Extra amplitude of the oblique septa in deep fat. @default {0.13} */
  deepSepta: number;
  /**
   * Deep fascial membrane, diffuse part (modulated into dense and loose sub-layers). Set with
   * the difficulty calibration (see {@linkcode PhantomOptions.noise}); 0.25 gives a more
   * conspicuous band. @default {0.15}
   */
  dfm: number;
  /** Deep fascial membrane, specular sheets (one per dense sub-layer). @default {0.8} */
  dfmSheet: number;
  /** Muscle (hypoechoic). @default {0.026} */
  muscle: number;
  /** Extra amplitude of the perimysial striations in muscle. @default {0.3} */
  striations: number;
}

/** Default echo amplitudes; see {@linkcode EchoParameters}. */
export const DEFAULT_ECHO: Readonly<EchoParameters> = Object.freeze({
  gel: 0.004,
  skinEcho: 1.2,
  dermis: 0.42,
  superficialFat: 0.025,
  superficialSepta: 0.16,
  sfm: 0.09,
  sfmSheet: 0.8,
  deepFat: 0.028,
  deepSepta: 0.13,
  dfm: 0.15,
  dfmSheet: 0.8,
  muscle: 0.026,
  striations: 0.3,
});

/** Attenuation coefficients in dB/cm/MHz (one way), per tissue, and the one the TGC assumes. */
export interface AttenuationParameters {
  /** Gel/standoff. @default {0.02} */
  gel: number;
  /** Dermis. @default {0.5} */
  dermis: number;
  /** Superficial and deep fat. @default {0.63} */
  fat: number;
  /** Fascial membranes (dense connective tissue). @default {1.2} */
  fascia: number;
  /** Muscle. @default {0.96} */
  muscle: number;
  /** Value the time-gain compensation assumes for every depth. @default {0.7} */
  tgc: number;
}

/** Default attenuation coefficients; see {@linkcode AttenuationParameters}. */
export const DEFAULT_ATTENUATION: Readonly<AttenuationParameters> = Object.freeze({
  gel: 0.02,
  dermis: 0.5,
  fat: 0.63,
  fascia: 1.2,
  muscle: 0.96,
  tgc: 0.7,
});

/**
 * Options of the phantom. Geometry: x runs along the muscle fibres (cranio-caudal, the
 * "sagittal" B-mode direction), y across them (medio-lateral, the "transverse/coronal"
 * direction), z is depth with the probe face at z = 0.
 */
export interface PhantomOptions {
  /** Volume shape `[nx, ny, nz]` in voxels. @default {[64, 64, 128]} */
  shape?: [number, number, number];
  /** Voxel size in mm along x, y, z. @default {[0.4, 0.4, 0.3]} */
  spacing?: [number, number, number];
  /** Per-participant thickness ranges (mm); missing layers use the defaults. @default {DEFAULT_THICKNESS_RANGES_MM} */
  thicknessRangesMm?: Partial<ThicknessRangesMm>;
  /** Range (mm) of the gel/standoff layer above the skin (label 0); `[0, 0]` removes it. @default {[0.3, 1.2]} */
  standoffMm?: readonly [number, number];
  /** Smallest share of the depth kept for muscle; fat layers are shrunk to keep it. @default {0.2} */
  minMuscleFraction?: number;
  /** Scale of the within-scan boundary waviness ({@linkcode LAYER_WAVINESS}); 0 gives flat layers. @default {1} */
  waviness?: number;
  /** Relative per-scan jitter of each layer thickness around the participant's value. @default {0.08} */
  scanVariation?: number;
  /**
   * Difficulty: RMS of the complex electronic noise added before TGC, in unit-scatterer
   * amplitudes. It sets how fast the image degrades with depth.
   *
   * The difficulty defaults (`noise` 0.0016, `psfScale` 1.8, `echo.dfm` 0.15) are calibrated
   * with `bench/phantom_calibration.ts`: a supervised UNet trained on all labels of a
   * 30-participant cohort (16 train / 4 validation / 10 test participants, 3 scans each)
   * reaches a mean foreground Dice of about 0.84 on the test scans (the paper's real data:
   * 0.81), with the membranes hardest (SFM about 0.61, DFM 0.74). The former defaults
   * (`noise` 0.0002, `psfScale` 1, `echo.dfm` 0.25) gave 0.95 (on a 10-participant cohort).
   * @default {0.0016}
   */
  noise?: number;
  /**
   * Difficulty: echogenicity contrast. Amplitudes are mapped `A -> A0 (A / A0)^contrast` around
   * `A0 = 0.1`; 1 keeps the tissue values, 0 makes every tissue equally echogenic.
   * @default {1}
   */
  contrast?: number;
  /**
   * Difficulty: boundary blur, a factor on every PSF width (axial and lateral); see
   * {@linkcode PhantomOptions.noise} for the calibration.
   * @default {1.8}
   */
  psfScale?: number;
  /**
   * Difficulty: speckle. Share of the diffuse echo power that is random (Rayleigh speckle);
   * 1 is fully developed speckle, 0 a speckle-free (coherent) image.
   * @default {1}
   */
  speckle?: number;
  /** Difficulty: strength of the tissue structures (septa, striations, lobules, membrane gaps). @default {1} */
  structure?: number;
  /** Echo amplitudes; missing fields use {@linkcode DEFAULT_ECHO}. @default {DEFAULT_ECHO} */
  echo?: Partial<EchoParameters>;
  /** Attenuation coefficients; missing fields use {@linkcode DEFAULT_ATTENUATION}. @default {DEFAULT_ATTENUATION} */
  attenuationDbPerCmMhz?: Partial<AttenuationParameters>;
  /** Factor on all attenuation (tissue and TGC); 0 switches attenuation off. @default {1} */
  attenuation?: number;
  /** Maximum error of the imperfect TGC, in dB (a smooth random curve over depth). @default {3} */
  tgcJitterDb?: number;
  /** Centre frequency in MHz. @default {6} */
  frequencyMhz?: number;
  /** Active aperture in mm (sets the F-number and the lateral resolution). @default {25.6} */
  apertureMm?: number;
  /** Axial PSF standard deviation in mm (from the pulse bandwidth), before `psfScale`. @default {0.2} */
  axialSigmaMm?: number;
  /**
   * Lateral/elevational PSF standard deviation near the probe, in mm, before `psfScale`. With
   * depth it grows as `sqrt(s0^2 + (0.85 * lambda * z / aperture)^2)` (one-way focusing of a
   * row-column array).
   * @default {0.4}
   */
  lateralSigmaMm?: number;
  /** Displayed dynamic range of the log compression, in dB. @default {50} */
  dynamicRangeDb?: number;
  /** Display gain in dB: an envelope of `10^(-gainDb/20)` maps to white. @default {0} */
  gainDb?: number;
  /** Quantise the image to 256 levels (`k / 255`). @default {true} */
  quantize?: boolean;
  /** Also return the envelope (after TGC, before log compression). @default {false} */
  keepEnvelope?: boolean;
}

/** {@linkcode PhantomOptions} with every default filled in. */
export interface ResolvedPhantomOptions {
  /** See {@linkcode PhantomOptions.shape}. */
  shape: [number, number, number];
  /** See {@linkcode PhantomOptions.spacing}. */
  spacing: [number, number, number];
  /** See {@linkcode PhantomOptions.thicknessRangesMm}. */
  thicknessRangesMm: ThicknessRangesMm;
  /** See {@linkcode PhantomOptions.standoffMm}. */
  standoffMm: readonly [number, number];
  /** See {@linkcode PhantomOptions.minMuscleFraction}. */
  minMuscleFraction: number;
  /** See {@linkcode PhantomOptions.waviness}. */
  waviness: number;
  /** See {@linkcode PhantomOptions.scanVariation}. */
  scanVariation: number;
  /** See {@linkcode PhantomOptions.noise}. */
  noise: number;
  /** See {@linkcode PhantomOptions.contrast}. */
  contrast: number;
  /** See {@linkcode PhantomOptions.psfScale}. */
  psfScale: number;
  /** See {@linkcode PhantomOptions.speckle}. */
  speckle: number;
  /** See {@linkcode PhantomOptions.structure}. */
  structure: number;
  /** See {@linkcode PhantomOptions.echo}. */
  echo: EchoParameters;
  /** See {@linkcode PhantomOptions.attenuationDbPerCmMhz}. */
  attenuationDbPerCmMhz: AttenuationParameters;
  /** See {@linkcode PhantomOptions.attenuation}. */
  attenuation: number;
  /** See {@linkcode PhantomOptions.tgcJitterDb}. */
  tgcJitterDb: number;
  /** See {@linkcode PhantomOptions.frequencyMhz}. */
  frequencyMhz: number;
  /** See {@linkcode PhantomOptions.apertureMm}. */
  apertureMm: number;
  /** See {@linkcode PhantomOptions.axialSigmaMm}. */
  axialSigmaMm: number;
  /** See {@linkcode PhantomOptions.lateralSigmaMm}. */
  lateralSigmaMm: number;
  /** See {@linkcode PhantomOptions.dynamicRangeDb}. */
  dynamicRangeDb: number;
  /** See {@linkcode PhantomOptions.gainDb}. */
  gainDb: number;
  /** See {@linkcode PhantomOptions.quantize}. */
  quantize: boolean;
  /** See {@linkcode PhantomOptions.keepEnvelope}. */
  keepEnvelope: boolean;
}

function checkNumber(name: string, value: number, min: number, max = Infinity): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(
      `Cannot configure phantom: ${name} must be a number ${range} (got ${value})`,
    );
  }
}

function checkRange(name: string, range: readonly [number, number], min: number): void {
  if (
    !Array.isArray(range) || range.length !== 2 || !Number.isFinite(range[0]) ||
    !Number.isFinite(range[1]) || range[0] < min || range[1] < range[0]
  ) {
    throw new RangeError(
      `Cannot configure phantom: ${name} must be [min, max] with ${min} <= min <= max (got ${
        JSON.stringify(range)
      })`,
    );
  }
}

/**
 * Fills in the defaults of {@linkcode PhantomOptions} and validates every field.
 *
 * @param options Partial options.
 * @returns The complete options.
 * @throws {RangeError} When a field is out of range (negative knob, bad shape, empty range...).
 */
export function resolvePhantomOptions(options: PhantomOptions = {}): ResolvedPhantomOptions {
  const shape = options.shape ?? [64, 64, 128];
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    shape.some((n) => !Number.isInteger(n) || n < 1) || shape[2] < 8
  ) {
    throw new RangeError(
      `Cannot configure phantom: shape must be three positive integers with at least 8 depth voxels (got ${
        JSON.stringify(shape)
      })`,
    );
  }
  const spacing = options.spacing ?? [0.4, 0.4, 0.3];
  if (
    !Array.isArray(spacing) || spacing.length !== 3 ||
    spacing.some((s) => !Number.isFinite(s) || s <= 0)
  ) {
    throw new RangeError(
      `Cannot configure phantom: spacing must be three positive numbers in mm (got ${
        JSON.stringify(spacing)
      })`,
    );
  }
  const thicknessRangesMm = { ...DEFAULT_THICKNESS_RANGES_MM, ...options.thicknessRangesMm };
  for (const layer of THICKNESS_LAYERS) {
    checkRange(`thicknessRangesMm.${layer}`, thicknessRangesMm[layer], 1e-6);
  }
  const standoffMm = options.standoffMm ?? [0.3, 1.2];
  checkRange("standoffMm", standoffMm, 0);
  const echo = { ...DEFAULT_ECHO, ...options.echo };
  for (const [key, value] of Object.entries(echo)) checkNumber(`echo.${key}`, value, 0);
  const attenuationDbPerCmMhz = { ...DEFAULT_ATTENUATION, ...options.attenuationDbPerCmMhz };
  for (const [key, value] of Object.entries(attenuationDbPerCmMhz)) {
    checkNumber(`attenuationDbPerCmMhz.${key}`, value, 0);
  }
  const resolved: ResolvedPhantomOptions = {
    shape: [shape[0], shape[1], shape[2]],
    spacing: [spacing[0], spacing[1], spacing[2]],
    thicknessRangesMm,
    standoffMm: [standoffMm[0], standoffMm[1]],
    minMuscleFraction: options.minMuscleFraction ?? 0.2,
    waviness: options.waviness ?? 1,
    scanVariation: options.scanVariation ?? 0.08,
    noise: options.noise ?? 0.0016,
    contrast: options.contrast ?? 1,
    psfScale: options.psfScale ?? 1.8,
    speckle: options.speckle ?? 1,
    structure: options.structure ?? 1,
    echo,
    attenuationDbPerCmMhz,
    attenuation: options.attenuation ?? 1,
    tgcJitterDb: options.tgcJitterDb ?? 3,
    frequencyMhz: options.frequencyMhz ?? 6,
    apertureMm: options.apertureMm ?? 25.6,
    axialSigmaMm: options.axialSigmaMm ?? 0.2,
    lateralSigmaMm: options.lateralSigmaMm ?? 0.4,
    dynamicRangeDb: options.dynamicRangeDb ?? 50,
    gainDb: options.gainDb ?? 0,
    quantize: options.quantize ?? true,
    keepEnvelope: options.keepEnvelope ?? false,
  };
  checkNumber("minMuscleFraction", resolved.minMuscleFraction, 0, 0.9);
  checkNumber("waviness", resolved.waviness, 0, 4);
  checkNumber("scanVariation", resolved.scanVariation, 0, 0.5);
  checkNumber("noise", resolved.noise, 0);
  checkNumber("contrast", resolved.contrast, 0);
  checkNumber("psfScale", resolved.psfScale, 0);
  checkNumber("speckle", resolved.speckle, 0, 1);
  checkNumber("structure", resolved.structure, 0);
  checkNumber("attenuation", resolved.attenuation, 0);
  checkNumber("tgcJitterDb", resolved.tgcJitterDb, 0);
  checkNumber("frequencyMhz", resolved.frequencyMhz, 0.1);
  checkNumber("apertureMm", resolved.apertureMm, 0.1);
  checkNumber("axialSigmaMm", resolved.axialSigmaMm, 0);
  checkNumber("lateralSigmaMm", resolved.lateralSigmaMm, 0);
  checkNumber("dynamicRangeDb", resolved.dynamicRangeDb, 1);
  checkNumber("gainDb", resolved.gainDb, -Infinity);
  return resolved;
}
