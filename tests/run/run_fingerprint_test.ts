import assert from "node:assert/strict";
import { RUN_FILES } from "../../run/run_config.ts";
import {
  checkRunDataset,
  DatasetChangedError,
  readRunFingerprint,
  runFingerprintIds,
  writeRunFingerprint,
} from "../../run/run_fingerprint.ts";
import { datasetFingerprint } from "../../data/dataset_fingerprint.ts";
import { writeTinyDataset } from "./_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
// The same ids and shapes with other content: a dataset regenerated under a run.
const other = `${dir}/other`;
await writeTinyDataset(other, 4);

const IDS = ["p00_s00", "p01_s00", "p02_s00"];

/** A dataset and a run folder that recorded the fingerprint of IDS. */
async function recordedRun(name: string): Promise<{ ds: string; run: string }> {
  const ds = `${dir}/${name}-ds`;
  const run = `${dir}/${name}-run`;
  await writeTinyDataset(ds, 3);
  await Deno.mkdir(run);
  await writeRunFingerprint(run, await datasetFingerprint(ds, { ids: IDS }));
  return { ds, run };
}

Deno.test("runFingerprintIds covers the train, validation and test scans once each", () => {
  const ids = runFingerprintIds({
    scans: {
      train: ["a", "b"],
      validation: ["c"],
      test: ["d"],
      labeled: ["a"],
      unlabeled: ["b"],
    },
  });
  assert.deepEqual(ids, ["a", "b", "c", "d"]);
});

Deno.test("checkRunDataset passes unchanged data without a note", async () => {
  const { ds, run } = await recordedRun("same");
  const notes: string[] = [];
  const r = await checkRunDataset(run, {
    dataset: ds,
    what: `Cannot evaluate ${run}`,
    command: "grn eval",
    log: (l) => notes.push(l),
  });
  assert.deepEqual(r.changes, []);
  assert.equal(r.current?.hash, r.recorded?.hash);
  assert.deepEqual(notes, []);
});

Deno.test("checkRunDataset refuses a regenerated file, one note per change naming the file", async () => {
  const { ds, run } = await recordedRun("changed");
  await Deno.copyFile(
    `${other}/imagesTr/p01_s00_0000.nii.gz`,
    `${ds}/imagesTr/p01_s00_0000.nii.gz`,
  );
  await Deno.copyFile(`${other}/labelsTr/p02_s00.nii.gz`, `${ds}/labelsTr/p02_s00.nii.gz`);
  // A scan outside the run's split changes nothing for the run.
  await Deno.copyFile(
    `${other}/imagesTr/p04_s00_0000.nii.gz`,
    `${ds}/imagesTr/p04_s00_0000.nii.gz`,
  );
  const notes: string[] = [];
  const error = await checkRunDataset(run, {
    dataset: ds,
    what: `Cannot evaluate ${run}`,
    command: "grn eval",
    log: (l) => notes.push(l),
  }).then(() => null, (e) => e);
  assert.ok(error instanceof DatasetChangedError, String(error));
  assert.equal(error.changes.length, 2);
  assert.match(
    error.changes[0]!,
    /^imagesTr\/p01_s00_0000\.nii\.gz: content changed \(image of scan "p01_s00"/,
  );
  assert.match(
    error.changes[1]!,
    /^labelsTr\/p02_s00\.nii\.gz: content changed \(label of scan "p02_s00"/,
  );
  assert.match(
    error.message,
    new RegExp(
      `^Cannot evaluate ${run}: the dataset ${ds} changed since the run recorded its fingerprint ` +
        `\\(got 2 changes: imagesTr/p01_s00_0000\\.nii\\.gz: content changed .*\\); pass ` +
        "--allow-changed-data to use it anyway$",
    ),
  );
  assert.ok(!error.message.includes("\n"), "one line");
  assert.deepEqual(notes, error.changes.map((c) => `grn eval: dataset changed: ${c}`));
});

Deno.test("checkRunDataset with allowChangedData reports the changes and goes ahead", async () => {
  const { ds, run } = await recordedRun("allowed");
  await Deno.copyFile(
    `${other}/imagesTr/p00_s00_0000.nii.gz`,
    `${ds}/imagesTr/p00_s00_0000.nii.gz`,
  );
  const notes: string[] = [];
  const r = await checkRunDataset(run, {
    dataset: ds,
    what: `Cannot resume ${run}`,
    command: "grn train",
    allowChangedData: true,
    log: (l) => notes.push(l),
  });
  assert.equal(r.changes.length, 1);
  assert.notEqual(r.current?.hash, r.recorded?.hash);
  assert.match(notes[0]!, /^grn train: dataset changed: imagesTr\/p00_s00_0000\.nii\.gz: content/);
  assert.match(
    notes[1]!,
    /^grn train: going ahead with the changed data of .* \(--allow-changed-data\)$/,
  );
});

Deno.test("checkRunDataset: a scan dropped from dataset.json or a deleted file is a change", async () => {
  const { ds, run } = await recordedRun("dropped");
  const manifest = JSON.parse(await Deno.readTextFile(`${ds}/dataset.json`));
  manifest.scans = manifest.scans.filter((s: { id: string }) => s.id !== "p02_s00");
  manifest.numLabeled -= 1;
  await Deno.writeTextFile(`${ds}/dataset.json`, JSON.stringify(manifest));
  const dropped = await checkRunDataset(run, {
    dataset: ds,
    what: "Cannot evaluate",
    command: "grn eval",
  }).then(() => null, (e) => e);
  assert.ok(dropped instanceof DatasetChangedError, String(dropped));
  assert.deepEqual(dropped.changes, [
    'scan "p02_s00": no longer listed (was imagesTr/p02_s00_0000.nii.gz)',
  ]);
  await Deno.remove(`${ds}/labelsTr/p01_s00.nii.gz`);
  const missing = await checkRunDataset(run, {
    dataset: ds,
    what: "Cannot evaluate",
    command: "grn eval",
  }).then(() => null, (e) => e);
  assert.ok(missing instanceof DatasetChangedError);
  assert.match(missing.changes[0]!, /cannot read labelsTr\/p01_s00\.nii\.gz of scan "p01_s00"/);
});

Deno.test("checkRunDataset: a run without a recorded fingerprint gets a one-line note, no error", async () => {
  const ds = `${dir}/old-ds`;
  const run = `${dir}/old-run`;
  await writeTinyDataset(ds, 3);
  await Deno.mkdir(run);
  const notes: string[] = [];
  const r = await checkRunDataset(run, {
    dataset: ds,
    what: "Cannot evaluate",
    command: "grn eval",
    log: (l) => notes.push(l),
  });
  assert.equal(r.recorded, null);
  assert.deepEqual(r.changes, []);
  assert.deepEqual(notes, [
    `grn eval: note: ${run} records no dataset fingerprint (a run of an older grn), so changes ` +
    "to its data cannot be detected",
  ]);
});

Deno.test("readRunFingerprint names the file when it is not a fingerprint", async () => {
  const run = `${dir}/corrupt-run`;
  await Deno.mkdir(run);
  assert.equal(await readRunFingerprint(run), null);
  await Deno.writeTextFile(`${run}/${RUN_FILES.fingerprint}`, "{ not json");
  await assert.rejects(
    () => readRunFingerprint(run),
    new RegExp(
      `Cannot read the dataset fingerprint of run ${run}: invalid JSON in ${run}/dataset\\.fingerprint\\.json`,
    ),
  );
  await Deno.writeTextFile(`${run}/${RUN_FILES.fingerprint}`, '{"version": 7}');
  await assert.rejects(
    () => readRunFingerprint(run),
    /is not a version-1 dataset fingerprint \(got \{"version": 7\}\)/,
  );
});
