/**
 * The import graph of the project's source files: no import cycle, and no import from a lower
 * layer to a higher one. Layers, lowest first: `engine` < `data`, `networks`, `metrics` <
 * `losses` < `trainers` < `run` (one training run and its folder) < `comparison` (the method
 * grid, whose cells are runs) and `web` (a run as a web page) < `report` (tables and report
 * over a comparison's bench folder) < `cli` and the root `mod.ts`. `examples/`, `bench/` and `tests/` may import anything (but
 * take part in the cycle check).
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** The layer of each top-level folder (or root file); a higher number may import a lower one. */
const LAYERS: Record<string, number> = {
  engine: 0,
  data: 1,
  networks: 1,
  metrics: 1,
  losses: 2,
  trainers: 3,
  run: 4,
  comparison: 5,
  web: 5,
  report: 6,
  cli: 7,
  "mod.ts": 7,
};
/** Folders that may import any layer. */
const FREE = new Set(["examples", "bench", "tests"]);
/** Folders that are not source. */
const SKIP = new Set(["node_modules", "runs", "out", "docs"]);

/** Characters after which a `/` starts a regular-expression literal rather than a division. */
const BEFORE_REGEX = new Set(["", "(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+"]);

/**
 * Splits TypeScript source into code and string literals: comments are dropped, every string
 * and template literal becomes a placeholder `"#<index>"` into `literals`, and regular-expression
 * literals are kept as they are, so that quotes inside them start no string.
 */
export function tokenize(source: string): { code: string; literals: string[] } {
  const literals: string[] = [];
  let code = "";
  let i = 0;
  const lastCode = () => code.trimEnd().slice(-1);
  while (i < source.length) {
    const c = source[i]!, next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? source.length : end + 2;
      code += " ";
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      literals.push(source.slice(i + 1, j));
      code += `"#${literals.length - 1}"`;
      i = j + 1;
    } else if (c === "/" && BEFORE_REGEX.has(lastCode())) {
      let j = i + 1, inClass = false;
      while (j < source.length && source[j] !== "\n" && (inClass || source[j] !== "/")) {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        j++;
      }
      code += source.slice(i, j + 1);
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  return { code, literals };
}

/**
 * Relative `.ts` specifiers of every static import, re-export and literal dynamic import, and
 * the bare specifiers that are keys of `aliases` (the import map's `@grn/grn/...` entries).
 */
export function importSpecifiers(
  source: string,
  aliases: Readonly<Record<string, string>> = {},
): string[] {
  const { code, literals } = tokenize(source);
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^;]*?\bfrom\s*"#(\d+)"/g,
    /\bimport\s*"#(\d+)"/g,
    /\bimport\s*\(\s*"#(\d+)"\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(literals[+m[1]!]!);
  return out.filter((s) =>
    ((s.startsWith("./") || s.startsWith("../")) && s.endsWith(".ts")) || Object.hasOwn(aliases, s)
  );
}

/** The import map's entries for the package's own name (`@grn/grn`, `@grn/grn/run`, ...). */
function selfAliases(): Record<string, string> {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const name: string = config.name;
  return Object.fromEntries(
    Object.entries(config.imports as Record<string, string>).filter(([k]) =>
      k === name || k.startsWith(`${name}/`)
    ),
  );
}

/** Every `.ts` file of the project, relative to the root. */
function sourceFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path);
    if (entry.name.startsWith(".") || SKIP.has(rel)) continue;
    if (entry.isDirectory) out.push(...sourceFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

/** The project's import graph: file → the project files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const aliases = selfAliases();
  for (const file of sourceFiles()) {
    const text = Deno.readTextFileSync(join(ROOT, file));
    graph.set(
      file,
      importSpecifiers(text, aliases).map((s) =>
        relative(
          ROOT,
          aliases[s] !== undefined ? resolve(ROOT, aliases[s]) : resolve(ROOT, dirname(file), s),
        )
      ),
    );
  }
  return graph;
}

/** The layer of a file, `null` for the folders that may import anything. */
export function layerOf(file: string): number | null {
  const top = file.split("/")[0]!;
  if (FREE.has(top)) return null;
  const layer = LAYERS[top];
  if (layer === undefined) {
    throw new Error(`Cannot place ${file} in a layer: add its folder ${top} to LAYERS or FREE`);
  }
  return layer;
}

/** Imports from a lower layer to a higher one, as `"from -> to"`. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const own = layerOf(from);
    if (own === null) continue;
    for (const to of targets) {
      const theirs = layerOf(to);
      if (theirs === null || theirs > own) out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/** The import cycles: strongly connected components of more than one file, or self-imports. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return out;
}

Deno.test("architecture: the parser finds imports, re-exports and dynamic imports, not comments", () => {
  const source = [
    'import * as tf from "@tensorflow/tfjs";',
    "import {",
    "  a,",
    "  type B,",
    '} from "./a.ts";',
    'export { c } from "../c.ts";',
    'export * from "./d.ts";',
    'import "./side_effect.ts";',
    'const m = await import("./lazy.ts");',
    '// import { x } from "./commented.ts";',
    '/** @example import { y } from "./in_doc.ts"; */',
    `const s = "// not a comment", r = /["'/]/; import type { Z } from "./z.ts";`,
    "const t = 'import \\'./quoted.ts\\''; const u = `export * from \"./template.ts\"`;",
    'import cfg from "../deno.json" with { type: "json" };',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source).sort(), [
    "../c.ts",
    "./a.ts",
    "./d.ts",
    "./lazy.ts",
    "./side_effect.ts",
    "./z.ts",
  ]);
  const aliased =
    'import { trainRun } from "@grn/grn/run";\nimport * as tf from "@tensorflow/tfjs";';
  assert.deepEqual(importSpecifiers(aliased), []);
  assert.deepEqual(importSpecifiers(aliased, { "@grn/grn/run": "./run/mod.ts" }), ["@grn/grn/run"]);
});

Deno.test("architecture: the import map names every export of the package as @grn/grn/...", () => {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const exported = Object.entries(config.exports as Record<string, string>).map(([k, v]) => [
    k === "." ? config.name : `${config.name}/${k.slice(2)}`,
    v,
  ]);
  assert.deepEqual(Object.entries(selfAliases()).sort(), exported.sort());
});

Deno.test("architecture: the checks report a cycle and an upward import of a made-up graph", () => {
  const graph = new Map([
    ["engine/a.ts", ["losses/b.ts"]],
    ["losses/b.ts", ["engine/a.ts"]],
    ["trainers/c.ts", ["trainers/c.ts", "losses/b.ts"]],
    ["tests/t.ts", ["cli/main.ts"]],
    ["cli/main.ts", ["tests/t.ts"]],
  ]);
  assert.deepEqual(importCycles(graph).sort(), [
    ["cli/main.ts", "tests/t.ts"],
    ["engine/a.ts", "losses/b.ts"],
    ["trainers/c.ts"],
  ]);
  assert.deepEqual(layerViolations(graph), [
    "engine/a.ts -> losses/b.ts",
    "cli/main.ts -> tests/t.ts",
  ]);
  assert.throws(() => layerOf("somewhere/x.ts"), /Cannot place somewhere\/x\.ts in a layer/);
});

const graph = importGraph();

Deno.test("architecture: the graph covers every layer and resolves to existing files", () => {
  for (const folder of Object.keys(LAYERS)) {
    assert.ok(
      [...graph.keys()].some((f) => f === folder || f.startsWith(`${folder}/`)),
      `no source file found in ${folder}`,
    );
  }
  assert.ok(graph.get("trainers/grn.ts")!.includes("losses/dice_loss.ts"));
  assert.ok(graph.get("comparison/run_grid.ts")!.includes("run/train_run.ts"));
  assert.ok(graph.get("report/data.ts")!.includes("comparison/run_grid.ts"));
  const missing = [...graph].flatMap(([from, to]) =>
    to.filter((t) => !graph.has(t)).map((t) => `${from} -> ${t}`)
  );
  assert.deepEqual(missing, [], "imports of files that do not exist");
});

/**
 * Cycles tolerated for now (none: the two type-only metric cycles found when this test was
 * written were broken by moving `DiceResult` and `HausdorffOptions` into files of their own).
 * A new cycle fails the test.
 */
const KNOWN_CYCLES: string[][] = [];

Deno.test("architecture: the project's files import each other without a new cycle", () => {
  const key = (c: string[]) => c.join(" <-> ");
  const found = importCycles(graph).map(key).sort();
  assert.deepEqual(found, KNOWN_CYCLES.map(key).sort());
});

Deno.test("architecture: no file imports from a higher layer", () => {
  assert.deepEqual(layerViolations(graph), []);
});
