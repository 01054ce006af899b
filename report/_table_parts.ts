/**
 * Helpers shared by the table builders (private).
 * @module
 */
import {
  describeProtocol,
  type Entry,
  type PairedComparison,
  type TableCell,
  type TableProtocol,
  type Unit,
  type Variant,
} from "./statistics.ts";
import { fractionLabel, methodLabel } from "./labels.ts";

/** Significance level of the tables' bold and verdicts. */
export const ALPHA = 0.05;

/** Rows (method, variant) in grid order: each method, then its SGE path when it has one. */
export function rowKeys(
  entries: readonly Entry[],
  methods: readonly string[],
): [string, Variant][] {
  const keys: [string, Variant][] = [];
  for (const m of methods) {
    if (entries.some((e) => e.method === m && e.variant === "plain")) keys.push([m, "plain"]);
    if (entries.some((e) => e.method === m && e.variant === "sge")) keys.push([m, "sge"]);
  }
  return keys;
}

/** A cell with the p of its paired test against `reference`. */
export function withTest(
  cell: TableCell,
  cmp: PairedComparison | null,
  reference: string,
): TableCell {
  return { ...cell, p: cmp?.p ?? null, reference };
}

/** The protocol of a table's (homogeneous) entries. */
export function protocolOf(entries: readonly Entry[]): TableProtocol | null {
  const e = entries[0];
  return e ? describeProtocol(e) : null;
}

/** `"image"` or `"scan"` for a table's text. */
export function unitOf(entries: readonly Entry[]): Unit {
  return entries[0]?.unit ?? "scan";
}

/** Method order of the grid: first appearance in the entries (which follow the cells). */
export function methodOrder(entries: readonly Entry[], methods?: readonly string[]): string[] {
  const order = [...(methods ?? [])];
  for (const e of entries) if (!order.includes(e.method)) order.push(e.method);
  return order;
}

/** The text with its first letter upper-cased. */
export function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/**
 * A note for tables whose rows average different seeds (a partial grid), naming each row's
 * seeds; `[]` when every entry has the same seeds.
 */
export function partialSeedsNote(entries: readonly Entry[]): string[] {
  const keys = new Set(entries.map((e) => e.seeds.join(",")));
  if (keys.size <= 1) return [];
  const groups = new Map<string, string[]>();
  for (const e of entries) {
    const k = e.seeds.join(", ");
    const label = `${methodLabel(e.method, e.variant)} at ${fractionLabel(e.fraction)}`;
    const list = groups.get(k) ?? [];
    if (!list.includes(label)) list.push(label);
    groups.set(k, list);
  }
  return [
    "Partial grid: rows average different seeds (" +
    [...groups].map(([k, labels]) => `seeds ${k}: ${labels.join(", ")}`).join("; ") +
    "); each p pairs only the seeds both rows have.",
  ];
}
