import assert from "node:assert/strict";
import { evaluateRun } from "../../run/evaluate_run.ts";
import { RUN_FILES } from "../../run/run_config.ts";
import { LockHeldError } from "../../run/file_lock.ts";
import { DatasetChangedError } from "../../run/run_fingerprint.ts";
import { trainRun } from "../../run/train_run.ts";
import { trainTinyRun } from "./_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const run = await trainTinyRun(dir);

Deno.test("evaluateRun() scores S(x) only for a method without a generator", async () => {
  const m = await evaluateRun(run, { backend: "wasm", write: false });
  assert.deepEqual(m.variants.map((v) => v.variant), ["plain"]);
  assert.equal(m.sgeVsPlain, null);
  assert.equal(m.split, "test");
  assert.equal(m.scans.length, 2);
  const dice = m.variants[0]!.dice;
  assert.deepEqual(dice.classes, [1, 2, 3, 4, 5, 6]);
  for (const c of dice.perClass) {
    if (c.n > 0) assert.ok(c.mean >= 0 && c.mean <= 1);
    if (c.n === 2) assert.ok(c.lower <= c.mean && c.mean <= c.upper);
  }
  for (const c of m.variants[0]!.hd95.perClass) {
    if (c.n > 0) assert.ok(Number.isFinite(c.mean) && c.mean >= 0, "finite HD95 in mm");
  }
  assert.equal(await Deno.stat(`${run}/${RUN_FILES.metrics}`).then(() => 1, () => 0), 0);
});

Deno.test("evaluateRun() refuses required SGE without a generator", async () => {
  await assert.rejects(
    () => evaluateRun(run, { backend: "wasm", sge: "on" }),
    /Cannot evaluate .* with SGE: method supervised has no generator/,
  );
});

Deno.test("evaluateRun() per scan on the validation split writes its own files", async () => {
  const m = await evaluateRun(run, {
    backend: "wasm",
    split: "validation",
    protocol: "scan",
    direction: "coronal",
  });
  assert.equal(m.split, "validation");
  assert.equal(m.scans.length, 1);
  assert.equal(m.units, 1);
  assert.deepEqual(m.protocol.directions, ["coronal"]);
  assert.equal(m.protocol.ensemble, false);
  assert.equal(m.variants[0]!.dice.overall.n, 1);
  assert.ok(Number.isNaN(m.variants[0]!.dice.overall.lower), "no interval from one scan");
  const written = JSON.parse(await Deno.readTextFile(`${run}/metrics.validation.json`));
  assert.equal(written.protocol.direction, "coronal");
  assert.equal(written.protocol.unit, "scan");
  const csv = await Deno.readTextFile(`${run}/scans.validation.csv`);
  assert.equal(csv.trimEnd().split("\n").length, 1 + 6);
});

Deno.test("evaluateRun() per image scores every slice of each direction as its own item", async () => {
  const m = await evaluateRun(run, { backend: "wasm", split: "validation" });
  assert.equal(m.protocol.unit, "image");
  // The run trained on both directions: coronal and sagittal slices, pooled, no ensemble.
  assert.equal(m.protocol.direction, "both");
  assert.deepEqual(m.protocol.directions, ["coronal", "sagittal"]);
  assert.equal(m.protocol.ensemble, false);
  assert.equal(m.units, 16 + 16); // one 16x16x32 scan
  assert.equal(m.variants[0]!.dice.overall.n, 32, "every slice has foreground");
  assert.ok(m.variants[0]!.dice.overall.lower <= m.variants[0]!.dice.overall.upper);
  const csv = (await Deno.readTextFile(`${run}/images.validation.csv`)).trimEnd().split("\n");
  assert.equal(csv[0], "scan,participant,direction,slice,variant,class,name,dice,hd95");
  assert.equal(csv.length - 1, 32 * 6);
  const slices = new Set(csv.slice(1).map((l) => l.split(",").slice(2, 4).join(":")));
  assert.equal(slices.size, 32);
  assert.ok(slices.has("coronal:15") && slices.has("sagittal:0"));
  // One direction: only its slices.
  const coronal = await evaluateRun(run, {
    backend: "wasm",
    split: "validation",
    direction: "coronal",
    write: false,
  });
  assert.equal(coronal.units, 16);
  assert.deepEqual(coronal.protocol.directions, ["coronal"]);
});

Deno.test("evaluateRun() rejects an unknown protocol", async () => {
  await assert.rejects(
    () =>
      evaluateRun(run, {
        backend: "wasm",
        protocol: "voxel" as unknown as "image",
        write: false,
      }),
    /Cannot evaluate .*: protocol must be "image" or "scan" \(got "voxel"\)/,
  );
});

Deno.test("evaluateRun() per image defaults to the run's training direction; per scan to both", async () => {
  const coronalRun = `${dir}/run-coronal`;
  await trainRun({
    dataset: `${dir}/ds`,
    method: "supervised",
    out: coronalRun,
    fraction: 1,
    test: 2,
    validation: 1,
    inputSize: [32, 32],
    directions: ["coronal"],
    every: 4,
    networks: { width: 4, depth: 2, generatorWidth: 4, discriminatorWidth: 4 },
    epochs: 1,
    iterationsPerEpoch: 1,
    batchSize: 2,
    backend: "wasm",
    progress: false,
  });
  const image = await evaluateRun(coronalRun, {
    backend: "wasm",
    split: "validation",
    write: false,
  });
  assert.equal(image.protocol.direction, "coronal");
  assert.deepEqual(image.protocol.directions, ["coronal"]);
  assert.equal(image.units, 16);
  const scan = await evaluateRun(coronalRun, {
    backend: "wasm",
    split: "validation",
    protocol: "scan",
    write: false,
  });
  assert.equal(scan.protocol.direction, "both");
  assert.equal(scan.protocol.ensemble, true);
  assert.equal(scan.units, 1);
});

Deno.test("evaluateRun() refuses data changed under the run, naming the file; allowChangedData scores it; a run without a fingerprint gets a note", async () => {
  const own = `${dir}/changed`;
  await Deno.mkdir(own);
  const changedRun = await trainTinyRun(own);
  const split = JSON.parse(await Deno.readTextFile(`${changedRun}/${RUN_FILES.split}`));
  const id: string = split.scans.test[1];
  const label = `labelsTr/${id}.nii.gz`;
  // Another labeled scan's label (same shape): the dataset changed under the run.
  const donor: string = split.scans.train[0];
  await Deno.copyFile(`${own}/ds/labelsTr/${donor}.nii.gz`, `${own}/ds/${label}`);
  const notes: string[] = [];
  const error = await evaluateRun(changedRun, { backend: "wasm", log: (l) => notes.push(l) })
    .then(() => null, (e) => e);
  assert.ok(error instanceof DatasetChangedError, String(error));
  assert.match(
    error.message,
    new RegExp(
      `^Cannot evaluate ${changedRun}: the dataset .* changed since the run recorded its ` +
        `fingerprint \\(got 1 change: ${label}: content changed \\(label of scan "${id}"`,
    ),
  );
  assert.deepEqual(notes.filter((n) => n.includes("dataset changed")), [
    `grn eval: dataset changed: ${error.changes[0]}`,
  ]);
  assert.equal(await Deno.stat(`${changedRun}/${RUN_FILES.metrics}`).then(() => 1, () => 0), 0);
  assert.equal(await Deno.stat(`${changedRun}/.grn-lock`).then(() => 1, () => 0), 0, "released");
  const m = await evaluateRun(changedRun, {
    backend: "wasm",
    allowChangedData: true,
    write: false,
  });
  assert.equal(m.scans.length, 2);
  // A run of an older grn (no dataset.fingerprint.json): a note, and it is scored.
  await Deno.remove(`${changedRun}/${RUN_FILES.fingerprint}`);
  const old: string[] = [];
  await evaluateRun(changedRun, { backend: "wasm", write: false, log: (l) => old.push(l) });
  assert.deepEqual(old.filter((n) => n.includes("fingerprint")), [
    `grn eval: note: ${changedRun} records no dataset fingerprint (a run of an older grn), so ` +
    "changes to its data cannot be detected",
  ]);
});

Deno.test("evaluateRun() holds the run's lock: refused while another process holds it, as grn train is", async () => {
  const { hostname } = await import("node:os");
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
    const error = await evaluateRun(run, { backend: "wasm" }).then(() => null, (e) => e);
    assert.ok(error instanceof LockHeldError, String(error));
    assert.equal(
      error.message,
      `Cannot evaluate ${run}: another process holds the lock ${run}/.grn-lock ` +
        `(got pid ${holder.pid} on ${hostname()} (grn train, since 2026-01-01T00:00:00.000Z))`,
    );
    assert.equal(await Deno.stat(`${run}/${RUN_FILES.metrics}`).then(() => 1, () => 0), 0);
    // The bench holds a cell's lock itself and says so.
    const m = await evaluateRun(run, { backend: "wasm", lockHeld: true });
    assert.equal(m.scans.length, 2);
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
  }
  await Deno.remove(`${run}/${RUN_FILES.metrics}`);
  // Its holder gone, the lock is stale: taken over (and reported), held while writing, released.
  const notes: string[] = [];
  await evaluateRun(run, { backend: "wasm", log: (l) => notes.push(l) });
  assert.ok(
    notes.some((n) => /^grn eval: took over the stale lock .*\.grn-lock/.test(n)),
    notes.join("\n"),
  );
  assert.ok((await Deno.stat(`${run}/${RUN_FILES.metrics}`)).isFile);
  assert.equal(await Deno.stat(`${run}/.grn-lock`).then(() => 1, () => 0), 0, "released");
});
