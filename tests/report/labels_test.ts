import assert from "node:assert/strict";
import { TABLE6_METHODS } from "../../comparison/grid.ts";
import type { CellResult, ScanScores } from "../../report/data.ts";
import { tableToMarkdown } from "../../report/format.ts";
import {
  ABLATION_METHODS,
  isAblation,
  isProposed,
  METHOD_LABELS,
  methodLabel,
  paperTableRows,
} from "../../report/labels.ts";
import { buildEntries } from "../../report/statistics.ts";
import { table2, table6 } from "../../report/tables.ts";
import { BUILTIN_METHODS } from "../../trainers/builtin_methods.ts";
import type { MethodDefinition } from "../../trainers/method.ts";
import { registerMethod } from "../../trainers/method_registry.ts";

const BUILTIN = new Set(BUILTIN_METHODS.map((d) => d.name));

Deno.test("report labels, ablations and Table 4/6 rows of the built-ins are those of the paper", () => {
  // The lists the report held before they were derived from the method definitions.
  assert.deepEqual(METHOD_LABELS, {
    "supervised": "Fully supervised",
    "supervised-aug": "Fully supervised (w. image augmentation)",
    "supervised-gan-aug": "Fully supervised (w. GAN augmentation)",
    "mt": "MT",
    "uamt": "UAMT",
    "urpc": "URPC",
    "sassnet": "SASSNet",
    "rdrop": "R-Drop",
    "ict": "ICT",
    "dan": "DAN",
    "grn-sel": "GRN-SEL",
    "grn-sel-no-feedback": "GRN-SEL (w/o L_seg feedback)",
    "grn-sel-negated": "GRN-SEL (w. -L_seg feedback)",
    "grn-sel-frozen-s": "GRN-SEL (freeze S for L_G)",
    "grn-ssl": "GRN-SSL",
    "grn-ssl-mt": "GRN-SSL (MT L_customize)",
    "grn-ssl-urpc": "GRN-SSL (URPC L_customize)",
  });
  assert.deepEqual(ABLATION_METHODS, [
    "supervised-aug",
    "supervised-gan-aug",
    "grn-sel-no-feedback",
    "grn-sel-negated",
    "grn-sel-frozen-s",
  ]);
  for (const m of ABLATION_METHODS) assert.ok(isAblation(m), m);
  assert.ok(!isAblation("grn-sel") && !isAblation("mt") && !isAblation("not-registered"));
  // Proposed: every GRN variant (as the former `grn-` prefix rule), nothing else.
  for (const d of BUILTIN_METHODS) assert.equal(isProposed(d.name), d.name.startsWith("grn-"));
  const builtinRows = (table: "table4" | "table6") =>
    paperTableRows(table).filter(([m]) => BUILTIN.has(m));
  assert.deepEqual(builtinRows("table4"), [
    ["supervised", "plain"],
    ["grn-sel", "plain"],
    ["grn-sel", "sge"],
    ["grn-ssl", "plain"],
    ["grn-ssl", "sge"],
  ]);
  assert.deepEqual(builtinRows("table6"), [
    ["supervised", "plain"],
    ["supervised-aug", "plain"],
    ["supervised-gan-aug", "plain"],
    ["grn-sel", "plain"],
    ["grn-sel", "sge"],
    ["grn-sel-no-feedback", "plain"],
    ["grn-sel-negated", "plain"],
    ["grn-sel-frozen-s", "plain"],
    ["grn-ssl", "sge"],
  ]);
  assert.deepEqual(TABLE6_METHODS, [
    "supervised",
    "supervised-aug",
    "supervised-gan-aug",
    "grn-sel",
    "grn-sel-no-feedback",
    "grn-sel-negated",
    "grn-sel-frozen-s",
    "grn-ssl",
  ]);
});

Deno.test("methodLabel() of a name the registry does not know: the name; grn- names proposed", () => {
  assert.equal(methodLabel("my-method", "plain"), "my-method");
  assert.equal(methodLabel("my-method", "sge"), "my-method (w SGE)");
  assert.equal(methodLabel("grn-sel-negated", "plain"), "GRN-SEL (w. -L_seg feedback)");
  assert.ok(isProposed("grn-unregistered"));
  assert.ok(!isProposed("unregistered"));
});

function scores(scans: string[], dice: number[]): ScanScores {
  return {
    unit: "scan",
    scans,
    classes: [1],
    dice: dice.map((v) => [v]),
    hd95: dice.map(() => [1]),
  };
}

function cell(method: string, plain: ScanScores, sge?: ScanScores): CellResult {
  return {
    cell: { index: 0, name: `${method}_f0.1_s0`, method, fraction: 0.1, seed: 0 },
    dir: "",
    metrics: {} as CellResult["metrics"],
    train: null,
    history: [],
    scores: sge ? { plain, sge } : { plain },
  };
}

function userMethod(fields: Partial<MethodDefinition> & { name: string }): MethodDefinition {
  return {
    description: "a user's method",
    reference: "user",
    usesUnlabeled: false,
    hasGenerator: false,
    build: () => [],
    ...fields,
  };
}

Deno.test("a registered method is labeled, placed and tested in the tables by its definition", () => {
  registerMethod(userMethod({
    name: "user-grn",
    label: "User GRN (ours)",
    proposed: true,
    hasGenerator: true,
    paperRows: { table6: ["sge"] },
  }));
  registerMethod(userMethod({
    name: "user-ablation",
    label: "User ablation",
    ablation: true,
    paperRows: { table6: ["plain"] },
  }));
  registerMethod(userMethod({ name: "user-baseline", label: "User baseline" }));
  const scans = ["s1", "s2", "s3", "s4", "s5"];
  const base = [0.40, 0.50, 0.45, 0.55, 0.60];
  const wobble = [-1, 1, -1, 1, 0];
  const shifted = (d: number, w: number) =>
    scores(scans, base.map((v, i) => v + d + wobble[i]! * w));
  const entries = buildEntries([
    cell("supervised", shifted(0, 0.01)),
    cell("user-baseline", shifted(0.1, 0.02)),
    cell("user-grn", shifted(0.3, 0.01), shifted(0.35, 0.01)),
    cell("user-ablation", shifted(0.4, 0.01)),
  ]);

  const t2 = table2(entries)!;
  assert.deepEqual(t2.rows.map((r) => r.label), [
    "Fully supervised",
    "User baseline",
    "User GRN (ours)",
    "User GRN (ours) (w SGE)",
  ], "the ablation is left out of Table 2");
  const [sup, baseline, ours, oursSge] = t2.rows.map((r) => r.cells[0]!);
  assert.equal(baseline!.isReference, true, "the best baseline: not the (higher) proposed rows");
  assert.equal(sup!.reference, "User baseline");
  assert.equal(sup!.bold, false);
  assert.ok(ours!.bold && oursSge!.bold, "a proposed method significantly above it is bold");
  assert.match(tableToMarkdown(t2), /\| User GRN \(ours\) \(w SGE\) \| \*\*/);

  const t6 = table6(entries)!;
  assert.deepEqual(t6.rows.map((r) => r.label), [
    "Fully supervised",
    "User GRN (ours) (w SGE)",
    "User ablation",
  ], "Table 6 rows from the definitions' paperRows, in registry order");
  assert.equal(t6.rows[2]!.cells[1]!.reference, "Fully supervised");
});

Deno.test("registerMethod() refuses an empty label and paper rows of unknown paths", () => {
  assert.throws(
    () => registerMethod(userMethod({ name: "user-empty-label", label: " " })),
    /^RangeError: Cannot register method "user-empty-label": label must be a non-empty string \(got " "\)$/,
  );
  assert.throws(
    () =>
      registerMethod(userMethod({
        name: "user-bad-rows",
        paperRows: { table4: ["plain", "S(G(x))" as never] },
      })),
    /Cannot register method "user-bad-rows": paperRows\.table4 must list "plain" and\/or "sge" \(got \["plain","S\(G\(x\)\)"\]\)/,
  );
  assert.throws(
    () =>
      registerMethod(userMethod({
        name: "user-string-rows",
        paperRows: { table6: "plain" as never },
      })),
    /^RangeError: Cannot register method "user-string-rows": paperRows\.table6 must list "plain" and\/or "sge" \(got "plain"\)$/,
  );
  registerMethod(userMethod({ name: "user-no-rows", paperRows: { table6: undefined } }));
});
