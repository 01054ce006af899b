import assert from "node:assert/strict";
import { parseCommandArgs } from "../../../cli/_args.ts";
import { cellCommand, command, settingsFromArgs, shellQuote } from "../../../cli/commands/bench.ts";
import { benchCells, benchPreset } from "../../../comparison/grid.ts";
import { runMain } from "../_cli.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** The words of a printed command without the shell comment, unquoted (simple quoting only). */
function words(line: string): string[] {
  const cmd = line.split("   # ")[0]!;
  return [...cmd.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

Deno.test("grn bench --list-cells prints one runnable command per cell, in grid order", async () => {
  const out = `${dir}/quick`;
  const r = await runMain(["bench", "--preset", "quick", "--out", out, "--list-cells"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  const names = benchCells(benchPreset("quick")).map((c) => c.name);
  assert.equal(lines.length, names.length);
  lines.forEach((line, k) => {
    assert.equal(
      line,
      `deno task grn bench --preset quick --out ${out} --cell ${k}   # ${names[k]} (pending)`,
    );
  });
  // Each command, parsed back, selects the same grid and its own cell.
  for (const [k, line] of lines.entries()) {
    const w = words(line);
    assert.deepEqual(w.slice(0, 4), ["deno", "task", "grn", "bench"]);
    const args = parseCommandArgs(command, w.slice(4));
    assert.equal(args.values.cell, k);
    assert.deepEqual(benchCells(settingsFromArgs(args.values)).map((c) => c.name), names);
  }
  // Nothing was created by listing.
  assert.equal(await Deno.stat(out).then(() => true, () => false), false);
});

Deno.test("grn bench --list-cells keeps overrides and engine options in every command", async () => {
  const r = await runMain([
    "--",
    "bench",
    "--",
    "--methods",
    "mt,grn-ssl",
    "--fractions",
    "0.05,0.2",
    "--seeds",
    "1,2",
    "--threads",
    "2",
    "--out",
    `${dir}/my bench`,
    "--list-cells",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.preset, "quick+custom");
  assert.equal(json.cells.length, 2 * 2 * 2);
  assert.equal(json.cells[3].name, "grn-ssl_f0.2_s1");
  assert.equal(
    json.cells[3].command,
    `deno task grn bench --out '${dir}/my bench' --methods mt,grn-ssl --fractions 0.05,0.2 ` +
      "--seeds 1,2 --threads 2 --cell 3",
  );
  const args = parseCommandArgs(command, words(json.cells[7].command).slice(4));
  assert.equal(args.values.out, `${dir}/my bench`);
  assert.deepEqual(args.values.fractions, [0.05, 0.2]);
});

Deno.test("grn bench rejects bad grids and option mixes with a usage error", async () => {
  const a = await runMain(["bench", "--methods", "supervised,grn-sll", "--list-cells"]);
  assert.equal(a.code, 2);
  assert.match(
    a.stderr,
    /unknown method "grn-sll" in --methods \(did you mean grn-s[se]l\?\); choose from supervised,/,
  );
  const b = await runMain(["bench", "--list-cells", "--cell", "1"]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--list-cells and --cell cannot be combined/);
  const c = await runMain(["bench", "--fractions", "0.1,2", "--list-cells"]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /--fractions must be/);
  const d = await runMain(["bench", "--seeds", "0.5", "--list-cells"]);
  assert.equal(d.code, 2);
  assert.match(d.stderr, /--seeds must be comma-separated integers \(got 0.5\)/);
  const e = await runMain(["bench", "--phantom-seed", "3", "--dataset", "x", "--list-cells"]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /--phantom-seed .* cannot be combined with --dataset \(got --dataset x\)/);
});

Deno.test("grn bench --phantom-seed changes the phantom, not the cells", async () => {
  const args = parseCommandArgs(command, ["--preset", "quick", "--phantom-seed", "5"]);
  const s = settingsFromArgs(args.values);
  assert.equal(s.phantom!.seed, 5);
  assert.equal(s.preset, "quick+custom");
  assert.deepEqual(benchCells(s), benchCells(benchPreset("quick")));
  const out = await runMain(["bench", "--preset", "quick", "--phantom-seed", "5", "--list-cells"]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /--phantom-seed 5 .*--cell 0/);
});

Deno.test("grn report names a folder that is not a bench", async () => {
  const r = await runMain(["report", dir]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^grn report: Cannot read bench .*: not a bench folder \(got no bench\.json\)/,
  );
});

Deno.test("shellQuote() quotes only when needed", () => {
  assert.equal(shellQuote("runs/a-b_c.d,1"), "runs/a-b_c.d,1");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), `'it'"'"'s'`);
  assert.equal(
    cellCommand(command.options, { preset: "paper", quiet: true, "list-cells": true }, 5),
    "deno task grn bench --preset paper --cell 5",
  );
});

Deno.test("grn bench --list-cells refuses a folder that holds another grid", async () => {
  const out = `${dir}/other-grid`;
  await Deno.mkdir(out);
  const { planBench } = await import("../../../comparison/run_grid.ts");
  const manifest = await planBench({ out, settings: benchPreset("demo") });
  await Deno.writeTextFile(`${out}/bench.json`, JSON.stringify(manifest));
  const same = await runMain(["bench", "--preset", "demo", "--out", out, "--list-cells"]);
  assert.equal(same.code, 0, same.stderr);
  const other = await runMain(["bench", "--preset", "quick", "--out", out, "--list-cells"]);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /it holds another grid \(got preset quick, the folder has demo/);
});
