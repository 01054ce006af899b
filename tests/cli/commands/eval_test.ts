import assert from "node:assert/strict";
import { hostname } from "node:os";
import { errorLines, runMain } from "../_cli.ts";
import { trainTinyRun, writeTinyDataset } from "../_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const run = await trainTinyRun(dir); // dataset in ${dir}/ds

Deno.test("grn eval: data regenerated under the run exit 1, one note per changed file; --allow-changed-data scores them", async () => {
  await writeTinyDataset(`${dir}/other`, 4); // the same ids and shapes, other content
  const split = JSON.parse(await Deno.readTextFile(`${run}/split.json`));
  const changed = [split.scans.test[0], split.scans.validation[0]].map((id: string) =>
    `imagesTr/${id}_0000.nii.gz`
  );
  for (const f of changed) await Deno.copyFile(`${dir}/other/${f}`, `${dir}/ds/${f}`);
  const r = await runMain(["eval", run, "--backend", "wasm"]);
  assert.equal(r.code, 1, r.stderr);
  const lines = errorLines(r.stderr);
  const notes = lines.filter((l) => l.startsWith("grn eval: dataset changed: "));
  assert.equal(notes.length, 2, r.stderr);
  for (const f of changed) {
    assert.ok(notes.some((n) => n.startsWith(`grn eval: dataset changed: ${f}: content changed`)));
  }
  const error = lines.at(-1)!;
  assert.match(
    error,
    new RegExp(
      `^grn eval: Cannot evaluate ${run}: the dataset ${dir}/ds changed since the run recorded ` +
        "its fingerprint \\(got 2 changes: .*\\); pass --allow-changed-data to use it anyway$",
    ),
  );
  assert.equal(await Deno.stat(`${run}/metrics.json`).then(() => 1, () => 0), 0);
  const allowed = await runMain(["eval", run, "--backend", "wasm", "--allow-changed-data"]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /grn eval: going ahead with the changed data/);
  assert.ok((await Deno.stat(`${run}/metrics.json`)).isFile);
});

Deno.test("grn eval: a run folder another process holds exits 1 naming the lock and its holder", async () => {
  const holder = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" })
    .spawn();
  try {
    await Deno.writeTextFile(
      `${run}/.grn-lock`,
      JSON.stringify({
        format: "grn-lock",
        pid: holder.pid,
        host: hostname(),
        startedAt: "2026-01-01T00:00:00.000Z",
        purpose: "grn train",
      }),
    );
    const r = await runMain(["eval", run, "--backend", "wasm", "--allow-changed-data"]);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), [
      `grn eval: Cannot evaluate ${run}: another process holds the lock ${run}/.grn-lock ` +
      `(got pid ${holder.pid} on ${hostname()} (grn train, since 2026-01-01T00:00:00.000Z))`,
    ]);
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
    await Deno.remove(`${run}/.grn-lock`);
  }
});

Deno.test("grn eval: a folder that is not a run exits 1 and gets no lock file", async () => {
  const plain = `${dir}/plain`;
  await Deno.mkdir(plain);
  const r = await runMain(["eval", plain, "--backend", "wasm"]);
  assert.equal(r.code, 1);
  assert.deepEqual(errorLines(r.stderr), [
    `grn eval: Cannot read run ${plain}: not a run folder (got no config.json)`,
  ]);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(plain)), []);
});
