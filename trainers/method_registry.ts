/**
 * The registry of training methods by name (`grn train --method NAME`): GRN, its ablations and
 * the baselines of the paper's Tables 2-6, plus user-registered methods.
 * @module
 */
import { unknownNameError } from "../losses/_unknown_name.ts";
import { BUILTIN_METHODS } from "./builtin_methods.ts";
import {
  Method,
  type MethodDefinition,
  type MethodOptions,
  type ResolvedMethodOptions,
} from "./method.ts";

const registry = new Map<string, MethodDefinition>(BUILTIN_METHODS.map((d) => [d.name, d]));

/**
 * Registered method names, built-ins first: `supervised`, `supervised-aug`,
 * `supervised-gan-aug`, `mt`, `uamt`, `urpc`, `sassnet`, `rdrop`, `ict`, `dan`, `grn-sel`,
 * `grn-sel-no-feedback`, `grn-sel-negated`, `grn-sel-frozen-s`, `grn-ssl`, `grn-ssl-mt`,
 * `grn-ssl-urpc`.
 */
export function methodNames(): string[] {
  return [...registry.keys()];
}

/**
 * Every registered definition, in the order of {@linkcode methodNames} (built-ins first, in the
 * order of the paper's tables): the one table of methods from which the help texts and the
 * reports' labels, Table 4 and Table 6 rows and ablation lists are derived.
 */
export function methodDefinitions(): MethodDefinition[] {
  return [...registry.values()];
}

/**
 * The definition registered under `name` (label, description, paper reference and rows,
 * whether it is proposed or an ablation, uses unlabeled data or has a generator).
 * @throws {RangeError} For an unknown name (lists the valid names, suggests the nearest).
 */
export function getMethodDefinition(name: string): MethodDefinition {
  const definition = registry.get(name);
  if (!definition) throw unknownNameError("find method", "method", name, methodNames());
  return definition;
}

/**
 * Registers a method so that `createMethod` (and `grn train --method NAME`) can build it.
 *
 * @param definition See {@linkcode MethodDefinition}.
 * @param options `replace: true` to replace an existing registration. @default {{ replace: false }}
 * @throws {RangeError} When the name is empty or taken (without `replace`), the label is
 *   empty, or `paperRows` names a prediction path other than `"plain"` and `"sge"`.
 * @throws {TypeError} When `build` is not a function.
 *
 * @example A supervised baseline with cross-entropy only
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   createMethod,
 *   crossEntropyLoss,
 *   GRN,
 *   initEngine,
 *   methodNames,
 *   registerMethod,
 *   UNet,
 * } from "../mod.ts";
 *
 * await initEngine();
 * registerMethod({
 *   name: "supervised-ce",
 *   label: "Fully supervised (CE)", // its row in grn report's tables
 *   description: "segmentor alone, cross-entropy",
 *   reference: "user",
 *   usesUnlabeled: false,
 *   hasGenerator: false,
 *   build: ({ options }) => [{
 *     name: "train",
 *     epochShare: 1,
 *     validate: true,
 *     trainer: new GRN({ segmentor: new UNet({ numClasses: options.numClasses }), supervisedLoss: crossEntropyLoss }),
 *   }],
 * });
 * assert.ok(methodNames().includes("supervised-ce"));
 * using method = createMethod("supervised-ce", { numClasses: 7, seed: 1 });
 * assert.equal(method.trainer.generator, null);
 * ```
 */
export function registerMethod(
  definition: MethodDefinition,
  options: { replace?: boolean } = {},
): void {
  const { name } = definition;
  if (typeof name !== "string" || name.trim() === "" || name !== name.trim()) {
    throw new RangeError(
      `Cannot register a method: name must be a non-empty string without surrounding spaces (got ${
        JSON.stringify(name)
      })`,
    );
  }
  if (typeof definition.build !== "function") {
    throw new TypeError(
      `Cannot register method "${name}": build must be a function (got ${typeof definition.build})`,
    );
  }
  const { label, paperRows = {} } = definition;
  if (label !== undefined && (typeof label !== "string" || label.trim() === "")) {
    throw new RangeError(
      `Cannot register method "${name}": label must be a non-empty string (got ${
        JSON.stringify(label)
      })`,
    );
  }
  for (const [table, paths] of Object.entries(paperRows) as [string, unknown][]) {
    if (paths === undefined) continue;
    if (!Array.isArray(paths) || paths.some((p: unknown) => p !== "plain" && p !== "sge")) {
      throw new RangeError(
        `Cannot register method "${name}": paperRows.${table} must list "plain" and/or "sge" (got ${
          JSON.stringify(paths)
        })`,
      );
    }
  }
  if (registry.has(name) && !options.replace) {
    throw new RangeError(
      `Cannot register method "${name}": the name is taken (pass { replace: true } to replace it)`,
    );
  }
  registry.set(name, definition);
}

function resolve(options: MethodOptions): ResolvedMethodOptions {
  const {
    numClasses = 7,
    inChannels = 1,
    seed = 0,
    unet = {},
    generator = {},
    discriminator = {},
    auxiliaryDiscriminator = {},
    adam = {},
    lambdas = {},
    rampFraction = 0.4,
    consistency = {},
    augment = {},
    ganEpochShare = 0.5,
    lrSchedule = "none",
    equalSegmentorUpdates = false,
    supervisedLoss,
    dice,
    consistencyWeight,
    plannedIterations,
  } = options;
  const fail = (key: string, rule: string, value: unknown) => {
    throw new RangeError(
      `Cannot create method: ${key} must be ${rule} (got ${JSON.stringify(value)})`,
    );
  };
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    fail("numClasses", "an integer >= 2", numClasses);
  }
  if (!Number.isInteger(inChannels) || inChannels < 1) {
    fail("inChannels", "a positive integer", inChannels);
  }
  if (!Number.isFinite(seed)) fail("seed", "a finite number", seed);
  if (!(rampFraction >= 0) || !Number.isFinite(rampFraction)) {
    fail("rampFraction", "a finite number >= 0", rampFraction);
  }
  if (!(ganEpochShare > 0 && ganEpochShare < 1)) fail("ganEpochShare", "in (0, 1)", ganEpochShare);
  if (!["none", "step", "poly"].includes(lrSchedule)) {
    fail("lrSchedule", 'one of "none", "step", "poly"', lrSchedule);
  }
  if (typeof equalSegmentorUpdates !== "boolean") {
    fail("equalSegmentorUpdates", "a boolean", equalSegmentorUpdates);
  }
  if (
    consistencyWeight !== undefined && (!(consistencyWeight >= 0) || !isFinite(consistencyWeight))
  ) {
    fail("consistencyWeight", "a finite number >= 0", consistencyWeight);
  }
  if (
    plannedIterations !== undefined &&
    (!Number.isInteger(plannedIterations) || plannedIterations < 1)
  ) {
    fail("plannedIterations", "a positive integer", plannedIterations);
  }
  return {
    numClasses,
    inChannels,
    seed,
    unet,
    generator,
    discriminator,
    auxiliaryDiscriminator,
    adam,
    lambdas,
    rampFraction,
    consistency,
    augment,
    ganEpochShare,
    lrSchedule,
    equalSegmentorUpdates,
    ...(supervisedLoss !== undefined ? { supervisedLoss } : {}),
    ...(dice !== undefined ? { dice } : {}),
    ...(consistencyWeight !== undefined ? { consistencyWeight } : {}),
    ...(plannedIterations !== undefined ? { plannedIterations } : {}),
  };
}

/**
 * Builds a registered method from the shared options: the same backbone, seed, optimizer and
 * (through {@linkcode Method.fit}) data, budget, validation and early stopping for every
 * method, so their results form a fair table.
 *
 * @param name A name from {@linkcode methodNames}.
 * @param options See {@linkcode MethodOptions}.
 * @returns The built method; `dispose()` it when done.
 * @throws {RangeError} For an unknown name (the message lists the valid names and suggests
 *   the nearest) or an invalid option.
 *
 * @example Compare MT and GRN-SSL on one budget
 * ```ts ignore
 * // Not run by the doc tests: it trains two methods for up to 50 epochs on your streams
 * // (labeled, unlabeled, validation: see prepareTrainingData).
 * for (const name of ["mt", "grn-ssl"]) {
 *   using method = createMethod(name, { numClasses: 7, seed: 1 });
 *   const result = await method.fit({ labeled, unlabeled, validation }, { maxEpochs: 50 });
 *   console.log(name, result.bestValidationLoss);
 * }
 * ```
 */
export function createMethod(name: string, options: MethodOptions = {}): Method {
  const definition = registry.get(name);
  if (!definition) throw unknownNameError("create method", "method", name, methodNames());
  return new Method(definition, resolve(options));
}
