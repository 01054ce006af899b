import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import type { BenchSettings } from "../../comparison/grid.ts";
import { cellDir, cellStatus, planBench, runBench } from "../../comparison/run_grid.ts";
import { acquireLock } from "../../run/file_lock.ts";
import { RUN_FILES } from "../../run/run_config.ts";
import { RUN_LOCK } from "../../run/run_folder.ts";

const root = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** One supervised cell of one iteration on a tiny phantom. */
function oneCell(): BenchSettings {
  return {
    preset: "tiny-lock",
    description: "one cell",
    reduced: "tiny test configuration",
    phantom: { participants: 5, scansPerParticipant: 1, shape: [16, 16, 32], seed: 3 },
    seeds: [0],
    groups: [{ purpose: "test", methods: ["supervised"], fractions: [0.5] }],
    training: {
      inputSize: [32, 32],
      directions: ["coronal", "sagittal"],
      every: 4,
      networks: {
        width: 4,
        depth: 2,
        generatorWidth: 4,
        discriminatorWidth: 4,
        auxiliaryDiscriminatorWidth: 4,
      },
      methodOptions: {},
      epochs: 1,
      iterationsPerEpoch: 1,
      batchSize: 2,
      patience: 0,
      test: 2,
      validation: 1,
      splitSeed: 0,
    },
  };
}

Deno.test("runBench() skips a cell another live process holds, says so, and runs it once free", async () => {
  const bench = join(root, "held");
  const cell = { name: "supervised_f0.5_s0" };
  const dir = cellDir(bench, cell);
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireLock(join(dir, RUN_LOCK), { purpose: "grn bench cell (other)" });
  const lines: string[] = [];
  try {
    const r = await runBench({
      out: bench,
      settings: oneCell(),
      backend: "wasm",
      cell: 0,
      progress: (l) => lines.push(l),
    });
    assert.deepEqual(r.outcomes.map((o) => o.outcome), ["held"]);
    assert.match(
      r.outcomes[0]!.error!,
      /another process holds the lock .*\.grn-lock \(got pid \d+/,
    );
    assert.ok(
      lines.some((l) =>
        /\[1\/1\] supervised_f0\.5_s0: skipped, another process is running it/.test(l)
      ),
      lines.join("\n"),
    );
    assert.equal(await cellStatus(bench, cell), "pending", "nothing was trained");
    assert.equal(await Deno.stat(join(dir, RUN_FILES.config)).then(() => true, () => false), false);
  } finally {
    await lock.release();
  }
  const r = await runBench({ out: bench, settings: oneCell(), backend: "wasm", cell: 0 });
  assert.deepEqual(r.outcomes.map((o) => o.outcome), ["ran"]);
  assert.equal(await cellStatus(bench, cell), "done");
  assert.equal(
    await Deno.stat(join(dir, RUN_LOCK)).then(() => true, () => false),
    false,
    "released",
  );
});

Deno.test("runBench() takes over a cell whose holder died (a resubmitted Slurm task) and reports it", async () => {
  const bench = join(root, "stale");
  const cell = { name: "supervised_f0.5_s0" };
  const dir = cellDir(bench, cell);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, RUN_LOCK),
    JSON.stringify({
      format: "grn-lock",
      pid: 999_999_999,
      host: hostname(),
      startedAt: "2026-01-01T00:00:00.000Z",
      purpose: "grn bench cell supervised_f0.5_s0",
    }),
  );
  const notes: string[] = [];
  const r = await runBench({
    out: bench,
    settings: oneCell(),
    backend: "wasm",
    cell: 0,
    log: (l) => notes.push(l),
  });
  assert.deepEqual(r.outcomes.map((o) => o.outcome), ["ran"]);
  assert.ok(
    notes.some((n) =>
      /^grn bench: supervised_f0\.5_s0: took over the stale lock .*pid 999999999/.test(n)
    ),
    notes.join("\n"),
  );
  assert.equal(await cellStatus(bench, cell), "done");
});

Deno.test("planBench() refuses a non-empty folder without bench.json, but not an interrupted start", async () => {
  const user = join(root, "user");
  await Deno.mkdir(user);
  await Deno.writeTextFile(join(user, "report.html"), "my report");
  await assert.rejects(() => planBench({ out: user, settings: oneCell() }), {
    message: `Cannot use the bench folder ${user}: it is not empty and holds no bench.json ` +
      "(got report.html); choose a new or empty folder",
  });
  assert.equal(await Deno.readTextFile(join(user, "report.html")), "my report");
  // What a bench killed before writing bench.json leaves is accepted.
  const started = join(root, "started");
  await Deno.mkdir(join(started, "cells"), { recursive: true });
  await Deno.mkdir(join(started, "dataset.tmp-host-1-2"), { recursive: true });
  const manifest = await planBench({ out: started, settings: oneCell() });
  assert.equal(manifest.cells.length, 1);
});

Deno.test("runBench(): a cell records its data's fingerprint and is not evaluated once the data changed under it", async () => {
  const bench = join(root, "fingerprint");
  const cell = { name: "supervised_f0.5_s0" };
  const dir = cellDir(bench, cell);
  const first = await runBench({ out: bench, settings: oneCell(), backend: "wasm", cell: 0 });
  assert.deepEqual(first.outcomes.map((o) => o.outcome), ["ran"]);
  const recorded = JSON.parse(await Deno.readTextFile(join(dir, RUN_FILES.fingerprint)));
  assert.equal(Object.keys(recorded.scans).length, 5, "every scan of the cell's split");
  // The cell's scores are lost and one of its files changes: evaluation must not go ahead.
  await Deno.remove(join(dir, RUN_FILES.metrics));
  const image = join(bench, "dataset", recorded.scans.p00_s00.image);
  const bytes = await Deno.readFile(image);
  await Deno.writeFile(image, bytes.subarray(0, bytes.length - 1));
  const second = await runBench({ out: bench, settings: oneCell(), backend: "wasm", cell: 0 });
  assert.deepEqual(second.outcomes.map((o) => o.outcome), ["failed"]);
  assert.match(
    second.outcomes[0]!.error!,
    /Cannot evaluate .*: the dataset .* changed since the run recorded its fingerprint \(got 1 change: imagesTr\/p00_s00_0000\.nii\.gz: content changed/,
  );
  assert.equal(await cellStatus(bench, cell), "trained");
});
