/**
 * Phantom difficulty calibration: how well does a supervised UNet segment the synthetic lumbar
 * phantom at a given difficulty setting?
 *
 * Generates a phantom cohort in memory, splits it by participant (train / validation / test),
 * slices the training and validation scans in both B-mode directions (keeping every n-th
 * slice), trains the paper's UNet (channels 16-32-64-128-256, 7 classes) on all training labels
 * with the Dice loss (a `GRN` trainer without generator = the supervised baseline) with
 * per-epoch validation, best-epoch selection and early stopping, then segments every test scan
 * with `predictVolume` (both slice directions, softmax-averaged) and reports the Dice of each
 * class 1-6 (background excluded) per scan, averaged over the test scans, with the wall time.
 * The mean of the per-slice Dice of the test B-mode planes is reported alongside.
 *
 * Usage:
 * ```
 * deno run --allow-read --allow-write --allow-env --allow-sys --allow-ffi \
 *   bench/phantom_calibration.ts [--participants 30] [--scans 3] [--epochs 30] \
 *   [--iterations 48] [--patience 5] [--size 128x64] [--batch 8] [--every 4] \
 *   [--val-every 8] [--test 10] [--validation 4] [--lr 2e-4] [--seed 0] [--threads 1] \
 *   [--native auto|onednn|off] [--json] [--out result.json] \
 *   [--noise 0.004] [--contrast 0.7] [--psf-scale 1.2] [--speckle 1] [--structure 1] \
 *   [--waviness 1] [--scan-variation 0.08] [--attenuation 1] [--tgc-jitter-db 3] \
 *   [--dynamic-range-db 50] [--gain-db 0] [--echo sfm=0.09,dfmSheet=0.8] \
 *   [--thickness sfm=0.6:0.9,dfm=1:1.5]
 * ```
 * Knobs not given keep the phantom defaults (data/phantom/options.ts). Progress goes to
 * stderr; the result table (or, with `--json`, one JSON object) goes to stdout.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { initEngine } from "../engine/init_engine.ts";
import { iteratePhantomCohort } from "../data/phantom/cohort.ts";
import { LAYER_NAMES, NUM_LAYER_CLASSES } from "../data/phantom/labels.ts";
import {
  DEFAULT_ECHO,
  type EchoParameters,
  type PhantomOptions,
  resolvePhantomOptions,
  THICKNESS_LAYERS,
  type ThicknessLayer,
  type ThicknessRangesMm,
} from "../data/phantom/options.ts";
import { phantomToScanRecord } from "../data/phantom/to_scan_record.ts";
import { predictVolume } from "../data/predict_volume.ts";
import { prepareTrainingData } from "../data/prepare_training_data.ts";
import type { ScanRecord } from "../data/scan.ts";
import { dicePerClass } from "../metrics/dice.ts";
import { dicePerSlice } from "../metrics/dice_per_slice.ts";
import { UNet } from "../networks/unet.ts";
import { GRN } from "../trainers/grn.ts";
import { type EpochRecord, fit, type ProgressEvent } from "../trainers/fit.ts";

/** Numeric phantom knobs settable from the command line: flag name -> option key. */
const KNOBS = {
  "noise": "noise",
  "contrast": "contrast",
  "psf-scale": "psfScale",
  "speckle": "speckle",
  "structure": "structure",
  "waviness": "waviness",
  "scan-variation": "scanVariation",
  "attenuation": "attenuation",
  "tgc-jitter-db": "tgcJitterDb",
  "dynamic-range-db": "dynamicRangeDb",
  "gain-db": "gainDb",
} as const satisfies Record<string, keyof PhantomOptions>;

type KnobFlag = keyof typeof KNOBS;

const { values } = parseArgs({
  options: {
    participants: { type: "string", default: "30" },
    scans: { type: "string", default: "3" },
    epochs: { type: "string", default: "30" },
    iterations: { type: "string", default: "48" },
    patience: { type: "string", default: "5" },
    size: { type: "string", default: "128x64" },
    batch: { type: "string", default: "8" },
    every: { type: "string", default: "4" },
    "val-every": { type: "string", default: "8" },
    test: { type: "string", default: "10" },
    validation: { type: "string", default: "4" },
    lr: { type: "string", default: "2e-4" },
    seed: { type: "string", default: "0" },
    threads: { type: "string", default: "1" },
    native: { type: "string", default: "auto" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    echo: { type: "string" },
    thickness: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
    ...Object.fromEntries(
      Object.keys(KNOBS).map((flag) => [flag, { type: "string" as const }]),
    ) as Record<KnobFlag, { type: "string" }>,
  },
});

if (values.help) {
  console.log(
    "deno run --allow-read --allow-write --allow-env --allow-sys --allow-ffi bench/phantom_calibration.ts\n" +
      "  [--participants 30] [--scans 3] [--epochs 30] [--iterations 48] [--patience 5]\n" +
      "  [--size 128x64] [--batch 8] [--every 4] [--val-every 8] [--test 10] [--validation 4]\n" +
      "  [--lr 2e-4] [--seed 0] [--threads 1] [--native auto|onednn|off] [--json] [--out file.json]\n" +
      `  [${Object.keys(KNOBS).map((k) => `--${k} N`).join("] [")}]\n` +
      "  [--echo name=value,...] [--thickness layer=min:max,...]",
  );
  Deno.exit(0);
}

function fail(message: string): never {
  console.error(`phantom_calibration: ${message}`);
  Deno.exit(2);
}

function num(flag: string, text: string, check: (v: number) => boolean, what: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || !check(v)) {
    fail(`Cannot parse --${flag}: expected ${what} (got ${JSON.stringify(text)})`);
  }
  return v;
}

const posInt = (flag: string, text: string) =>
  num(flag, text, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
/** A count >= 1 or a fraction in (0, 1), as `splitParticipants` takes. */
const countOrFraction = (flag: string, text: string) =>
  num(
    flag,
    text,
    (v) => (Number.isInteger(v) && v >= 1) || (v > 0 && v < 1),
    "a count >= 1 or a fraction in (0, 1)",
  );

const participants = posInt("participants", values.participants);
const scansPerParticipant = posInt("scans", values.scans);
const maxEpochs = posInt("epochs", values.epochs);
const iterationsPerEpoch = posInt("iterations", values.iterations);
const patience = num("patience", values.patience, (v) => Number.isInteger(v) && v >= 0, ">= 0");
const batchSize = posInt("batch", values.batch);
const every = posInt("every", values.every);
const valEvery = posInt("val-every", values["val-every"]);
const testSide = countOrFraction("test", values.test);
const validationSide = countOrFraction("validation", values.validation);
const lr = num("lr", values.lr, (v) => v > 0, "a positive number");
const seed = num("seed", values.seed, Number.isInteger, "an integer");
const threads = posInt("threads", values.threads);
const native = values.native;
if (native !== "auto" && native !== "onednn" && native !== "off") {
  fail(`Cannot parse --native: expected auto, onednn or off (got ${JSON.stringify(native)})`);
}
const sizeMatch = /^(\d+)x(\d+)$/.exec(values.size);
if (!sizeMatch) fail(`Cannot parse --size: expected HxW, e.g. 128x64 (got ${values.size})`);
const inputSize: [number, number] = [Number(sizeMatch[1]), Number(sizeMatch[2])];
if (inputSize[0] % 16 !== 0 || inputSize[1] % 16 !== 0) {
  fail(`Cannot use --size: the UNet needs multiples of 16 (got ${values.size})`);
}

/** The phantom options of this run: the defaults plus the command-line overrides. */
const phantom: PhantomOptions = {};
for (const [flag, key] of Object.entries(KNOBS) as [KnobFlag, keyof PhantomOptions][]) {
  const text = values[flag];
  if (text !== undefined) {
    (phantom as Record<string, number>)[key] = num(flag, text, () => true, "a number");
  }
}
if (values.echo !== undefined) {
  const echo: Partial<EchoParameters> = {};
  for (const part of values.echo.split(",")) {
    const [name, value] = part.split("=");
    if (!name || value === undefined || !(name in DEFAULT_ECHO)) {
      fail(
        `Cannot parse --echo: expected name=value with name one of ${
          Object.keys(DEFAULT_ECHO).join(", ")
        } (got ${JSON.stringify(part)})`,
      );
    }
    echo[name as keyof EchoParameters] = num("echo", value, () => true, "a number");
  }
  phantom.echo = echo;
}
if (values.thickness !== undefined) {
  const ranges: Partial<ThicknessRangesMm> = {};
  for (const part of values.thickness.split(",")) {
    const m = /^(\w+)=([\d.]+):([\d.]+)$/.exec(part);
    if (!m || !THICKNESS_LAYERS.includes(m[1] as ThicknessLayer)) {
      fail(
        `Cannot parse --thickness: expected layer=min:max with layer one of ${
          THICKNESS_LAYERS.join(", ")
        } (got ${JSON.stringify(part)})`,
      );
    }
    ranges[m[1] as ThicknessLayer] = [Number(m[2]), Number(m[3])];
  }
  phantom.thicknessRangesMm = ranges;
}
try {
  resolvePhantomOptions(phantom);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const log = (line: string) => {
  Deno.stderr.writeSync(new TextEncoder().encode(`[calibration] ${line}\n`));
};
const seconds = (t0: number) => (performance.now() - t0) / 1000;

const wallStart = performance.now();
const engine = await initEngine({
  backend: "wasm",
  threads,
  native,
  log: values.json ? () => {} : log,
});

// 1. Cohort, in memory.
let t0 = performance.now();
const scans: ScanRecord[] = [];
for (
  const scan of iteratePhantomCohort({ ...phantom, participants, scansPerParticipant, seed })
) {
  scans.push(phantomToScanRecord(scan));
}
const generationSeconds = seconds(t0);
const shape = scans[0]!.image.shape;
log(
  `generated ${scans.length} scans of ${shape.join("x")} in ${generationSeconds.toFixed(1)} s`,
);

// 2. Participant split, slices and streams: every training participant labeled.
const prepared = prepareTrainingData(scans, {
  splitSeed: seed,
  test: testSide,
  validation: validationSide,
  slices: { inputSize, every, validationEvery: valEvery },
});
const { split } = prepared;
if (split.validation.length === 0 || split.test.length === 0) {
  fail(
    `Cannot calibrate: validation and test need at least one participant each (got ${split.participants.validation.length} and ${split.participants.test.length})`,
  );
}
const trainSlices = prepared.slices.labeled;
const validationSlices = prepared.slices.validation!;
log(
  `split ${split.participants.train.length}/${split.participants.validation.length}/${split.participants.test.length} participants ` +
    `(${split.train.length}/${split.validation.length}/${split.test.length} scans); ` +
    `${trainSlices.size} training slices (every ${every}), ${validationSlices.size} validation slices (every ${valEvery})`,
);

// 3. Supervised UNet: GRN without generator, Dice loss, Adam (betas 0.5/0.999 as in the paper).
const segmentor = new UNet({ seed, numClasses: NUM_LAYER_CLASSES });
const trainer = new GRN({ segmentor, generator: null, adam: { learningRate: lr }, seed });
const { labeled, validation } = prepared.streams;
t0 = performance.now();
const progress = (e: ProgressEvent) => {
  if (e.kind === "epoch" && e.validation) {
    log(
      `epoch ${e.epoch}/${e.maxEpochs}: train diceReal ${
        (e.losses.diceReal ?? NaN).toFixed(4)
      } | val diceLoss ${e.validation.diceLoss.toFixed(4)} meanDice ${
        e.validation.meanDice.toFixed(4)
      } | ${e.secondsPerIteration.toFixed(2)} s/it, ${seconds(t0).toFixed(0)} s so far`,
    );
  }
};
const result = await fit(trainer, { labeled, validation }, {
  batchSize,
  maxEpochs,
  iterationsPerEpoch,
  patience,
  progress,
});
const trainingSeconds = seconds(t0);
const best = result.history[result.bestEpoch - 1]!;
log(
  `trained ${result.history.length} epochs (${
    result.history.length * iterationsPerEpoch
  } iterations) in ${trainingSeconds.toFixed(0)} s; best epoch ${result.bestEpoch} ` +
    `(val meanDice ${best.validation!.meanDice.toFixed(4)})${
      result.stoppedEarly ? ", stopped early" : ""
    }`,
);

// 4. Test: every test scan segmented as a volume (both directions), Dice per class per scan.
t0 = performance.now();
const classes = Array.from({ length: NUM_LAYER_CLASSES - 1 }, (_, i) => i + 1);
const perScan: { id: string; dice: number[]; mean: number }[] = [];
const sliceSums = new Float64Array(classes.length);
const sliceCounts = new Float64Array(classes.length);
for (const scan of split.test) {
  const pred = await predictVolume(scan.image, (x) => trainer.predict(x), {
    inputSize,
    direction: "both",
    batchSize,
  });
  const truth = scan.label!;
  const d = dicePerClass(pred.data, truth.data, { numClasses: NUM_LAYER_CLASSES, classes });
  perScan.push({ id: scan.id, dice: d.dice, mean: d.mean });
  // Per-slice Dice over the B-mode planes of both directions (x-z planes fix y, y-z fix x).
  for (const axis of [0, 1] as const) {
    for (
      const s of dicePerSlice(pred.data, truth.data, truth.shape, {
        numClasses: NUM_LAYER_CLASSES,
        classes,
        axis,
        order: "F",
      })
    ) {
      s.dice.forEach((v, k) => {
        if (!Number.isNaN(v)) {
          sliceSums[k]! += v;
          sliceCounts[k]!++;
        }
      });
    }
  }
}
const testSeconds = seconds(t0);
const meanOver = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOver = (xs: number[]) => {
  const m = meanOver(xs);
  return xs.length > 1
    ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
    : NaN;
};
const perClass = classes.map((c, k) => {
  const xs = perScan.map((s) => s.dice[k]!).filter((v) => !Number.isNaN(v));
  return {
    label: c,
    name: LAYER_NAMES[c]!,
    dice: meanOver(xs),
    sd: sdOver(xs),
    perSliceDice: sliceSums[k]! / sliceCounts[k]!,
  };
});
const meanDice = meanOver(perScan.map((s) => s.mean));
const perSliceMean = meanOver(perClass.map((c) => c.perSliceDice));
const ranked = [...perClass].sort((a, b) => a.dice - b.dice);
const membranesHardest = ranked.slice(0, 2).every((c) => c.label === 3 || c.label === 5);

// Has training flattened? Gain of the best validation Dice in the last 3 epochs over the
// best before them (small = plateau), and whether early stopping ended the run.
const valDice = result.history.map((h) => h.validation!.meanDice);
const lastK = Math.min(3, valDice.length - 1);
const recentGain = lastK > 0
  ? Math.max(...valDice.slice(-lastK)) - Math.max(...valDice.slice(0, -lastK))
  : NaN;
const wallSeconds = seconds(wallStart);
const tensorsLeft = tf.memory().numTensors;
trainer.dispose();

const report = {
  date: new Date().toISOString(),
  backend: engine.backend,
  threads: engine.threads,
  native: engine.native ? `oneDNN ${engine.native.version}` : null,
  cohort: {
    participants,
    scansPerParticipant,
    seed,
    shape,
    split: split.participants,
    scans: {
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
    },
  },
  slices: {
    inputSize,
    directions: ["coronal", "sagittal"],
    every,
    validationEvery: valEvery,
    train: trainSlices.size,
    validation: validationSlices.size,
  },
  phantomOverrides: phantom,
  training: {
    lr,
    betas: [0.5, 0.999],
    batchSize,
    iterationsPerEpoch,
    maxEpochs,
    patience,
    epochs: result.history.length,
    iterations: result.history.length * iterationsPerEpoch,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    valMeanDiceRecentGain: recentGain,
    history: result.history.map((h: EpochRecord) => ({
      epoch: h.epoch,
      seconds: h.seconds,
      trainDiceLoss: h.train.diceReal,
      valDiceLoss: h.validation?.diceLoss,
      valMeanDice: h.validation?.meanDice,
    })),
  },
  test: {
    evaluation: "per scan: predictVolume (coronal + sagittal softmax averaged), Dice per class",
    perClass,
    meanDice,
    perSliceMeanDice: perSliceMean,
    perScan,
    inBand: meanDice >= 0.75 && meanDice <= 0.9,
    membranesHardest,
    hardestFirst: ranked.map((c) => c.name),
  },
  seconds: {
    generation: generationSeconds,
    training: trainingSeconds,
    test: testSeconds,
    wall: wallSeconds,
  },
  tensorsLeft,
};

if (values.out) {
  await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + "\n", { mkdir: true });
}
if (values.json) {
  console.log(JSON.stringify(report));
} else {
  const f = (v: number) => v.toFixed(3);
  console.log(
    `\nPhantom calibration: supervised UNet, ${report.cohort.scans.train}/${report.cohort.scans.validation}/${report.cohort.scans.test} scans ` +
      `(${shape.join("x")}), slices ${
        inputSize.join("x")
      } every ${every}, batch ${batchSize}, lr ${lr}, ` +
      `${result.history.length} epochs x ${iterationsPerEpoch} it (best ${result.bestEpoch}${
        result.stoppedEarly ? ", early stop" : ""
      })`,
  );
  console.log(
    `engine: ${report.backend}${
      report.native ? ` + ${report.native}` : ""
    }, ${report.threads} thread(s); seed ${seed}`,
  );
  console.log(
    `overrides: ${Object.keys(phantom).length ? JSON.stringify(phantom) : "none (defaults)"}`,
  );
  console.log("| class | Dice per scan (mean ± sd) | Dice per slice |");
  console.log("|---|---|---|");
  for (const c of perClass) {
    console.log(`| ${c.label} ${c.name} | ${f(c.dice)} ± ${f(c.sd)} | ${f(c.perSliceDice)} |`);
  }
  console.log(`| mean (1-6) | ${f(meanDice)} | ${f(perSliceMean)} |`);
  console.log(
    `band 0.75-0.90: ${report.test.inBand ? "yes" : "no"}; membranes hardest: ${
      membranesHardest ? "yes" : "no"
    } (hardest first: ${report.test.hardestFirst.join(", ")})`,
  );
  console.log(
    `val meanDice by epoch: ${valDice.map(f).join(" ")}; gain of the last ${lastK} epochs: ${
      f(recentGain)
    }`,
  );
  console.log(
    `time: generation ${generationSeconds.toFixed(0)} s, training ${
      trainingSeconds.toFixed(0)
    } s, test ${testSeconds.toFixed(0)} s, wall ${wallSeconds.toFixed(0)} s`,
  );
}
