/**
 * `grn train`: train a method on a dataset into a run folder.
 * @module
 */
import type { Command } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { engineLog } from "../_engine_notice.ts";
import { BACKEND_OPTION, NATIVE_OPTION, THREADS_OPTION } from "../_shared_options.ts";
import { getMethodDefinition, methodNames } from "../../trainers/method_registry.ts";
import {
  RunOptionError,
  type RunSummary,
  trainRun,
  type TrainRunOptions,
} from "../../run/train_run.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import type { NativeChoice } from "../../engine/native/provider.ts";

function checkParticipants(flag: string, value: number | undefined): void {
  if (value !== undefined && value >= 1 && !Number.isInteger(value)) {
    throw new UsageError(
      `${flag} must be a fraction in [0, 1) or a whole number of participants (got ${value})`,
    );
  }
}

function format(s: RunSummary): string {
  const best = Number.isNaN(s.bestValidationLoss)
    ? "no validation: the last epoch is kept"
    : `validation Dice loss ${s.bestValidationLoss.toFixed(4)}`;
  return [
    `Trained ${s.method} (fraction ${s.fraction}, seed ${s.seed}) into ${s.dir}`,
    `  participants: ${s.participants.train} train (${s.participants.labeled} labeled), ` +
    `${s.participants.validation} validation, ${s.participants.test} test`,
    `  slices: ${s.slices.labeled} labeled, ${s.slices.unlabeled} unlabeled, ${s.slices.validation} validation`,
    `  epochs: ${s.epochs}${s.stoppedEarly ? " (stopped early)" : ""}${
      s.resumed ? ", resumed" : ""
    }; selected epoch ${s.bestEpoch} (${best}${
      s.consistencyWeight !== null ? `, w(t) ${s.consistencyWeight.toPrecision(3)}` : ""
    })${s.selectFromEpoch > 1 ? `, selection from epoch ${s.selectFromEpoch}` : ""}`,
    ...(s.sge
      ? [
        `  SGE S(G(x)) selected epoch ${s.sge.bestEpoch}${
          Number.isNaN(s.sge.bestValidationLoss)
            ? ""
            : ` (validation Dice loss ${s.sge.bestValidationLoss.toFixed(4)})`
        }: ${s.sge.model}`,
      ]
      : []),
    `  engine: ${s.engine.backend}${
      s.engine.native ? ` + ${s.engine.native}` : ""
    }, ${s.engine.threads} thread${s.engine.threads === 1 ? "" : "s"}; ` +
    `${s.trainingSeconds.toFixed(1)} s training, ${s.seconds.toFixed(1)} s total`,
    ...(s.stages.length > 1
      ? [`  stages: ${s.stages.map((st) => `${st.name} (${st.epochs} epochs)`).join(", ")}`]
      : []),
    `  model: ${s.model}`,
  ].join("\n");
}

const DESCRIPTION =
  "Splits the dataset at the participant level (test, validation, train) with --split-seed\n" +
  "(default: --seed), so every method sees the same split and labeled subset; keeps the labels\n" +
  "of --fraction of the training participants; trains with validation after each epoch, model\n" +
  "selection by the lowest validation Dice loss of S(x) and, for methods with a generator,\n" +
  "of S(G(x)) (SGE), and early stopping once neither improved for --patience epochs (ramped\n" +
  "baselines: counted from their first epoch at full consistency weight); writes config.json,\n" +
  "split.json, dataset.fingerprint.json (SHA-256 of the split's files), checkpoints,\n" +
  "history.json, model.ckpt (and model_sge.ckpt) and train.json into --out.\n" +
  "With --resume, options left out are taken from the run; conflicting ones are an error\n" +
  "(--epochs, --patience, --backend, --threads and --native may change); data whose files\n" +
  "changed since the run began are refused unless --allow-changed-data.";

function methodList(): string {
  const names = methodNames();
  const w = Math.max(...names.map((n) => n.length));
  return names.map((n) => {
    const d = getMethodDefinition(n);
    const tags = [
      d.usesUnlabeled ? "unlabeled" : "",
      d.hasGenerator ? "SGE" : "",
      d.ablation ? "Table 6 ablation" : "",
    ].filter((t) => t);
    return `  ${n.padEnd(w)}  ${d.description}${tags.length > 0 ? ` [${tags.join(", ")}]` : ""}`;
  }).join("\n");
}

/** The `train` command. */
export const command: Command = {
  name: "train",
  summary: "train a method on a dataset into a run folder (resumable)",
  get description(): string {
    return `${DESCRIPTION}\n\nMethods:\n${methodList()}`;
  },
  options: [
    {
      name: "dataset",
      short: "d",
      kind: "string",
      placeholder: "DIR",
      description: "dataset folder (holds dataset.json)",
    },
    {
      name: "method",
      short: "m",
      kind: "choice",
      choices: methodNames,
      choiceNoun: "method",
      description: "training method (see Methods above)",
    },
    {
      name: "fraction",
      short: "f",
      kind: "number",
      min: 0,
      minExclusive: true,
      max: 1,
      default: 0.1,
      description: "labeled fraction of the training participants, in (0, 1]",
    },
    { name: "seed", kind: "integer", default: 0, description: "seed of networks and batches" },
    {
      name: "split-seed",
      kind: "integer",
      default: "--seed",
      description: "seed of the split and the labeled subset",
    },
    {
      name: "test",
      kind: "number",
      min: 0,
      default: 0.38,
      description: "test participants: fraction in [0, 1) or a count",
    },
    {
      name: "validation",
      kind: "number",
      min: 0,
      default: 0.07,
      description: "validation participants: fraction in [0, 1) or a count",
    },
    { name: "epochs", kind: "integer", min: 1, default: 50, description: "maximum epochs" },
    {
      name: "iterations",
      kind: "integer",
      min: 1,
      default: "one pass over the labeled slices",
      description: "iterations per epoch",
    },
    { name: "batch-size", kind: "integer", min: 1, default: 4, description: "batch size" },
    {
      name: "patience",
      kind: "integer",
      min: 0,
      default: 5,
      description: "early-stopping patience in epochs (0 = off)",
    },
    {
      name: "size",
      kind: "size",
      min: 1,
      default: "128x128",
      description: "network input HEIGHTxWIDTH (multiples of 2^(depth-1))",
    },
    { name: "every", kind: "integer", min: 1, default: 1, description: "keep every n-th slice" },
    {
      name: "width",
      kind: "integer",
      min: 1,
      default: 16,
      description: "segmentor base width (16 = the paper's 16-32-64-128-256)",
    },
    { name: "depth", kind: "integer", min: 2, max: 8, default: 5, description: "segmentor levels" },
    {
      name: "generator-width",
      kind: "integer",
      min: 1,
      default: 32,
      description: "generator base width (ngf)",
    },
    {
      name: "discriminator-width",
      kind: "integer",
      min: 1,
      default: 32,
      description: "GRN discriminator base width (ndf)",
    },
    {
      name: "aux-discriminator-width",
      kind: "integer",
      min: 1,
      default: 64,
      description: "DAN/SASSNet discriminator base width",
    },
    {
      name: "consistency-weight",
      kind: "number",
      min: 0,
      default: "the method's",
      description: "final weight of the unlabeled term",
    },
    {
      name: "ramp-fraction",
      kind: "number",
      min: 0,
      default: 0.4,
      description: "fraction of the epochs the baselines' consistency ramp spans; selection and " +
        "early stopping start at full weight",
    },
    {
      name: "lr-schedule",
      kind: "choice",
      choices: ["none", "step", "poly"],
      choiceNoun: "learning-rate schedule",
      default: "none",
      description: "learning rate of G, S and D: none, step (x0.1 every 10 epochs, GRN's code) " +
        "or poly ((1 - t/T)^0.9, SSL4MIS)",
    },
    {
      name: "equal-segmentor-updates",
      kind: "boolean",
      description: "methods with one segmentor update per iteration run twice the iterations " +
        "(GRN-SSL's two updates per iteration)",
    },
    BACKEND_OPTION,
    THREADS_OPTION,
    NATIVE_OPTION,
    {
      name: "out",
      short: "o",
      kind: "string",
      placeholder: "DIR",
      default: "runs/<method>_f<fraction>_s<seed>",
      description: "run folder",
    },
    { name: "resume", kind: "boolean", description: "continue the run in --out" },
    {
      name: "allow-external-links",
      kind: "boolean",
      description: "follow symbolic links whose target leaves the dataset folder (refused by " +
        "default; stored in config.json, kept by --resume)",
    },
    {
      name: "allow-changed-data",
      kind: "boolean",
      description: "with --resume: go on although the dataset's files changed since the run " +
        "recorded their fingerprint (refused by default)",
    },
    { name: "quiet", short: "q", kind: "boolean", description: "no progress lines" },
  ],
  examples: [
    "grn train -d data/phantom -m grn-ssl -f 0.1 --seed 1 -o runs/ssl10",
    "grn train -o runs/ssl10 --resume",
    "grn train -d data/tiny -m supervised --size 32 --width 4 --depth 2 --epochs 1 --iterations 2",
  ],
  async run({ args, out }) {
    const v = args.values;
    const resume = v.resume === true;
    const num = (name: string) => v[name] as number | undefined;
    if (!resume) {
      if (v.dataset === undefined) {
        throw new UsageError("missing --dataset DIR (the dataset folder to train on)");
      }
      if (v.method === undefined) {
        throw new UsageError(
          `missing --method NAME (one of ${methodNames().join(", ")})`,
        );
      }
    } else if (v.out === undefined) {
      throw new UsageError("--resume needs --out DIR (the run folder to continue)");
    }
    checkParticipants("--test", num("test"));
    checkParticipants("--validation", num("validation"));
    const outDir = (v.out as string | undefined) ??
      `runs/${v.method}_f${num("fraction") ?? 0.1}_s${num("seed") ?? 0}`;
    const options: TrainRunOptions = {
      out: outDir,
      resume,
      log: engineLog(out, {
        quiet: v.quiet === true,
        native: (v.native as NativeChoice | undefined) ?? "auto",
      }),
      progress: v.quiet === true ? false : true,
    };
    if (v.dataset !== undefined) options.dataset = v.dataset as string;
    if (v.method !== undefined) options.method = v.method as string;
    if (v["allow-external-links"] === true) options.allowExternalLinks = true;
    if (v["allow-changed-data"] === true) options.allowChangedData = true;
    const set = <K extends keyof TrainRunOptions>(key: K, value: unknown) => {
      if (value !== undefined) options[key] = value as TrainRunOptions[K];
    };
    set("fraction", num("fraction"));
    set("seed", num("seed"));
    set("splitSeed", num("split-seed"));
    set("test", num("test"));
    set("validation", num("validation"));
    set("epochs", num("epochs"));
    set("iterationsPerEpoch", num("iterations"));
    set("batchSize", num("batch-size"));
    set("patience", num("patience"));
    set("inputSize", v.size);
    set("every", num("every"));
    set("backend", v.backend as BackendChoice | undefined);
    set("threads", num("threads"));
    set("native", v.native as NativeChoice | undefined);
    const networks: NonNullable<TrainRunOptions["networks"]> = {};
    if (num("width") !== undefined) networks.width = num("width")!;
    if (num("depth") !== undefined) networks.depth = num("depth")!;
    if (num("generator-width") !== undefined) networks.generatorWidth = num("generator-width")!;
    if (num("discriminator-width") !== undefined) {
      networks.discriminatorWidth = num("discriminator-width")!;
    }
    if (num("aux-discriminator-width") !== undefined) {
      networks.auxiliaryDiscriminatorWidth = num("aux-discriminator-width")!;
    }
    options.networks = networks;
    const methodOptions: NonNullable<TrainRunOptions["methodOptions"]> = {};
    if (num("consistency-weight") !== undefined) {
      methodOptions.consistencyWeight = num("consistency-weight")!;
    }
    if (num("ramp-fraction") !== undefined) methodOptions.rampFraction = num("ramp-fraction")!;
    if (v["lr-schedule"] !== undefined) {
      methodOptions.lrSchedule = v["lr-schedule"] as "none" | "step" | "poly";
    }
    if (v["equal-segmentor-updates"] === true) methodOptions.equalSegmentorUpdates = true;
    if (Object.keys(methodOptions).length > 0) options.methodOptions = methodOptions;
    let summary: RunSummary;
    try {
      summary = await trainRun(options);
    } catch (error) {
      // An input size the networks cannot take is a bad option value: exit code 2.
      if (error instanceof RunOptionError) throw new UsageError(error.message);
      throw error;
    }
    out.result({ ok: true, ...summary }, () => format(summary));
    return 0;
  },
};
