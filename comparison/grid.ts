/**
 * The bench grid: presets, cells (method × labeled fraction × seed), cell names and the order
 * in which cells run. A cell is one training run plus its evaluation; every cell of a grid uses
 * the same dataset, split seed and training settings, so their test scans are the same and
 * their per-scan scores can be paired.
 * @module
 */
import type { SliceDirection } from "../data/slices_geometry.ts";
import type { MethodOptions } from "../trainers/method.ts";
import type { EvaluationProtocol } from "../run/evaluate_run.ts";
import { BUILTIN_METHODS } from "../trainers/builtin_methods.ts";
import { getMethodDefinition, methodDefinitions } from "../trainers/method_registry.ts";
import type { RunNetworks } from "../run/run_config.ts";

/** The phantom a bench generates when no dataset folder is given. */
export interface BenchPhantom {
  /** Participants. */
  participants: number;
  /** Scans per participant. */
  scansPerParticipant: number;
  /** Volume shape `[nx, ny, nz]` (z is depth). */
  shape: [number, number, number];
  /** Seed of the cohort. */
  seed: number;
}

/** Training settings shared by every cell of a grid. */
export interface BenchTraining {
  /** Network input `[height, width]`. */
  inputSize: [number, number];
  /** Slice directions. */
  directions: SliceDirection[];
  /** Keep every n-th slice. */
  every: number;
  /** Network sizes. */
  networks: Omit<RunNetworks, "numClasses">;
  /** Extra `createMethod` options (JSON) for every method. */
  methodOptions: MethodOptions;
  /** Maximum epochs. */
  epochs: number;
  /** Iterations per epoch, or `null` for one pass over the labeled slices. */
  iterationsPerEpoch: number | null;
  /** Batch size. */
  batchSize: number;
  /** Early-stopping patience (0 = off). */
  patience: number;
  /** Test participants (fraction in `[0, 1)` or a count). */
  test: number;
  /** Validation participants (fraction or count). */
  validation: number;
  /** Seed of the split and labeled subsets: the same for every cell, so scans pair up. */
  splitSeed: number;
}

/** A block of the grid: every method at every fraction. */
export interface BenchGroup {
  /** What the block is for (e.g. "Table 2"). */
  purpose: string;
  /** Method names. */
  methods: string[];
  /** Labeled fractions in `(0, 1]`. */
  fractions: number[];
}

/** How the cells of a grid are evaluated (`bench.json`'s `settings.evaluation`). */
export interface BenchEvaluation {
  /**
   * Evaluation unit: `"image"` (every 2-D B-mode slice, the paper's protocol) or `"scan"`
   * (every 3-D volume); see `EvaluationProtocol` in run/evaluate_run.ts.
   */
  protocol: EvaluationProtocol;
  /**
   * Slice direction(s): per image the image set (`"both"`: coronal and sagittal slices as
   * separate images), per scan the ensemble; absent: `grn eval`'s default (per image, the
   * training directions; per scan, both).
   */
  direction?: SliceDirection | "both";
  /**
   * Cells also scored on the validation split (before the test split): `"table6"` the methods
   * of Table 6 ({@linkcode TABLE6_METHODS}) at the grid's lowest fraction, so that the report
   * builds Table 6 on the validation split as the paper does; `"all"` every cell; `"none"`.
   */
  validation: "table6" | "all" | "none";
}

/** The evaluation of a grid whose settings do not say: per image, Table 6 also on validation. */
export const DEFAULT_BENCH_EVALUATION: Readonly<BenchEvaluation> = Object.freeze({
  protocol: "image",
  validation: "table6",
});

/**
 * The built-in methods of the paper's Table 6 (its rows' methods; the ablations and their
 * references): those whose definition has `paperRows.table6`. A registered method with such
 * rows is also scored on the validation split (see {@linkcode evaluatesValidation}).
 */
export const TABLE6_METHODS: readonly string[] = Object.freeze(
  BUILTIN_METHODS.filter((d) => (d.paperRows?.table6?.length ?? 0) > 0).map((d) => d.name),
);

function inTable6(method: string): boolean {
  return methodDefinitions().some((d) =>
    d.name === method && (d.paperRows?.table6?.length ?? 0) > 0
  );
}

/** A grid's evaluation settings: its own, or {@linkcode DEFAULT_BENCH_EVALUATION}. */
export function benchEvaluation(s: Pick<BenchSettings, "evaluation">): BenchEvaluation {
  return { ...DEFAULT_BENCH_EVALUATION, ...(s.evaluation ?? {}) };
}

/**
 * Whether a cell is also scored on the validation split: every cell with `validation: "all"`;
 * with `"table6"` the cells of the methods with Table 6 rows (their definitions' `paperRows`,
 * e.g. {@linkcode TABLE6_METHODS}) at the grid's lowest fraction.
 */
export function evaluatesValidation(
  s: BenchSettings,
  cell: Pick<BenchCell, "method" | "fraction">,
): boolean {
  const { validation } = benchEvaluation(s);
  if (validation === "all") return true;
  if (validation === "none") return false;
  const lowest = Math.min(...s.groups.flatMap((g) => g.fractions));
  return cell.fraction === lowest && inTable6(cell.method);
}

/** A complete grid definition (what `bench.json` stores). */
export interface BenchSettings {
  /** Preset it came from (`"custom"` after overrides that change the cells). */
  preset: string;
  /** One paragraph on what the preset is for. */
  description: string;
  /**
   * How the configuration differs from the paper's (empty for the paper's own settings);
   * printed by the demo and shown in the report.
   */
  reduced: string;
  /** The phantom to generate, or `null` when a dataset folder is given. */
  phantom: BenchPhantom | null;
  /** Training seeds; each (method, fraction) runs once per seed. */
  seeds: number[];
  /** Blocks of the grid. */
  groups: BenchGroup[];
  /** Shared training settings. */
  training: BenchTraining;
  /** How cells are evaluated. @default {DEFAULT_BENCH_EVALUATION} */
  evaluation?: BenchEvaluation;
}

/** One cell of the grid. */
export interface BenchCell {
  /** 0-based position in the run order (what `--cell K` selects). */
  index: number;
  /** Folder name under `cells/`: `<method>_f<fraction>_s<seed>`. */
  name: string;
  /** Method name. */
  method: string;
  /** Labeled fraction. */
  fraction: number;
  /** Training seed. */
  seed: number;
}

/** Reduced network widths used by the small presets. */
const SMALL_NETWORKS: BenchTraining["networks"] = {
  width: 8,
  depth: 4,
  generatorWidth: 8,
  discriminatorWidth: 8,
  auxiliaryDiscriminatorWidth: 16,
};

/** The paper's networks (UNet 16-32-64-128-256, ngf 32, ndf 32, SSL4MIS discriminators 64). */
const PAPER_NETWORKS: BenchTraining["networks"] = {
  width: 16,
  depth: 5,
  generatorWidth: 32,
  discriminatorWidth: 32,
  auxiliaryDiscriminatorWidth: 64,
};

/**
 * Input `[height, width]` of the small presets: the phantom's full depth (128 voxels at 0.3 mm,
 * so the superficial fascial membrane keeps its 2-3 pixels) by half its lateral width (the
 * layers run laterally, so halving that axis loses little). At 64×32 the membrane was one pixel
 * or less and scored under 1 % Dice for every method, even the supervised model on all labels;
 * at 128×32 that model scores 57 % on it (quick phantom, seed 0).
 */
const SMALL_INPUT: [number, number] = [128, 32];

/** What the small presets reduce, for the report and the demo's output. */
const SMALL_REDUCTION = (phantom: BenchPhantom, t: BenchTraining, fraction: string) =>
  "for a 2-core CPU: " +
  `phantom of ${phantom.participants} participants × ` +
  `${phantom.scansPerParticipant} scan${phantom.scansPerParticipant === 1 ? "" : "s"} ` +
  `(${phantom.shape.join("×")} voxels); ${t.inputSize.join("×")} input slices, every ` +
  `${t.every}th slice; UNet ${
    Array.from({ length: t.networks.depth }, (_, i) => t.networks.width * 2 ** i).join("-")
  } (paper 16-32-64-128-256), generator width ${t.networks.generatorWidth} (paper 32), ` +
  `discriminator width ${t.networks.discriminatorWidth} (paper 32); at most ${t.epochs} epochs ` +
  `of ${t.iterationsPerEpoch ?? "one pass of"} iterations (paper 50 epochs), batch ` +
  `${t.batchSize}, patience ${t.patience}; labeled fraction ${fraction}; ` +
  "absolute Dice values are not comparable with the paper's";

function demoPreset(): BenchSettings {
  const phantom: BenchPhantom = {
    participants: 12,
    scansPerParticipant: 1,
    shape: [64, 64, 128],
    seed: 1,
  };
  const training: BenchTraining = {
    inputSize: SMALL_INPUT,
    directions: ["coronal", "sagittal"],
    every: 4,
    networks: { ...SMALL_NETWORKS },
    methodOptions: {},
    epochs: 30,
    iterationsPerEpoch: 15,
    batchSize: 4,
    patience: 4,
    test: 6,
    validation: 1,
    splitSeed: 0,
  };
  return {
    preset: "demo",
    description:
      "The demo: a small phantom, the supervised baseline and GRN-SSL at a low labeled " +
      "fraction, evaluated with and without SGE (about 5-10 minutes on 2 cores).",
    reduced: SMALL_REDUCTION(phantom, training, "0.2 (1 of 5 training participants)"),
    phantom,
    seeds: [0],
    groups: [{ purpose: "demo", methods: ["supervised", "grn-ssl"], fractions: [0.2] }],
    training,
  };
}

function quickPreset(): BenchSettings {
  const phantom: BenchPhantom = {
    participants: 14,
    scansPerParticipant: 2,
    shape: [64, 64, 128],
    seed: 2,
  };
  const training: BenchTraining = {
    inputSize: SMALL_INPUT,
    directions: ["coronal", "sagittal"],
    every: 4,
    networks: { ...SMALL_NETWORKS },
    methodOptions: {},
    epochs: 50,
    iterationsPerEpoch: 25,
    batchSize: 4,
    patience: 5,
    test: 5,
    validation: 1,
    splitSeed: 0,
  };
  return {
    preset: "quick",
    description:
      "A quick comparison on a 2-core CPU: supervised, ICT, GRN-SEL and GRN-SSL at one low " +
      "labeled fraction, and the supervised model on all labels as the reference every " +
      "layer must be resolved against; small networks, one seed (under 30 minutes).",
    reduced: SMALL_REDUCTION(phantom, training, "0.1 (1 of 8 training participants)"),
    phantom,
    seeds: [0],
    groups: [
      {
        purpose: "Tables 2, 3, 5",
        methods: ["supervised", "ict", "grn-sel", "grn-ssl"],
        fractions: [0.1],
      },
      { purpose: "Table 4 (100 %): the reference", methods: ["supervised"], fractions: [1] },
    ],
    training,
  };
}

function fidelityPreset(): BenchSettings {
  const phantom: BenchPhantom = {
    participants: 29,
    scansPerParticipant: 2,
    shape: [64, 64, 128],
    seed: 0,
  };
  const training: BenchTraining = {
    inputSize: SMALL_INPUT,
    directions: ["coronal", "sagittal"],
    every: 4,
    // URPC's pyramid needs five levels (heads at 1/2, 1/4 and 1/8).
    networks: { ...SMALL_NETWORKS, depth: 5 },
    methodOptions: {},
    epochs: 50,
    iterationsPerEpoch: 25,
    batchSize: 4,
    patience: 5,
    test: 11,
    validation: 2,
    splitSeed: 0,
  };
  return {
    preset: "fidelity",
    description:
      "The paper's claims at its low fractions, sized for a 2-core CPU: supervised, ICT, MT, " +
      "UAMT, URPC, GRN-SEL, its three Table 6 ablations and GRN-SSL at 5 % and 10 %, three " +
      "seeds, the paper's split sizes (29 participants: 16 train, 2 validation, 11 test), " +
      "trained to convergence (50 epochs, early stopping); about 3 hours with oneDNN (run two " +
      "`grn bench` processes on the same folder to use both cores).",
    reduced: SMALL_REDUCTION(
      phantom,
      training,
      "0.05 and 0.1 (1 and 2 of 16 training participants)",
    ),
    phantom,
    seeds: [0, 1, 2],
    groups: [
      {
        purpose: "Tables 2, 3, 5",
        methods: ["supervised", "mt", "uamt", "urpc", "ict", "grn-sel", "grn-ssl"],
        fractions: [0.05, 0.1],
      },
      {
        purpose: "Table 6 (ablations)",
        methods: ["grn-sel-no-feedback", "grn-sel-negated", "grn-sel-frozen-s"],
        fractions: [0.05, 0.1],
      },
    ],
    training,
  };
}

function paperPreset(): BenchSettings {
  return {
    preset: "paper",
    description:
      "The paper's comparison: every baseline and GRN variant at 5/10/20 %, the GRN variants " +
      "and the supervised baseline up to 100 %, the ablations at 5 %, three seeds, the paper's " +
      "networks and schedule (for a GPU box or a cluster).",
    reduced: "",
    phantom: { participants: 29, scansPerParticipant: 3, shape: [64, 64, 128], seed: 0 },
    seeds: [0, 1, 2],
    groups: [
      {
        purpose: "Tables 2, 3, 5 and Figure 6",
        methods: [
          "supervised",
          "mt",
          "uamt",
          "urpc",
          "sassnet",
          "rdrop",
          "ict",
          "dan",
          "grn-sel",
          "grn-ssl",
        ],
        fractions: [0.05, 0.1, 0.2],
      },
      {
        purpose: "Tables 4, 5 and Figure 8",
        methods: ["supervised", "grn-sel", "grn-ssl"],
        fractions: [0.3, 0.4, 0.5],
      },
      { purpose: "Tables 4, 5 (100 %)", methods: ["supervised", "grn-sel"], fractions: [1] },
      {
        purpose: "Table 6 (ablations)",
        methods: [
          "supervised-aug",
          "supervised-gan-aug",
          "grn-sel-no-feedback",
          "grn-sel-negated",
          "grn-sel-frozen-s",
        ],
        fractions: [0.05],
      },
    ],
    training: {
      inputSize: [128, 128],
      directions: ["coronal", "sagittal"],
      every: 1,
      networks: { ...PAPER_NETWORKS },
      methodOptions: {},
      epochs: 50,
      iterationsPerEpoch: null,
      batchSize: 4,
      patience: 5,
      test: 0.38,
      validation: 0.07,
      splitSeed: 0,
    },
  };
}

/** Names of the built-in presets. */
export const BENCH_PRESETS: readonly string[] = Object.freeze([
  "demo",
  "quick",
  "fidelity",
  "paper",
]);

/**
 * The settings of a built-in preset (a fresh copy).
 * @throws {RangeError} For an unknown preset name.
 */
export function benchPreset(name: string): BenchSettings {
  switch (name) {
    case "demo":
      return demoPreset();
    case "quick":
      return quickPreset();
    case "fidelity":
      return fidelityPreset();
    case "paper":
      return paperPreset();
  }
  throw new RangeError(
    `Cannot find bench preset: unknown name (got ${JSON.stringify(name)}); presets: ${
      BENCH_PRESETS.join(", ")
    }`,
  );
}

/** Overrides of a preset from the command line. */
export interface BenchOverrides {
  /** Replace the grid by every one of these methods at every fraction. */
  methods?: string[];
  /** Replace the fractions (with `methods`, or of every group). */
  fractions?: number[];
  /** Replace the seeds. */
  seeds?: number[];
  /** Maximum epochs. */
  epochs?: number;
  /** Iterations per epoch. */
  iterationsPerEpoch?: number;
  /** Evaluation protocol of every cell (does not change the cells). */
  protocol?: EvaluationProtocol;
  /** Which cells are also scored on the validation split (does not change the cells). */
  validation?: BenchEvaluation["validation"];
  /**
   * Generate the preset's phantom with this seed instead (same size and cohort): to check a
   * result on another phantom.
   */
  phantomSeed?: number;
}

/**
 * Applies command-line overrides to a preset: `methods` replaces the groups by one group of
 * every method at `fractions` (or at every fraction of the preset); `fractions` alone replaces
 * the fractions of every group; `seeds`, `epochs` and `iterationsPerEpoch` replace theirs.
 * A preset changed in its cells is named `"<preset>+custom"`. `protocol` and `validation` set
 * the grid's `evaluation` (the preset keeps its name: the cells are the same).
 */
export function applyBenchOverrides(settings: BenchSettings, o: BenchOverrides): BenchSettings {
  const s: BenchSettings = structuredClone(settings);
  let custom = false;
  if (o.methods !== undefined) {
    const fractions = o.fractions ?? uniqueSorted(s.groups.flatMap((g) => g.fractions));
    s.groups = [{ purpose: "custom", methods: [...o.methods], fractions: [...fractions] }];
    custom = true;
  } else if (o.fractions !== undefined) {
    s.groups = s.groups.map((g) => ({ ...g, fractions: [...o.fractions!] }));
    custom = true;
  }
  if (o.seeds !== undefined) {
    s.seeds = [...o.seeds];
    custom = true;
  }
  if (o.epochs !== undefined) {
    s.training.epochs = o.epochs;
    custom = true;
  }
  if (o.iterationsPerEpoch !== undefined) {
    s.training.iterationsPerEpoch = o.iterationsPerEpoch;
    custom = true;
  }
  if (o.phantomSeed !== undefined) {
    if (!Number.isSafeInteger(o.phantomSeed) || o.phantomSeed < 0) {
      throw new Error(
        `Cannot set the phantom seed: it must be a non-negative integer (got ${o.phantomSeed})`,
      );
    }
    if (s.phantom === null) {
      throw new Error(
        `Cannot set the phantom seed: preset ${s.preset} uses a dataset folder, not a phantom ` +
          `(got phantom seed ${o.phantomSeed})`,
      );
    }
    s.phantom.seed = o.phantomSeed;
    custom = true;
  }
  if (custom && !s.preset.endsWith("+custom")) s.preset = `${s.preset}+custom`;
  if (o.protocol !== undefined || o.validation !== undefined) {
    s.evaluation = {
      ...benchEvaluation(s),
      ...(o.protocol !== undefined ? { protocol: o.protocol } : {}),
      ...(o.validation !== undefined ? { validation: o.validation } : {}),
    };
  }
  return s;
}

function uniqueSorted(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** The folder name of a cell: `<method>_f<fraction>_s<seed>` (as `grn train`'s default). */
export function cellName(method: string, fraction: number, seed: number): string {
  return `${method}_f${fraction}_s${seed}`;
}

/**
 * Checks a grid: known methods, fractions in `(0, 1]`, integer seeds, at least one cell.
 * @throws {RangeError} Naming the first problem.
 */
export function checkBenchSettings(s: BenchSettings): void {
  const what = "Cannot define the bench grid";
  if (s.seeds.length === 0 || s.seeds.some((x) => !Number.isInteger(x))) {
    throw new RangeError(`${what}: seeds must be one or more integers (got ${s.seeds.join(",")})`);
  }
  if (new Set(s.seeds).size !== s.seeds.length) {
    throw new RangeError(`${what}: seeds repeat (got ${s.seeds.join(",")})`);
  }
  for (const g of s.groups) {
    if (g.methods.length === 0 || g.fractions.length === 0) {
      throw new RangeError(
        `${what}: group "${g.purpose}" has no ${g.methods.length === 0 ? "method" : "fraction"}`,
      );
    }
    for (const m of g.methods) getMethodDefinition(m); // throws for an unknown name
    for (const f of g.fractions) {
      if (!(f > 0 && f <= 1)) {
        throw new RangeError(`${what}: a fraction must be in (0, 1] (got ${f})`);
      }
    }
  }
  if (s.groups.length === 0) throw new RangeError(`${what}: no group of cells (got none)`);
}

/**
 * Every cell of a grid, in run order: seed by seed (so a whole seed finishes first), then by
 * ascending fraction, then in the order methods first appear in the groups. Duplicates
 * (a method and fraction in two groups) appear once.
 */
export function benchCells(s: BenchSettings): BenchCell[] {
  checkBenchSettings(s);
  const methodOrder: string[] = [];
  for (const g of s.groups) {
    for (const m of g.methods) if (!methodOrder.includes(m)) methodOrder.push(m);
  }
  const pairs = new Set<string>();
  for (const g of s.groups) {
    for (const m of g.methods) for (const f of g.fractions) pairs.add(`${m}\u0000${f}`);
  }
  const fractions = uniqueSorted(s.groups.flatMap((g) => g.fractions));
  const cells: BenchCell[] = [];
  for (const seed of s.seeds) {
    for (const fraction of fractions) {
      for (const method of methodOrder) {
        if (!pairs.has(`${method}\u0000${fraction}`)) continue;
        cells.push({
          index: cells.length,
          name: cellName(method, fraction, seed),
          method,
          fraction,
          seed,
        });
      }
    }
  }
  return cells;
}

/**
 * Relative cost of one training iteration of a method (supervised = 1), used only to estimate
 * the bench's remaining time: measured for supervised, ICT, GRN-SEL and GRN-SSL on the quick
 * preset (2-core CPU); the others estimated from their extra network passes.
 */
export function methodCost(method: string): number {
  const costs: Record<string, number> = {
    "supervised": 1,
    "supervised-aug": 1.2,
    "supervised-gan-aug": 3,
    "mt": 2,
    "uamt": 6,
    "urpc": 1.5,
    "sassnet": 2.5,
    "rdrop": 2,
    "ict": 2,
    "dan": 2.5,
  };
  if (method in costs) return costs[method]!;
  if (method.startsWith("grn-ssl")) return 12;
  if (method.startsWith("grn-sel")) return 3;
  return 3;
}
