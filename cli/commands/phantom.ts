/**
 * `grn phantom`: write a synthetic lumbar ultrasound dataset folder.
 * @module
 */
import type { Command } from "../_command.ts";
import { writePhantomDataset } from "../../data/phantom/write_phantom_dataset.ts";
import type { WritePhantomDatasetOptions } from "../../data/phantom/write_phantom_dataset.ts";
import { resolvePhantomOptions } from "../../data/phantom/options.ts";

/** The phantom's own (calibrated) defaults, shown as the CLI's defaults. */
const DEFAULTS = resolvePhantomOptions({});

/** The `phantom` command. */
export const command: Command = {
  name: "phantom",
  summary: "generate a synthetic lumbar ultrasound dataset folder",
  description:
    "Writes dataset.json, imagesTr/ and labelsTr/ (NIfTI .nii.gz) with every scan labeled;\n" +
    "labeled fractions are chosen at training time. The same seed gives the same dataset.",
  positionals: [{ name: "dir", description: "destination folder" }],
  options: [
    {
      name: "participants",
      kind: "integer",
      min: 1,
      default: 4,
      description: "number of participants",
    },
    {
      name: "scans",
      kind: "integer",
      min: 1,
      default: 3,
      description: "scans per participant",
    },
    { name: "seed", kind: "integer", default: 0, description: "seed of the cohort" },
    {
      name: "shape",
      kind: "numbers",
      count: 3,
      min: 1,
      placeholder: "NX,NY,NZ",
      default: "64,64,128",
      description: "volume shape in voxels (z is depth, at least 8)",
    },
    {
      name: "spacing",
      kind: "numbers",
      count: 3,
      min: 0,
      minExclusive: true,
      placeholder: "SX,SY,SZ",
      default: "0.4,0.4,0.3",
      description: "voxel size in mm",
    },
    {
      name: "noise",
      kind: "number",
      min: 0,
      default: DEFAULTS.noise,
      description: "difficulty: electronic noise RMS",
    },
    {
      name: "contrast",
      kind: "number",
      min: 0,
      default: DEFAULTS.contrast,
      description: "difficulty: echogenicity contrast (0 = none)",
    },
    {
      name: "psf-scale",
      kind: "number",
      min: 0,
      default: DEFAULTS.psfScale,
      description: "difficulty: boundary blur factor",
    },
    {
      name: "speckle",
      kind: "number",
      min: 0,
      max: 1,
      default: DEFAULTS.speckle,
      description: "difficulty: share of random speckle",
    },
    {
      name: "structure",
      kind: "number",
      min: 0,
      default: DEFAULTS.structure,
      description: "difficulty: strength of septa and striations",
    },
    {
      name: "waviness",
      kind: "number",
      min: 0,
      max: 4,
      default: DEFAULTS.waviness,
      description: "boundary waviness (0 = flat layers)",
    },
    {
      name: "name",
      kind: "string",
      default: "LumbarPhantom",
      description: "dataset name in dataset.json",
    },
    { name: "overwrite", kind: "boolean", description: "replace an existing dataset in <dir>" },
  ],
  examples: [
    "grn phantom data/phantom --participants 8 --scans 2 --seed 1",
    "grn phantom data/tiny --participants 4 --scans 1 --shape 24,24,32 --noise 0.001",
  ],
  async run({ args, out }) {
    const v = args.values;
    const dir = args.positionals.dir!;
    const options: WritePhantomDatasetOptions = {
      participants: (v.participants as number | undefined) ?? 4,
      scansPerParticipant: (v.scans as number | undefined) ?? 3,
      seed: (v.seed as number | undefined) ?? 0,
      overwrite: v.overwrite === true,
    };
    if (v.shape) options.shape = v.shape as [number, number, number];
    if (v.spacing) options.spacing = v.spacing as [number, number, number];
    if (v.noise !== undefined) options.noise = v.noise as number;
    if (v.contrast !== undefined) options.contrast = v.contrast as number;
    if (v["psf-scale"] !== undefined) options.psfScale = v["psf-scale"] as number;
    if (v.speckle !== undefined) options.speckle = v.speckle as number;
    if (v.structure !== undefined) options.structure = v.structure as number;
    if (v.waviness !== undefined) options.waviness = v.waviness as number;
    if (v.name !== undefined) options.name = v.name as string;
    const t0 = performance.now();
    const manifest = await writePhantomDataset(dir, options);
    const seconds = (performance.now() - t0) / 1000;
    const participants = new Set(manifest.scans.map((s) => s.participant)).size;
    out.result(
      {
        ok: true,
        dir,
        name: manifest.name,
        participants,
        scans: manifest.scans.length,
        seed: options.seed,
        spacing: manifest.spacing ?? null,
        seconds,
      },
      () =>
        `Wrote ${manifest.scans.length} scans of ${participants} participants to ${dir} ` +
        `(${manifest.name}, ${seconds.toFixed(1)} s)`,
    );
    return 0;
  },
};
