import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock, LockHeldError } from "../../run/file_lock.ts";
import { readRunConfig, RUN_FILES } from "../../run/run_config.ts";
import { openRunFolder, RUN_LOCK, RUN_MARKER } from "../../run/run_folder.ts";
import { trainRun, type TrainRunOptions } from "../../run/train_run.ts";
import { writeTinyDataset } from "./_fixture.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const dataset = `${dir}/ds`;
await writeTinyDataset(dataset);

function tiny(out: string, extra: Partial<TrainRunOptions> = {}): TrainRunOptions {
  return {
    dataset,
    method: "supervised",
    out,
    fraction: 1,
    test: 2,
    validation: 1,
    inputSize: [32, 32],
    every: 4,
    networks: { width: 4, depth: 2 },
    epochs: 1,
    iterationsPerEpoch: 1,
    batchSize: 2,
    backend: "wasm",
    progress: false,
    ...extra,
  };
}

async function names(path: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort();
}

Deno.test("openRunFolder() refuses a non-empty folder grn did not create and leaves it untouched", async () => {
  const user = join(dir, "user");
  await Deno.mkdir(user);
  const files = { "model.ckpt": "mine", "split.json": "{}", "history.json": "[]" };
  for (const [f, text] of Object.entries(files)) await Deno.writeTextFile(join(user, f), text);
  await assert.rejects(
    () => trainRun(tiny(user)),
    {
      message: `Cannot train into ${user}: the folder is not empty and was not created by grn ` +
        "(got history.json, model.ckpt, split.json); choose a new or empty folder",
    },
  );
  await assert.rejects(() => trainRun(tiny(user, { resume: true })), /not created by grn/);
  assert.deepEqual(await names(user), Object.keys(files).sort());
  for (const [f, text] of Object.entries(files)) {
    assert.equal(await Deno.readTextFile(join(user, f)), text);
  }
  const file = join(dir, "a-file");
  await Deno.writeTextFile(file, "x");
  await assert.rejects(() => openRunFolder(file), /it is a file, not a folder/);
});

Deno.test("openRunFolder() claims a new or empty folder, marks it, locks it and releases the lock", async () => {
  const fresh = join(dir, "fresh", "run");
  const folder = await openRunFolder(fresh);
  assert.equal(folder.created, true);
  assert.equal(folder.existed, false);
  assert.deepEqual(await names(fresh), [RUN_LOCK, RUN_MARKER]);
  await assert.rejects(() => openRunFolder(fresh), (error: Error) => {
    assert.ok(error instanceof LockHeldError);
    assert.match(
      error.message,
      /^Cannot train into .*: another process holds the lock .*\.grn-lock \(got pid \d+ on /,
    );
    return true;
  });
  await folder.release();
  assert.deepEqual(await names(fresh), [RUN_MARKER]);
  // A failure before anything was written discards the folder this call created.
  const again = await openRunFolder(join(dir, "discard"));
  await again.release({ discardIfUnused: true });
  assert.equal(await Deno.stat(join(dir, "discard")).then(() => true, () => false), false);
  // An empty folder of the user's is claimed, and kept (empty) after a failure.
  const empty = join(dir, "empty");
  await Deno.mkdir(empty);
  const claimed = await openRunFolder(empty);
  assert.equal(claimed.created, false);
  await claimed.release({ discardIfUnused: true });
  assert.deepEqual(await names(empty), []);
});

Deno.test("trainRun() refuses a second writer and takes over a stale lock, removing stale temp files", async () => {
  const out = join(dir, "locked");
  await trainRun(tiny(out));
  const lock = await acquireLock(join(out, RUN_LOCK), { purpose: "grn train" });
  try {
    await assert.rejects(
      () => trainRun(tiny(out, { resume: true, epochs: 2 })),
      new RegExp(
        `^LockHeldError: Cannot resume ${out}: another process holds the lock ${out}/\\.grn-lock`,
      ),
    );
  } finally {
    await lock.release();
  }
  // A killed writer's lock (dead pid) and temporary files.
  await Deno.writeTextFile(
    join(out, RUN_LOCK),
    JSON.stringify({
      format: "grn-lock",
      pid: 999_999_999,
      host: (await import("node:os")).hostname(),
      startedAt: "2026-01-01T00:00:00.000Z",
      purpose: "grn train",
    }),
  );
  await Deno.writeTextFile(join(out, ".last.ckpt.123.456.0.tmp"), "partial");
  const notes: string[] = [];
  const summary = await trainRun(tiny(out, { resume: true, epochs: 2, log: (l) => notes.push(l) }));
  assert.equal(summary.resumed, true);
  assert.ok(
    notes.some((n) => /^grn train: took over the stale lock .*\.grn-lock.*pid 999999999/.test(n)),
    notes.join("\n"),
  );
  assert.ok(notes.some((n) => n.includes("removed") && n.includes(".last.ckpt.123.456.0.tmp")));
  assert.ok(!(await names(out)).some((n) => n.endsWith(".tmp") || n === RUN_LOCK));
});

Deno.test("trainRun() restarts a run that never reached a checkpoint with other settings, with or without --resume", async () => {
  const out = join(dir, "oom");
  // As left by a run killed (or out of memory) at step 1: marker, config and split, no checkpoint.
  await trainRun(tiny(out, { batchSize: 4 }));
  for (const f of await names(out)) {
    if (f.endsWith(".ckpt") || f === RUN_FILES.history || f === RUN_FILES.train) {
      await Deno.remove(join(out, f));
    }
  }
  const notes: string[] = [];
  await trainRun(tiny(out, { batchSize: 2, resume: true, log: (l) => notes.push(l) }));
  assert.equal((await readRunConfig(out)).training.batchSize, 2);
  assert.ok(notes.some((n) => n.includes("never reached its first checkpoint")));
  // Without --resume too, once the checkpoints are gone.
  for (const f of await names(out)) if (f.endsWith(".ckpt")) await Deno.remove(join(out, f));
  await trainRun(tiny(out, { batchSize: 1 }));
  assert.equal((await readRunConfig(out)).training.batchSize, 1);
  // With a checkpoint, a new run is refused and a conflicting resume too.
  await assert.rejects(
    () => trainRun(tiny(out)),
    /already holds a run with a checkpoint; pass --resume/,
  );
  await assert.rejects(
    () => trainRun(tiny(out, { resume: true, batchSize: 2 })),
    /--batch-size differs from the run's \(got 2, run has 1\)/,
  );
});
