/**
 * The reports' names for methods and fractions, derived from the method definitions
 * (`MethodDefinition`: `label`, `proposed`, `ablation`, `paperRows`) of the registry, so that a
 * method registered with `registerMethod` is labeled, placed and tested like a built-in one.
 *
 * A method name the registry does not know (for example a bench folder of a method registered
 * by a script, reported by `grn report` in another process) keeps its name as its label, is
 * proposed when its name starts with `grn-`, and is neither an ablation nor in Tables 4 and 6.
 * @module
 */
import { BUILTIN_METHODS } from "../trainers/builtin_methods.ts";
import type { MethodDefinition } from "../trainers/method.ts";
import { methodDefinitions } from "../trainers/method_registry.ts";

function definitionOf(method: string): MethodDefinition | undefined {
  return methodDefinitions().find((d) => d.name === method);
}

/**
 * Display names of the built-in methods (the paper's row names), from their definitions'
 * `label`. Kept for compatibility; {@linkcode methodLabel} also knows registered methods.
 */
export const METHOD_LABELS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(BUILTIN_METHODS.map((d) => [d.name, d.label ?? d.name])),
);

/**
 * The built-in methods of the paper's ablation study (Table 6 only), from their definitions'
 * `ablation`. Kept for compatibility; {@linkcode isAblation} also knows registered methods.
 */
export const ABLATION_METHODS: readonly string[] = Object.freeze(
  BUILTIN_METHODS.filter((d) => d.ablation === true).map((d) => d.name),
);

/**
 * The row label of a method and prediction path, e.g. `"GRN-SEL (w SGE)"`: the definition's
 * `label` (the name when it has none or is not registered), with `" (w SGE)"` for SGE.
 */
export function methodLabel(method: string, variant: "plain" | "sge"): string {
  const base = definitionOf(method)?.label ?? method;
  return variant === "sge" ? `${base} (w SGE)` : base;
}

/**
 * Whether a method is one of the proposed GRN variants (its definition's `proposed`; for a
 * name the registry does not know, whether it starts with `grn-`).
 */
export function isProposed(method: string): boolean {
  const d = definitionOf(method);
  return d ? d.proposed === true : method.startsWith("grn-");
}

/** Whether a method belongs to the ablation study only (its definition's `ablation`). */
export function isAblation(method: string): boolean {
  return definitionOf(method)?.ablation === true;
}

/**
 * The rows of Table 4 or Table 6 as `[method, prediction path]` pairs, in registry order
 * (built-ins in the paper's row order), from the definitions' `paperRows`.
 */
export function paperTableRows(table: "table4" | "table6"): [string, "plain" | "sge"][] {
  return methodDefinitions().flatMap((d) =>
    (d.paperRows?.[table] ?? []).map((v): [string, "plain" | "sge"] => [d.name, v])
  );
}

/** A fraction as a column heading: `"5%"`, `"12.5%"`, `"100%"`. */
export function fractionLabel(f: number): string {
  return `${Number((f * 100).toFixed(2))}%`;
}
