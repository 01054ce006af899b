/**
 * The registry of consistency plug-ins (`L_customize` and the classic baselines' unlabeled
 * terms), by name.
 * @module
 */
import { unknownNameError } from "./_unknown_name.ts";
import type { ConsistencyLoss } from "./consistency_loss.ts";
import {
  InterpolationConsistency,
  type InterpolationConsistencyOptions,
} from "./interpolation_consistency.ts";
import { MeanTeacher, type MeanTeacherOptions } from "./mean_teacher.ts";
import { PyramidConsistency, type PyramidConsistencyOptions } from "./pyramid_consistency.ts";
import { RegularizedDropout, type RegularizedDropoutOptions } from "./regularized_dropout.ts";
import {
  SegmentationAdversarial,
  type SegmentationAdversarialOptions,
} from "./segmentation_adversarial.ts";
import {
  ShapeAwareAdversarial,
  type ShapeAwareAdversarialOptions,
} from "./shape_aware_adversarial.ts";
import {
  UncertaintyAwareMeanTeacher,
  type UncertaintyAwareMeanTeacherOptions,
} from "./uncertainty_aware_mean_teacher.ts";

/** Options of the built-in consistency losses, by registry name. */
export interface BuiltinConsistencyLossOptions {
  /** `InterpolationConsistency` (GRN's default; `{ teacher: true }` for classic ICT). */
  ict: InterpolationConsistencyOptions;
  /** `MeanTeacher`. */
  mt: MeanTeacherOptions;
  /** `UncertaintyAwareMeanTeacher`. */
  uamt: UncertaintyAwareMeanTeacherOptions;
  /** `PyramidConsistency` (needs a multi-scale segmentor). */
  urpc: PyramidConsistencyOptions;
  /** `RegularizedDropout`. */
  rdrop: RegularizedDropoutOptions;
  /** `SegmentationAdversarial` (DAN). */
  dan: SegmentationAdversarialOptions;
  /** `ShapeAwareAdversarial` (SASSNet; needs a signed-distance head). */
  sassnet: ShapeAwareAdversarialOptions;
}

/** A registered consistency loss. */
export interface ConsistencyLossDefinition {
  /** Registry name (lower case, e.g. `"flip"`). */
  name: string;
  /** One line for help texts. */
  description: string;
  /** Builds a fresh loss (plug-ins with state must not be shared between trainers). */
  create(options: Record<string, unknown>): ConsistencyLoss;
}

const registry = new Map<string, ConsistencyLossDefinition>();

const builtins: ConsistencyLossDefinition[] = [
  {
    name: "ict",
    description: "interpolation consistency, GRN-SSL's default L_customize (teacher option)",
    create: (o) => new InterpolationConsistency(o as InterpolationConsistencyOptions),
  },
  {
    name: "mt",
    description: "mean teacher: MSE to an EMA teacher on noisy images",
    create: (o) => new MeanTeacher(o as MeanTeacherOptions),
  },
  {
    name: "uamt",
    description: "uncertainty-aware mean teacher: MC-dropout entropy mask on the MT loss",
    create: (o) => new UncertaintyAwareMeanTeacher(o as UncertaintyAwareMeanTeacherOptions),
  },
  {
    name: "urpc",
    description: "uncertainty-rectified pyramid consistency (multi-scale segmentor)",
    create: (o) => new PyramidConsistency(o as PyramidConsistencyOptions),
  },
  {
    name: "rdrop",
    description: "R-Drop: symmetric KL between two dropout passes",
    create: (o) => new RegularizedDropout(o as RegularizedDropoutOptions),
  },
  {
    name: "dan",
    description: "deep adversarial network: discriminator on [softmax, image]",
    create: (o) => new SegmentationAdversarial(o as SegmentationAdversarialOptions),
  },
  {
    name: "sassnet",
    description: "shape-aware adversarial: signed-distance head and discriminator",
    create: (o) => new ShapeAwareAdversarial(o as ShapeAwareAdversarialOptions),
  },
];
for (const definition of builtins) registry.set(definition.name, definition);

/** Registered consistency-loss names, in registration order (built-ins first). */
export function consistencyLossNames(): string[] {
  return [...registry.keys()];
}

/**
 * Registers a consistency loss under a new name, so that `createConsistencyLoss` (and
 * `grn train --consistency NAME`) can build it.
 *
 * @param definition Name, description and factory.
 * @param options `replace: true` to replace an existing registration. @default {{ replace: false }}
 * @throws {RangeError} When the name is empty or taken (without `replace`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import {
 *   type ConsistencyLoss,
 *   consistencyLossNames,
 *   createConsistencyLoss,
 *   registerConsistencyLoss,
 * } from "./mod.ts";
 *
 * const flip: ConsistencyLoss = {
 *   name: "flip",
 *   requires: [],
 *   compute: ({ images, predict }) =>
 *     tf.tidy(() => tf.mean(tf.squaredDifference(predict(images), predict(tf.reverse(images, 2))))),
 * };
 * registerConsistencyLoss({ name: "flip", description: "flip invariance", create: () => flip });
 * const loss = createConsistencyLoss("flip");
 * assert.equal(loss, flip);
 * assert.ok(consistencyLossNames().includes("flip")); // after the built-ins ("ict", "mt", ...)
 * assert.throws(() => registerConsistencyLoss({ name: "flip", description: "", create: () => flip }));
 * ```
 */
export function registerConsistencyLoss(
  definition: ConsistencyLossDefinition,
  options: { replace?: boolean } = {},
): void {
  const { name } = definition;
  if (typeof name !== "string" || name.trim() === "" || name !== name.trim()) {
    throw new RangeError(
      `Cannot register a consistency loss: name must be a non-empty string without surrounding spaces (got ${
        JSON.stringify(name)
      })`,
    );
  }
  if (typeof definition.create !== "function") {
    throw new TypeError(
      `Cannot register consistency loss "${name}": create must be a function (got ${typeof definition
        .create})`,
    );
  }
  if (registry.has(name) && !options.replace) {
    throw new RangeError(
      `Cannot register consistency loss "${name}": the name is taken (pass { replace: true } to replace it)`,
    );
  }
  registry.set(name, definition);
}

/**
 * Builds a registered consistency loss by name: `ict`, `mt`, `uamt`, `urpc`, `rdrop`, `dan`,
 * `sassnet`, or a user-registered one.
 *
 * @param name Registry name.
 * @param options Options of that loss (see {@linkcode BuiltinConsistencyLossOptions}).
 * @returns A fresh loss.
 * @throws {RangeError} For an unknown name; the message lists the valid names and suggests
 *   the nearest.
 */
export function createConsistencyLoss<N extends keyof BuiltinConsistencyLossOptions>(
  name: N,
  options?: BuiltinConsistencyLossOptions[N],
): ConsistencyLoss;
/**
 * Builds a registered consistency loss by name (a user-registered one, or a built-in with
 * untyped options).
 * @throws {RangeError} For an unknown name.
 */
export function createConsistencyLoss(
  name: string,
  options?: Record<string, unknown>,
): ConsistencyLoss;
export function createConsistencyLoss(
  name: string,
  options: object = {},
): ConsistencyLoss {
  const definition = registry.get(name);
  if (!definition) {
    throw unknownNameError("create a consistency loss", "consistency loss", name, [
      ...registry.keys(),
    ]);
  }
  return definition.create({ ...options });
}
