import assert from "node:assert/strict";
import { COMMANDS } from "../../cli/_commands.ts";
import { GRN_VERSION } from "../../cli/main.ts";
import { errorLines, runMain, spawnCli } from "./_cli.ts";

Deno.test("main() lists every command and exits 0 on --help, 2 without a command", async () => {
  const help = await runMain(["--help"]);
  assert.equal(help.code, 0);
  for (const c of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${c.name} `, "m"));
  const none = await runMain([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /Usage: grn <command>/);
});

Deno.test("main() prints --help for every command, with its options and summary", async () => {
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary, `summary of ${entry.name} matches the table`);
    for (const argv of [[entry.name, "--help"], [entry.name, "-h"], ["help", entry.name]]) {
      const r = await runMain(argv);
      assert.equal(r.code, 0, `${argv.join(" ")} exits 0`);
      assert.match(r.stdout, new RegExp(`^Usage: grn ${entry.name}`));
      assert.match(r.stdout, /--json/);
      for (const o of command.options) assert.match(r.stdout, new RegExp(`--${o.name}\\b`));
      assert.equal(r.stderr, "");
    }
  }
});

Deno.test("main() --help wins over other mistakes on the line", async () => {
  const r = await runMain(["train", "--epoch", "3", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: grn train/);
});

Deno.test("main() suggests the nearest command for an unknown one (exit 2)", async () => {
  const r = await runMain(["trian"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^grn: unknown command "trian" \(did you mean train\?\); commands: /);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1);
});

Deno.test("main() prints the version", async () => {
  const r = await runMain(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `grn ${GRN_VERSION}\n`);
  assert.match(GRN_VERSION, /^\d+\.\d+\.\d+/);
});

Deno.test("main() with --json writes a JSON error object on stdout", async () => {
  const r = await runMain(["validate", "--jsn", "--json"]);
  assert.equal(r.code, 2);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(json, {
    ok: false,
    error: {
      command: "validate",
      message: "unknown option --jsn (did you mean --json?)",
      exitCode: 2,
    },
  });
  assert.equal(r.stderr, "grn validate: unknown option --jsn (did you mean --json?)\n");
});

Deno.test("cli/main.ts exits non-zero with one line and no stack unless --debug", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/missing-dataset`;
    const plain = await spawnCli(["train", "-d", missing, "-m", "supervised", "-o", `${dir}/r`]);
    assert.equal(plain.code, 1);
    const lines = errorLines(plain.stderr);
    assert.equal(lines.length, 1, plain.stderr);
    assert.match(lines[0]!, /^grn train: Cannot train: dataset folder not found/);
    assert.ok(lines[0]!.includes(missing), "names the path");
    assert.ok(!plain.stderr.includes("    at "), "no stack trace");

    const debug = await spawnCli([
      "train",
      "-d",
      missing,
      "-m",
      "supervised",
      "-o",
      `${dir}/r`,
      "--debug",
    ]);
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /\n\s+at .*train_run\.ts/);

    const usage = await spawnCli(["phantom", dir, "--participant", "3"]);
    assert.equal(usage.code, 2);
    assert.equal(
      usage.stderr,
      "grn phantom: unknown option --participant (did you mean --participants?)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
