import assert from "node:assert/strict";
import { errorLines, runMain } from "../_cli.ts";
import { trainTinyRun } from "../_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const run = await trainTinyRun(dir);
const original = `${dir}/ds/imagesTr/p01_s00_0000.nii.gz`;

function oneLine(stderr: string): string {
  const lines = errorLines(stderr);
  assert.equal(lines.length, 1, `one error line, got ${JSON.stringify(stderr)}`);
  return lines[0]!;
}

const base = ["--backend", "wasm"];

Deno.test("grn predict: -o equal to the input scan is refused (exit 2), even with --overwrite, and the scan is kept", async () => {
  const scan = `${dir}/scan.nii.gz`;
  await Deno.copyFile(original, scan);
  const before = await Deno.readFile(scan);
  for (const output of [scan, `${dir}/./scan.nii.gz`]) {
    for (const extra of [[], ["--overwrite"]]) {
      const r = await runMain(["predict", run, scan, "-o", output, ...extra, ...base]);
      assert.equal(r.code, 2);
      assert.equal(
        oneLine(r.stderr),
        `grn predict: Cannot predict: --output must not be the input scan, it would be overwritten (got ${output})`,
      );
    }
  }
  // Through a symbolic link too.
  await Deno.symlink(scan, `${dir}/link.nii.gz`);
  const r = await runMain(["predict", run, `${dir}/link.nii.gz`, "-o", scan, ...base]);
  assert.equal(r.code, 2);
  assert.deepEqual(await Deno.readFile(scan), before);
});

Deno.test("grn predict: an existing output or read-out (even a run file) is replaced only with --overwrite", async () => {
  const out = `${dir}/labels.nii.gz`;
  const readout = `${dir}/layers.csv`;
  await Deno.writeTextFile(out, "user's file");
  let r = await runMain(["predict", run, original, "-o", out, ...base]);
  assert.equal(r.code, 1);
  assert.equal(
    oneLine(r.stderr),
    `grn predict: Cannot predict: --output already exists; pass --overwrite to replace it (got ${out})`,
  );
  assert.equal(await Deno.readTextFile(out), "user's file");
  await Deno.writeTextFile(readout, "mine");
  r = await runMain([
    "predict",
    run,
    original,
    "-o",
    `${dir}/new.nii.gz`,
    "--readout",
    readout,
    ...base,
  ]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /--readout already exists; pass --overwrite/);
  assert.equal(await Deno.readTextFile(readout), "mine");
  assert.equal(await Deno.stat(`${dir}/new.nii.gz`).then(() => true, () => false), false);
  r = await runMain([
    "predict",
    run,
    original,
    "-o",
    out,
    "--readout",
    readout,
    "--overwrite",
    ...base,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(await Deno.readTextFile(readout), "mine");
  r = await runMain([
    "predict",
    run,
    original,
    "-o",
    `${dir}/x.nii`,
    "--readout",
    `${run}/config.json`,
    ...base,
  ]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /--readout already exists/);
});

Deno.test("grn predict: --readout and -o into a missing folder both fail the same way, creating nothing", async () => {
  const missing = `${dir}/no-such-dir`;
  let r = await runMain(["predict", run, original, "-o", `${missing}/l.nii.gz`, ...base]);
  assert.equal(r.code, 1);
  assert.equal(
    oneLine(r.stderr),
    `grn predict: Cannot predict: the folder of --output does not exist (got ${missing}/l.nii.gz)`,
  );
  r = await runMain([
    "predict",
    run,
    original,
    "-o",
    `${dir}/ok.nii.gz`,
    "--readout",
    `${missing}/r.csv`,
    ...base,
  ]);
  assert.equal(r.code, 1);
  assert.equal(
    oneLine(r.stderr),
    `grn predict: Cannot predict: the folder of --readout does not exist (got ${missing}/r.csv)`,
  );
  assert.equal(await Deno.stat(missing).then(() => true, () => false), false);
});

Deno.test("grn predict: an output or read-out with the wrong extension is a usage error (exit 2)", async () => {
  let r = await runMain(["predict", run, original, "-o", `${dir}/out.txt`, ...base]);
  assert.equal(r.code, 2);
  assert.equal(
    oneLine(r.stderr),
    `grn predict: --output must end in .nii, .nii.gz, .nrrd, .nhdr or .seg.nrrd (got ${dir}/out.txt)`,
  );
  r = await runMain(["predict", run, original, "-o", `${dir}/o.nii`, "--readout", `${dir}/r.txt`]);
  assert.equal(r.code, 2);
  assert.equal(
    oneLine(r.stderr),
    `grn predict: --readout must end in .json or .csv (got ${dir}/r.txt)`,
  );
});
