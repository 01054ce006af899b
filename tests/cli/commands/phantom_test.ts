import assert from "node:assert/strict";
import { loadDatasetManifest } from "../../../data/dataset_manifest.ts";
import { runMain } from "../_cli.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

Deno.test("grn phantom: writes the requested cohort, deterministically", async () => {
  const args = ["--participants", "2", "--scans", "2", "--shape", "8,8,16", "--seed", "4"];
  const r = await runMain(["phantom", `${dir}/a`, ...args, "--name", "Tiny", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.ok, true);
  assert.equal(result.participants, 2);
  assert.equal(result.scans, 4);
  const manifest = await loadDatasetManifest(`${dir}/a`);
  assert.equal(manifest.name, "Tiny");
  assert.deepEqual(manifest.scans.map((s) => s.id), ["p00_s00", "p00_s01", "p01_s00", "p01_s01"]);
  const b = await runMain(["phantom", `${dir}/b`, ...args, "--name", "Tiny"]);
  assert.equal(b.code, 0);
  assert.match(b.stdout, /^Wrote 4 scans of 2 participants to /);
  const image = manifest.scans[3]!.image;
  assert.deepEqual(
    await Deno.readFile(`${dir}/a/${image}`),
    await Deno.readFile(`${dir}/b/${image}`),
    "same seed, same bytes",
  );
});

Deno.test("grn phantom: refuses to overwrite without --overwrite; bad knobs are usage errors", async () => {
  const args = ["--participants", "1", "--scans", "1", "--shape", "8,8,16"];
  assert.equal((await runMain(["phantom", `${dir}/c`, ...args])).code, 0);
  const again = await runMain(["phantom", `${dir}/c`, ...args]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^grn phantom: Cannot write dataset /);
  assert.equal((await runMain(["phantom", `${dir}/c`, ...args, "--overwrite"])).code, 0);
  const bad = await runMain(["phantom", `${dir}/d`, "--speckle", "2"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "grn phantom: --speckle must be a number in [0, 1] (got 2)\n");
  const shallow = await runMain(["phantom", `${dir}/d`, "--shape", "8,8,4"]);
  assert.equal(shallow.code, 1);
  assert.match(shallow.stderr, /at least 8 depth voxels/);
});
