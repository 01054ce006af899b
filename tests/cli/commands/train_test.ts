import assert from "node:assert/strict";
import { methodNames } from "../../../trainers/method_registry.ts";
import { errorLines, runMain } from "../_cli.ts";
import { TINY_TRAIN_ARGS, writeTinyDataset } from "../_fixture.ts";

const dir = await Deno.makeTempDir();
const dataset = `${dir}/ds`;
await writeTinyDataset(dataset);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

function oneLine(stderr: string): string {
  const lines = errorLines(stderr);
  assert.equal(lines.length, 1, `one error line, got ${JSON.stringify(stderr)}`);
  return lines[0]!;
}

Deno.test("grn train: a missing dataset folder fails with exit 1 naming the path", async () => {
  const missing = `${dir}/no-such-dataset`;
  const r = await runMain(["train", "-d", missing, "-m", "grn-sel", "-o", `${dir}/a`, "--quiet"]);
  assert.equal(r.code, 1);
  assert.equal(
    oneLine(r.stderr),
    `grn train: Cannot train: dataset folder not found (got ${missing})`,
  );
  assert.equal(await Deno.stat(`${dir}/a`).then(() => true, () => false), false, "no run folder");
});

Deno.test("grn train: a folder without dataset.json fails naming the manifest path", async () => {
  const empty = `${dir}/empty`;
  await Deno.mkdir(empty);
  const r = await runMain([
    "train",
    "-d",
    empty,
    "-m",
    "supervised",
    "-o",
    `${dir}/b`,
    ...TINY_TRAIN_ARGS,
  ]);
  assert.equal(r.code, 1);
  const line = oneLine(r.stderr);
  assert.match(line, /^grn train: Cannot load dataset manifest /);
  assert.ok(line.includes(`${empty}/dataset.json`), line);
});

Deno.test("grn train: an unknown method suggests the nearest and lists the valid ones", async () => {
  const r = await runMain(["train", "-d", dataset, "-m", "grn-ssll", "-o", `${dir}/c`]);
  assert.equal(r.code, 2);
  assert.equal(
    oneLine(r.stderr),
    `grn train: unknown method "grn-ssll" for --method (did you mean grn-ssl?); choose from ${
      methodNames().join(", ")
    }`,
  );
  const far = await runMain(["train", "-d", dataset, "-m", "zzzzzzzzzz", "-o", `${dir}/c`]);
  assert.equal(far.code, 2);
  assert.match(
    oneLine(far.stderr),
    /^grn train: unknown method "zzzzzzzzzz" for --method; choose from /,
  );
});

Deno.test("grn train: --fraction outside (0, 1] is a usage error", async () => {
  for (const f of ["0", "1.5", "-0.2", "nan"]) {
    const r = await runMain(["train", "-d", dataset, "-m", "grn-sel", "--fraction", f]);
    assert.equal(r.code, 2, `--fraction ${f}`);
    assert.equal(oneLine(r.stderr), `grn train: --fraction must be a number in (0, 1] (got ${f})`);
  }
});

Deno.test("grn train: an unknown option gets a suggestion", async () => {
  const r = await runMain(["train", "-d", dataset, "-m", "grn-sel", "--epoch", "3"]);
  assert.equal(r.code, 2);
  assert.equal(oneLine(r.stderr), "grn train: unknown option --epoch (did you mean --epochs?)");
});

Deno.test("grn train: missing --dataset, --method or --out (with --resume) are usage errors", async () => {
  const a = await runMain(["train", "-m", "grn-sel"]);
  assert.equal(a.code, 2);
  assert.match(oneLine(a.stderr), /^grn train: missing --dataset DIR/);
  const b = await runMain(["train", "-d", dataset]);
  assert.equal(b.code, 2);
  assert.match(
    oneLine(b.stderr),
    /^grn train: missing --method NAME \(one of supervised, supervised-aug, .*grn-ssl/,
  );
  const c = await runMain(["train", "--resume"]);
  assert.equal(c.code, 2);
  assert.match(oneLine(c.stderr), /^grn train: --resume needs --out DIR/);
  const d = await runMain(["train", "-d", dataset, "-m", "grn-sel", "--test", "2.5"]);
  assert.equal(d.code, 2);
  assert.match(
    oneLine(d.stderr),
    /^grn train: --test must be a fraction in \[0, 1\) or a whole number/,
  );
});

Deno.test("grn train: an input size the network cannot take is a usage error (exit 2) before loading data", async () => {
  const r = await runMain([
    "train",
    "-d",
    dataset,
    "-m",
    "supervised",
    "-o",
    `${dir}/e`,
    ...TINY_TRAIN_ARGS,
    "--depth",
    "3",
    "--size",
    "30",
  ]);
  assert.equal(r.code, 2, "a bad option value is a usage error");
  assert.match(oneLine(r.stderr), /^grn train: --size: .*(multiple|divisible).*/i);
  assert.equal(await Deno.stat(`${dir}/e`).then(() => true, () => false), false, "no run folder");
});

Deno.test("grn train --json: trains a tiny run and refuses to overwrite it", async () => {
  const out = `${dir}/run`;
  const r = await runMain([
    "train",
    "-d",
    dataset,
    "-m",
    "supervised",
    "-o",
    out,
    "--json",
    ...TINY_TRAIN_ARGS,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.ok, true);
  assert.equal(summary.method, "supervised");
  assert.equal(summary.epochs, 1);
  assert.deepEqual(summary.participants, { train: 2, validation: 1, test: 2, labeled: 1 });
  assert.equal(summary.slices.unlabeled, 0, "supervised draws no unlabeled stream");
  const again = await runMain([
    "train",
    "-d",
    dataset,
    "-m",
    "supervised",
    "-o",
    out,
    ...TINY_TRAIN_ARGS,
  ]);
  assert.equal(again.code, 1);
  assert.match(oneLine(again.stderr), /already holds a run .*pass --resume/);
});

Deno.test("grn train: --lr-schedule, --ramp-fraction and --equal-segmentor-updates reach config.json", async () => {
  const out = `${dir}/schedules`;
  const r = await runMain([
    "train",
    "-d",
    dataset,
    "-m",
    "mt",
    "-o",
    out,
    "--json",
    "--lr-schedule",
    "step",
    "--ramp-fraction",
    "0.25",
    "--equal-segmentor-updates",
    ...TINY_TRAIN_ARGS,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.sge, null);
  assert.equal(typeof summary.consistencyWeight, "number");
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.equal(config.methodOptions.lrSchedule, "step");
  assert.equal(config.methodOptions.rampFraction, 0.25);
  assert.equal(config.methodOptions.equalSegmentorUpdates, true);
  const history = JSON.parse(await Deno.readTextFile(`${out}/history.json`));
  const iterations = TINY_TRAIN_ARGS[TINY_TRAIN_ARGS.indexOf("--iterations") + 1];
  assert.equal(history[0].iterations, 2 * Number(iterations), "one update per iteration: doubled");
  const bad = await runMain(["train", "-d", dataset, "-m", "mt", "--lr-schedule", "cosine"]);
  assert.equal(bad.code, 2);
  assert.match(oneLine(bad.stderr), /--lr-schedule/);
});

Deno.test("grn train: -o into a non-empty folder grn did not create fails with exit 1 and keeps its files", async () => {
  const user = `${dir}/users-folder`;
  await Deno.mkdir(user);
  await Deno.writeTextFile(`${user}/model.ckpt`, "my model");
  await Deno.writeTextFile(`${user}/split.json`, "my split");
  for (const extra of [[], ["--resume"]]) {
    const r = await runMain([
      "train",
      "-d",
      dataset,
      "-m",
      "supervised",
      "-o",
      user,
      ...extra,
      ...TINY_TRAIN_ARGS,
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      oneLine(r.stderr),
      `grn train: Cannot ${
        extra.length > 0 ? "resume" : "train into"
      } ${user}: the folder is not ` +
        "empty and was not created by grn (got model.ckpt, split.json); choose a new or empty folder",
    );
  }
  assert.equal(await Deno.readTextFile(`${user}/model.ckpt`), "my model");
  assert.equal(await Deno.readTextFile(`${user}/split.json`), "my split");
  assert.deepEqual((await Array.fromAsync(Deno.readDir(user))).map((e) => e.name).sort(), [
    "model.ckpt",
    "split.json",
  ]);
});

Deno.test("grn train: NaN image voxels, which grn validate rejects, stop training with exit 1", async () => {
  const { readNifti } = await import("../../../data/nifti_read.ts");
  const { writeNifti } = await import("../../../data/nifti_write.ts");
  const bad = `${dir}/nan-ds`;
  await writeTinyDataset(bad);
  const file = `${bad}/imagesTr/p02_s00_0000.nii.gz`;
  const image = await readNifti(file, { dtype: "float32" });
  image.data[10] = NaN;
  await writeNifti(file, image);
  const validate = await runMain(["validate", bad]);
  assert.equal(validate.code, 1);
  const out = `${dir}/nan-run`;
  const r = await runMain(["train", "-d", bad, "-m", "supervised", "-o", out, ...TINY_TRAIN_ARGS]);
  assert.equal(r.code, 1);
  assert.equal(
    oneLine(r.stderr),
    `grn train: Cannot load scan "p02_s00" from ${bad}: image imagesTr/p02_s00_0000.nii.gz has ` +
      "non-finite voxels (got 1 NaN, 0 infinite); grn validate lists every problem",
  );
  assert.equal(await Deno.stat(out).then(() => true, () => false), false, "no run folder");
});

Deno.test("grn train: a second writer into the same --out exits 1 naming the lock file and its holder", async () => {
  const { hostname } = await import("node:os");
  const out = `${dir}/busy`;
  // Another live process on this host holds the run folder's lock.
  const holder = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" })
    .spawn();
  try {
    await Deno.mkdir(out);
    await Deno.writeTextFile(
      `${out}/.grn-lock`,
      JSON.stringify({
        format: "grn-lock",
        pid: holder.pid,
        host: hostname(),
        startedAt: "2026-01-01T00:00:00.000Z",
        purpose: "grn train",
      }),
    );
    const r = await runMain([
      "train",
      "-d",
      dataset,
      "-m",
      "supervised",
      "-o",
      out,
      ...TINY_TRAIN_ARGS,
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      oneLine(r.stderr),
      `grn train: Cannot train into ${out}: another process holds the lock ${out}/.grn-lock ` +
        `(got pid ${holder.pid} on ${hostname()} (grn train, since 2026-01-01T00:00:00.000Z))`,
    );
    assert.deepEqual((await Array.fromAsync(Deno.readDir(out))).map((e) => e.name), [".grn-lock"]);
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
  }
  // Once the holder is gone, the lock is stale: taken over (and reported), and the run trains.
  const r = await runMain([
    "train",
    "-d",
    dataset,
    "-m",
    "supervised",
    "-o",
    out,
    ...TINY_TRAIN_ARGS,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /grn train: took over the stale lock .*\.grn-lock/);
  assert.equal(await Deno.stat(`${out}/.grn-lock`).then(() => true, () => false), false);
});

Deno.test("grn train: --allow-external-links reaches config.json; --resume on changed data exits 1 naming the file unless --allow-changed-data", async () => {
  const ds = `${dir}/changing-ds`;
  await writeTinyDataset(ds, 3);
  await writeTinyDataset(`${dir}/changing-other`, 4);
  const out = `${dir}/changing`;
  const args = ["train", "-d", ds, "-m", "supervised", "-o", out, ...TINY_TRAIN_ARGS];
  const r = await runMain([...args, "--allow-external-links"]);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.equal(config.dataset.allowExternalLinks, true);
  assert.ok((await Deno.stat(`${out}/dataset.fingerprint.json`)).isFile);
  const label = "labelsTr/p03_s00.nii.gz";
  await Deno.copyFile(`${dir}/changing-other/${label}`, `${ds}/${label}`);
  const refused = await runMain(["train", "-o", out, "--resume", "--epochs", "2", "--quiet"]);
  assert.equal(refused.code, 1, refused.stderr);
  const lines = errorLines(refused.stderr);
  assert.match(lines.at(-2)!, new RegExp(`^grn train: dataset changed: ${label}: content changed`));
  assert.match(
    lines.at(-1)!,
    new RegExp(
      `^grn train: Cannot resume ${out}: the dataset ${ds} changed since the run recorded its ` +
        "fingerprint \\(got 1 change: .*\\); pass --allow-changed-data to use it anyway$",
    ),
  );
  const allowed = await runMain([
    "train",
    "-o",
    out,
    "--resume",
    "--epochs",
    "2",
    "--quiet",
    "--allow-changed-data",
  ]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(JSON.parse(await Deno.readTextFile(`${out}/history.json`)).length, 2);
});
