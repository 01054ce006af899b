import assert from "node:assert/strict";
import { convertOptionValue, parseCommandArgs, wantsHelp } from "../../cli/_args.ts";
import type { Command, OptionSpec } from "../../cli/_command.ts";
import { UsageError } from "../../cli/_errors.ts";

const command: Command = {
  name: "demo",
  summary: "demo",
  positionals: [
    { name: "dir", description: "a folder" },
    { name: "extra", description: "optional", required: false },
  ],
  options: [
    { name: "epochs", kind: "integer", min: 1, description: "epochs" },
    { name: "fraction", kind: "number", min: 0, minExclusive: true, max: 1, description: "f" },
    {
      name: "method",
      short: "m",
      kind: "choice",
      choices: () => ["grn-sel", "grn-ssl"],
      choiceNoun: "method",
      description: "m",
    },
    { name: "shape", kind: "numbers", count: 3, min: 1, description: "s" },
    { name: "size", kind: "size", min: 1, description: "size" },
    { name: "out", short: "o", kind: "string", description: "o" },
    { name: "resume", kind: "boolean", description: "r" },
  ],
  run: () => Promise.resolve(0),
};

function usageMessage(argv: string[]): string {
  try {
    parseCommandArgs(command, argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    assert.ok(!error.message.includes("\n"), "one line");
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(argv)} to fail`);
}

Deno.test("parseCommandArgs() converts values, shorts, positionals and globals", () => {
  const a = parseCommandArgs(command, [
    "d",
    "--epochs",
    "3",
    "--fraction=0.25",
    "-m",
    "grn-ssl",
    "--shape",
    "8,9,10",
    "--size",
    "32x16",
    "-o",
    "out",
    "--resume",
    "--json",
  ]);
  assert.deepEqual(a.values, {
    epochs: 3,
    fraction: 0.25,
    method: "grn-ssl",
    shape: [8, 9, 10],
    size: [32, 16],
    out: "out",
    resume: true,
    json: true,
  });
  assert.deepEqual(a.positionals, { dir: "d" });
  assert.equal(a.json, true);
  assert.equal(a.debug, false);
  assert.deepEqual(parseCommandArgs(command, ["d", "--size", "64"]).values.size, [64, 64]);
  assert.deepEqual(parseCommandArgs(command, ["d", "e", "--debug"]).positionals, {
    dir: "d",
    extra: "e",
  });
});

Deno.test("parseCommandArgs() names unknown options with the nearest known one", () => {
  assert.equal(
    usageMessage(["d", "--epoch", "3"]),
    "unknown option --epoch (did you mean --epochs?)",
  );
  assert.equal(usageMessage(["d", "--qqqqqqq"]), "unknown option --qqqqqqq");
  assert.equal(usageMessage(["d", "-x"]), "unknown option -x");
});

Deno.test("parseCommandArgs() rejects values outside their range in one line", () => {
  assert.equal(
    usageMessage(["d", "--fraction", "0"]),
    "--fraction must be a number in (0, 1] (got 0)",
  );
  assert.equal(
    usageMessage(["d", "--fraction", "1.5"]),
    "--fraction must be a number in (0, 1] (got 1.5)",
  );
  assert.equal(
    usageMessage(["d", "--fraction", "abc"]),
    "--fraction must be a number in (0, 1] (got abc)",
  );
  assert.equal(
    usageMessage(["d", "--epochs", "2.5"]),
    "--epochs must be an integer >= 1 (got 2.5)",
  );
  assert.equal(usageMessage(["d", "--epochs", "0"]), "--epochs must be an integer >= 1 (got 0)");
  assert.match(usageMessage(["d", "--shape", "8,9"]), /^--shape must be 3 comma-separated/);
  assert.match(usageMessage(["d", "--size", "32x0"]), /^--size must be HEIGHTxWIDTH/);
  assert.equal(
    usageMessage(["d", "-m", "grn-ssll"]),
    'unknown method "grn-ssll" for --method (did you mean grn-ssl?); choose from grn-sel, grn-ssl',
  );
});

Deno.test("parseCommandArgs() reports missing values, flags with values and bad positionals", () => {
  assert.equal(usageMessage(["d", "--epochs"]), "--epochs needs a value");
  assert.equal(usageMessage(["d", "--resume=yes"]), "--resume takes no value (got yes)");
  assert.equal(usageMessage([]), "missing <dir>: a folder (see grn demo --help)");
  assert.match(usageMessage(["a", "b", "c"]), /^unexpected argument "c"/);
});

Deno.test("convertOptionValue() accepts the range bounds it documents", () => {
  const spec: OptionSpec = {
    name: "f",
    kind: "number",
    min: 0,
    minExclusive: true,
    max: 1,
    description: "",
  };
  assert.equal(convertOptionValue(spec, "1"), 1);
  assert.equal(convertOptionValue(spec, "1e-9"), 1e-9);
  assert.throws(() => convertOptionValue(spec, "-0.1"), UsageError);
});

Deno.test("wantsHelp() finds --help or -h before --", () => {
  assert.equal(wantsHelp(["x", "--help"]), true);
  assert.equal(wantsHelp(["-h"]), true);
  assert.equal(wantsHelp(["--", "--help"]), false);
  assert.equal(wantsHelp(["--json"]), false);
});

Deno.test("convertOptionValue() refuses integers a double cannot hold exactly (seeds above 2^53)", () => {
  const seed: OptionSpec = { name: "seed", kind: "integer", description: "seed" };
  assert.equal(convertOptionValue(seed, "9007199254740991"), 9007199254740991);
  for (const raw of ["9007199254740993", "-9007199254740993", "1e20"]) {
    assert.throws(() => convertOptionValue(seed, raw), {
      name: "UsageError",
      message: "--seed must be an integer between -9007199254740991 and 9007199254740991, " +
        `larger ones are rounded (got ${raw})`,
    });
  }
});
