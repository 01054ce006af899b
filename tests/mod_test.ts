/**
 * The root module's public surface (#16): the exact list of its value exports, so that a change
 * of the surface is a visible, reviewed diff of this file, and every root export reachable from
 * one of the subpath exports (`@grn/grn/engine`, `/data`, ...) of `deno.json`.
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };
import * as root from "../mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The value exports of `mod.ts`, sorted (types are checked below, through the source). */
const ROOT_VALUES = [
  "BatchStream",
  "EmaTeacherPart",
  "GRN",
  "InterpolationConsistency",
  "MeanTeacher",
  "Method",
  "NonFiniteLossError",
  "PatchGANDiscriminator",
  "PyramidConsistency",
  "PyramidUNet",
  "ResNetGenerator",
  "ResUNetGenerator",
  "Rng",
  "SliceSet",
  "UNet",
  "chooseLabeled",
  "consistencyLossNames",
  "createConsistencyLoss",
  "createMethod",
  "crossEntropyLoss",
  "currentEngine",
  "diceLoss",
  "dicePerClass",
  "evaluateScan",
  "extractSlices",
  "fit",
  "generatePhantomCohort",
  "getMethodDefinition",
  "initEngine",
  "learningRateFactor",
  "loadDataset",
  "meanCI",
  "methodDefinitions",
  "methodNames",
  "pairedTTest",
  "phantomToScanRecord",
  "predictVolume",
  "prepareTrainingData",
  "readVolume",
  "registerConsistencyLoss",
  "registerMethod",
  "splitParticipants",
  "validateDataset",
  "writePhantomDataset",
  "writeVolume",
];

/** One `export [type] { a, b } from "./pkg/mod.ts"` statement of `mod.ts`. */
interface ReExport {
  typeOnly: boolean;
  names: string[];
  /** The module, relative to the repository root (e.g. `data/mod.ts`). */
  from: string;
}

/**
 * The statements of `mod.ts`, comments dropped; each must be a named re-export (no `export *`,
 * no declaration of its own).
 */
function rootStatements(): ReExport[] {
  const source = Deno.readTextFileSync(join(ROOT, "mod.ts"))
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const statements = source.split(";").map((s) => s.trim()).filter((s) => s !== "");
  return statements.map((statement) => {
    const m = statement.match(/^export\s+(type\s+)?\{([^}]*)\}\s*from\s*"([^"]+)"$/);
    assert.ok(m, `mod.ts: not a named re-export: ${statement}`);
    const names = m[2]!.split(",").map((n) => n.trim()).filter((n) => n !== "");
    for (const name of names) {
      assert.match(name, /^\w+$/, `mod.ts: ${name} is renamed or typed inline`);
    }
    return { typeOnly: m[1] !== undefined, names, from: normalize(m[3]!) };
  });
}

/** The modules of the subpath exports of `deno.json` (all but `"."`), relative to the root. */
function subpathModules(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [subpath, target] of Object.entries(denoJson.exports as Record<string, string>)) {
    if (subpath !== ".") out.set(normalize(target), subpath);
  }
  return out;
}

Deno.test("mod.ts: the root's value exports are exactly the curated list", () => {
  assert.deepEqual(Object.keys(root).sort(), ROOT_VALUES);
  assert.deepEqual(
    ROOT_VALUES,
    [...ROOT_VALUES].sort(),
    "keep ROOT_VALUES sorted (by code unit, as Array.prototype.sort)",
  );
});

Deno.test("mod.ts: every export is a named re-export from a subpath module, exported once", () => {
  const subpaths = subpathModules();
  const seen = new Set<string>();
  const values: string[] = [];
  for (const { typeOnly, names, from } of rootStatements()) {
    assert.ok(
      subpaths.has(from),
      `mod.ts re-exports from ${from}, which is no subpath export of deno.json (${
        [...subpaths.keys()].join(", ")
      })`,
    );
    for (const name of names) {
      assert.ok(!seen.has(name), `mod.ts exports ${name} twice`);
      seen.add(name);
      if (!typeOnly) values.push(name);
    }
  }
  // The type-only names are re-exported from the subpath module itself, so `deno check` of
  // mod.ts proves they are reachable from it; the value names must also be all the values.
  assert.deepEqual(values.sort(), ROOT_VALUES);
});

Deno.test("mod.ts: every value export is the same binding as its subpath module's", async () => {
  const subpaths = subpathModules();
  const rootValues = root as Record<string, unknown>;
  for (const { typeOnly, names, from } of rootStatements()) {
    if (typeOnly) continue;
    const module = await import(new URL(`../${from}`, import.meta.url).href) as Record<
      string,
      unknown
    >;
    for (const name of names) {
      assert.ok(name in module, `${name} is not exported by ${subpaths.get(from)} (${from})`);
      assert.equal(rootValues[name], module[name], `${name}: mod.ts and ${from} differ`);
    }
  }
});

Deno.test("deno.json: the doc:lint task (run by .ci/run) lints every export of the package", () => {
  const tasks = denoJson.tasks as Record<string, string>;
  const words = tasks["doc:lint"]!.split(/\s+/);
  assert.deepEqual(words.slice(0, 3), ["deno", "doc", "--lint"]);
  const linted = words.slice(3).map((p) => normalize(p)).sort();
  const exported = Object.values(denoJson.exports).map((p) => normalize(p)).sort();
  assert.deepEqual(linted, exported);
});
