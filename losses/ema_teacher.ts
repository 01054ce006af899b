import * as tf from "@tensorflow/tfjs";
import type { AnyVariable, ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import type { Rng } from "../engine/rng.ts";
import { stopGradient } from "../engine/stop_gradient.ts";
import type { Generator } from "../networks/generator.ts";
import type { Module } from "../networks/module.ts";
import type { Segmentor } from "../networks/segmentor.ts";
import { emaDecay } from "../engine/schedules.ts";
import { withoutTape } from "./_without_tape.ts";
import type {
  ConsistencyHost,
  OptimizerStepEvent,
  PluginPart,
  PredictionPath,
} from "./consistency_loss.ts";

/**
 * Options of a noisy EMA teacher, shared by the MT and UAMT losses: its decay and mode, and the
 * clipped Gaussian noise on its input.
 */
export interface NoisyTeacherOptions {
  /** Upper bound of the EMA coefficient. @default {0.99} (SSL4MIS `--ema_decay`) */
  decay?: number;
  /**
   * Standard deviation of the Gaussian noise on every teacher input. SSL4MIS uses 0.1 on
   * images in `[0, 1]`; ours are in `[-1, 1]`, twice the range, hence 0.2.
   * @default {0.2}
   */
  noiseStd?: number;
  /** The noise is clipped to `±noiseClip` (SSL4MIS: ±0.2 on `[0, 1]`). @default {0.4} */
  noiseClip?: number;
  /**
   * Run the teacher in training mode (dropout on, batch-norm batch statistics), as SSL4MIS
   * does (see `EmaTeacher`).
   * @default {true}
   */
  teacherTraining?: boolean;
}

/** Options of {@linkcode EmaTeacher}. */
export interface EmaTeacherOptions {
  /** Upper bound of the EMA coefficient (`α_t = min(1 - 1/(t+1), decay)`). @default {0.99} */
  decay?: number;
  /**
   * Run the teacher in training mode (dropout on, batch-norm batch statistics), as SSL4MIS
   * does: its teacher is never switched to `eval()`. `false` runs it in inference mode.
   * @default {true}
   */
  training?: boolean;
}

type Pair = [teacher: tf.Variable, student: tf.Variable];

function pairTrainable(kind: string, teacher: Module, student: Module): Pair[] {
  const byName = new Map(student.variables.map((v, i) => [student.variableNames[i]!, v]));
  const teacherNames = new Map(teacher.variables.map((v, i) => [v, teacher.variableNames[i]!]));
  return teacher.trainableVariables.map((t) => {
    const name = teacherNames.get(t)!;
    const s = byName.get(name);
    if (!s || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new TypeError(
        `Cannot build an EMA teacher of the ${kind}: its clone has variable ${name} [${t.shape}] that the student lacks (got ${
          s ? `[${s.shape}]` : "none"
        })`,
      );
    }
    return [t, s];
  });
}

/**
 * An exponential-moving-average teacher of the student's prediction path (Tarvainen &
 * Valpola, "Mean teachers are better role models", NeurIPS 2017), shared by the MT, UAMT and
 * ICT plug-ins.
 *
 * It clones the student segmentor — and the generator when there is one, so that a GRN-SSL
 * plug-in can mirror the `S∘G` path with `S'∘G'` — and after each optimizer step of the
 * student updates the clone's trainable parameters: `θ' ← α_t·θ' + (1 - α_t)·θ` with
 * `α_t = min(1 - 1/(t + 1), decay)` and `t` the 0-based iteration (see `emaDecay`). The
 * segmentor teacher follows segmentor steps and the generator teacher generator steps; in
 * GRN-SSL's two-phase iteration each network steps twice per iteration, with the same `α_t`.
 *
 * As in SSL4MIS (its issue #77), only trainable parameters are averaged; batch-norm running
 * averages are the teacher's own. The teacher runs in training mode by default (SSL4MIS never
 * calls `eval()` on it), so its batch norm uses batch statistics and its dropout is live,
 * drawn from the trainer's generator passed to {@linkcode EmaTeacher.predict}.
 *
 * Its {@linkcode EmaTeacher.variables} (every variable of the clones, weights and batch-norm
 * state, named `S/...` and `G/...`) belong in checkpoints.
 */
export class EmaTeacher {
  /** The teacher segmentor `S'`. */
  readonly segmentor: Segmentor;
  /** The teacher generator `G'`, or `null` when the student has no generator. */
  readonly generator: Generator | null;
  /** Upper bound of the EMA coefficient. */
  readonly decay: number;
  readonly #training: boolean;
  readonly #segmentorPairs: Pair[];
  readonly #generatorPairs: Pair[];
  #disposed = false;

  /**
   * Clones the student networks.
   *
   * @param host The student segmentor and (optional) generator.
   * @param options See {@linkcode EmaTeacherOptions}.
   * @throws {RangeError} When `decay` is outside `[0, 1]`.
   */
  constructor(host: ConsistencyHost, options: EmaTeacherOptions = {}) {
    const { decay = 0.99, training = true } = options;
    if (!(decay >= 0 && decay <= 1)) {
      throw new RangeError(`Cannot create an EMA teacher: decay must be in [0, 1] (got ${decay})`);
    }
    this.decay = decay;
    this.#training = training;
    this.segmentor = host.segmentor.clone(`${host.segmentor.name}_teacher`);
    this.generator = host.generator ? host.generator.clone(`${host.generator.name}_teacher`) : null;
    try {
      this.#segmentorPairs = pairTrainable("segmentor", this.segmentor, host.segmentor);
      this.#generatorPairs = this.generator
        ? pairTrainable("generator", this.generator, host.generator!)
        : [];
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * The teacher's logits along a prediction path: `S'(x)` or `S'(G'(x))`, detached from the
   * gradient tape. The pass runs with the tape paused, so inside a trainer's update it keeps
   * no activations for the backward pass.
   *
   * @param x Images `[batch, height, width, channels]`.
   * @param path The student's path to mirror.
   * @param rng Generator of the teacher's dropout (the trainer's).
   * @returns Logits `[batch, height, width, classes]` (no gradient flows through them).
   */
  predict(x: ImageBatch, path: PredictionPath, rng: Rng): LogitBatch {
    this.#check("predict with an EMA teacher");
    const options = { training: this.#training, rng };
    return withoutTape(() =>
      tf.tidy(() => {
        const input = path === "generator-segmentor" && this.generator
          ? this.generator.apply(x, options)
          : x;
        return stopGradient(this.segmentor.apply(input, options));
      })
    );
  }

  /**
   * The EMA update after an optimizer step of the student: the segmentor teacher after a
   * segmentor step, the generator teacher after a generator step; nothing after a
   * discriminator step.
   */
  update(event: OptimizerStepEvent): void {
    this.#check("update an EMA teacher");
    const pairs = event.updated === "segmentor"
      ? this.#segmentorPairs
      : event.updated === "generator"
      ? this.#generatorPairs
      : [];
    if (pairs.length === 0) return;
    const alpha = emaDecay(event.step, this.decay);
    tf.tidy(() => {
      for (const [t, s] of pairs) t.assign(tf.add(tf.mul(t, alpha), tf.mul(s, 1 - alpha)));
    });
  }

  /** Every variable of the teacher networks (weights and batch-norm state). */
  get variables(): readonly AnyVariable[] {
    return [...this.segmentor.variables, ...(this.generator?.variables ?? [])];
  }

  /** Stable names of {@linkcode EmaTeacher.variables}: `S/<name>` and `G/<name>`. */
  get variableNames(): readonly string[] {
    return [
      ...this.segmentor.variableNames.map((n) => `S/${n}`),
      ...(this.generator?.variableNames.map((n) => `G/${n}`) ?? []),
    ];
  }

  /** Frees the teacher networks. Safe to call more than once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.segmentor.dispose();
    this.generator?.dispose();
  }

  #check(action: string): void {
    if (this.#disposed) throw new Error(`Cannot ${action}: the teacher was disposed`);
  }
}

/**
 * The EMA teacher as a plug-in part (see `PluginPart`): the MT, UAMT and ICT losses list one
 * in their `parts`. The trainer's `attach` builds the {@linkcode EmaTeacher} from its networks,
 * every optimizer step updates it, its variables (`S/...`, `G/...`) go into checkpoints as
 * `consistency.<loss>/S/...`, and `dispose` frees it.
 *
 * @example A loss of your own with an EMA teacher, in a GRN-SSL trainer
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import {
 *   type ConsistencyContext,
 *   type ConsistencyLoss,
 *   EmaTeacherPart,
 *   GRN,
 *   initEngine,
 *   type Scalar,
 *   UNet,
 * } from "../mod.ts";
 *
 * class MyTeacherLoss implements ConsistencyLoss {
 *   readonly name = "mine";
 *   readonly requires = ["teacher"] as const;
 *   readonly #teacher = new EmaTeacherPart("mine", { decay: 0.99 });
 *   readonly parts = [this.#teacher];
 *   compute(ctx: ConsistencyContext): Scalar {
 *     const teacher = this.#teacher.require();
 *     return tf.tidy(() => tf.mean(tf.squaredDifference(
 *       tf.softmax(ctx.predict(ctx.images)),
 *       tf.softmax(teacher.predict(ctx.images, ctx.path, ctx.rng)),
 *     )));
 *   }
 * }
 *
 * await initEngine();
 * const segmentor = new UNet({ channels: [4, 8], dropout: [0, 0], seed: 1 }); // a small UNet
 * const trainer = new GRN({ mode: "ssl", segmentor, generator: null, consistency: new MyTeacherLoss() });
 * const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 1) as tf.Tensor4D;
 * const labels = tf.zeros([2, 32, 32], "int32") as tf.Tensor3D;
 * // The teacher starts as a copy of the student, then trails it.
 * assert.equal(trainer.step({ images, labels }, { images }).consistencyReal, 0);
 * assert.ok(trainer.step({ images, labels }, { images }).consistencyReal! > 0);
 * // Its weights are saved with the trainer's.
 * assert.ok(trainer.namedState().has("consistency.mine/S/enc0.conv1.kernel"));
 * trainer.dispose();
 * ```
 */
export class EmaTeacherPart implements PluginPart {
  readonly #owner: string;
  readonly #options: EmaTeacherOptions;
  #teacher: EmaTeacher | null = null;

  /**
   * Creates the part; the teacher is built on {@linkcode EmaTeacherPart.attach}.
   *
   * @param owner The name of the loss that owns the part (for error messages).
   * @param options See {@linkcode EmaTeacherOptions}.
   * @throws {RangeError} When `decay` is outside `[0, 1]`.
   */
  constructor(owner: string, options: EmaTeacherOptions = {}) {
    const { decay = 0.99 } = options;
    if (!(decay >= 0 && decay <= 1)) {
      throw new RangeError(
        `Cannot create the ${owner} loss: decay must be in [0, 1] (got ${decay})`,
      );
    }
    this.#owner = owner;
    this.#options = { ...options };
  }

  /** The teacher, once attached to a trainer; else `null`. */
  get teacher(): EmaTeacher | null {
    return this.#teacher;
  }

  /**
   * The teacher, for a loss's `compute`.
   * @throws {Error} Before {@linkcode EmaTeacherPart.attach}.
   */
  require(): EmaTeacher {
    if (!this.#teacher) {
      throw new Error(
        `Cannot compute the ${this.#owner} loss: it has no teacher yet (attach it to a trainer first)`,
      );
    }
    return this.#teacher;
  }

  /**
   * Builds the teacher from the trainer's networks.
   * @throws {RangeError} When the loss is already attached to a trainer, or `decay` is out of
   *   range.
   */
  attach(host: ConsistencyHost): void {
    if (this.#teacher) {
      throw new RangeError(
        `Cannot attach the ${this.#owner} loss: it already belongs to a trainer (got a second attach)`,
      );
    }
    this.#teacher = new EmaTeacher(host, this.#options);
  }

  /** Updates the teacher after a student step. */
  afterOptimizerStep(event: OptimizerStepEvent): void {
    this.#teacher?.update(event);
  }

  /** The teacher's variables (for checkpoints); empty before attach. */
  get variables(): readonly AnyVariable[] {
    return this.#teacher?.variables ?? [];
  }

  /** Names of {@linkcode EmaTeacherPart.variables}: `S/<name>` and `G/<name>`. */
  get variableNames(): readonly string[] {
    return this.#teacher?.variableNames ?? [];
  }

  /** Frees the teacher. Safe to call more than once. */
  dispose(): void {
    this.#teacher?.dispose();
  }
}
