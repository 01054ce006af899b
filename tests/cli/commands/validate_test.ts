import assert from "node:assert/strict";
import { runMain } from "../_cli.ts";
import { writeTinyDataset } from "../_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const dataset = `${dir}/ds`;
await writeTinyDataset(dataset);

Deno.test("grn validate: a valid dataset exits 0 and says OK", async () => {
  const r = await runMain(["validate", dataset]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${dataset}: 5 scans (5 labeled, 0 unlabeled): OK\n`);
  const j = await runMain(["validate", dataset, "--json"]);
  assert.equal(j.code, 0);
  const report = JSON.parse(j.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.problems, []);
  assert.equal(report.scans, 5);
});

Deno.test("grn validate: every problem is printed and the exit code is 1", async () => {
  const broken = `${dir}/broken`;
  await writeTinyDataset(broken);
  const manifest = JSON.parse(await Deno.readTextFile(`${broken}/dataset.json`));
  manifest.scans[1].participant = "";
  await Deno.writeTextFile(`${broken}/dataset.json`, JSON.stringify(manifest));
  await Deno.remove(`${broken}/${manifest.scans[2].image}`);
  const r = await runMain(["validate", broken]);
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /: 2 problems$/);
  assert.match(lines[1]!, /scans\[1\]\.participant/);
  assert.ok(lines[2]!.includes(manifest.scans[2].image), lines[2]);
  const j = await runMain(["validate", broken, "--json"]);
  assert.equal(j.code, 1);
  assert.equal(JSON.parse(j.stdout).problems.length, 2);
});

Deno.test("grn validate: a missing folder is reported as a problem (exit 1)", async () => {
  const r = await runMain(["validate", `${dir}/nope`]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /dataset\.json: file not found \(got no dataset\.json in .*nope\)/);
});

Deno.test("grn validate: without a folder it is a usage error", async () => {
  const r = await runMain(["validate"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    "grn validate: missing <dir>: dataset folder (holds dataset.json) (see grn validate --help)\n",
  );
});

Deno.test("grn validate: a link leaving the folder is a problem unless --allow-external-links", async () => {
  const linked = `${dir}/linked`;
  await writeTinyDataset(linked);
  const manifest = JSON.parse(await Deno.readTextFile(`${linked}/dataset.json`));
  const image = `${linked}/${manifest.scans[0].image}`;
  const outside = `${dir}/outside.nii.gz`;
  await Deno.rename(image, outside);
  await Deno.symlink(outside, image);
  const r = await runMain(["validate", linked]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /: 1 problem\n/);
  assert.ok(r.stdout.includes(`${manifest.scans[0].image}: it is a symbolic link`), r.stdout);
  assert.ok(r.stdout.includes("--allow-external-links"), r.stdout);
  const ok = await runMain(["validate", linked, "--allow-external-links"]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /: OK\n$/);
});
