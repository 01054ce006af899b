/**
 * The whole command line in subprocesses: phantom → validate → train → eval → predict.
 */
import assert from "node:assert/strict";
import { readNifti } from "../../data/nifti_read.ts";
import { spawnCli } from "./_cli.ts";
import { TINY_TRAIN_ARGS } from "./_fixture.ts";

Deno.test("grn phantom → validate → train → eval → predict, end to end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ds = `${dir}/ds`;
    const run = `${dir}/run`;
    const phantom = await spawnCli([
      "phantom",
      ds,
      "--participants",
      "5",
      "--scans",
      "1",
      "--shape",
      "16,16,32",
      "--seed",
      "5",
      "--json",
    ]);
    assert.equal(phantom.code, 0, phantom.stderr);
    assert.equal(JSON.parse(phantom.stdout).scans, 5);

    const validate = await spawnCli(["validate", ds]);
    assert.equal(validate.code, 0, validate.stdout);
    assert.match(validate.stdout, /: OK$/m);

    const train = await spawnCli([
      "train",
      "-d",
      ds,
      "-m",
      "grn-sel",
      "-f",
      "1",
      "-o",
      run,
      "--json",
      ...TINY_TRAIN_ARGS,
    ]);
    assert.equal(train.code, 0, train.stderr);
    const summary = JSON.parse(train.stdout);
    assert.equal(summary.method, "grn-sel");
    assert.equal(summary.epochs, 1);
    assert.match(train.stderr, /^grn engine: wasm/m);

    const evaluation = await spawnCli(["eval", run, "--backend", "wasm", "--json"]);
    assert.equal(evaluation.code, 0, evaluation.stderr);
    const metrics = JSON.parse(evaluation.stdout);
    assert.deepEqual(metrics.variants.map((v: { variant: string }) => v.variant), ["plain", "sge"]);
    assert.equal(metrics.scans.length, 2);
    assert.deepEqual(metrics.classes.map((c: { label: number }) => c.label), [1, 2, 3, 4, 5, 6]);
    const onDisk = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
    assert.deepEqual(onDisk.variants, metrics.variants);
    // Per image by default: 2 test scans × (16 coronal + 16 sagittal slices), no ensemble.
    assert.equal(metrics.protocol.unit, "image");
    assert.deepEqual(metrics.protocol.directions, ["coronal", "sagittal"]);
    assert.equal(metrics.protocol.ensemble, false);
    assert.equal(metrics.units, 2 * (16 + 16));
    // The per-class means agree with the per-image CSV.
    const csv = (await Deno.readTextFile(`${run}/images.csv`)).trimEnd().split("\n");
    assert.equal(csv[0], "scan,participant,direction,slice,variant,class,name,dice,hd95");
    assert.equal(csv.length - 1, 2 * 2 * (16 + 16) * 6);
    for (const [v, variant] of metrics.variants.entries()) {
      for (let k = 0; k < 6; k++) {
        const values = csv.slice(1).map((l) => l.split(","))
          .filter((c) => c[4] === variant.variant && c[5] === String(k + 1))
          .map((c) => Number(c[7])).filter((x) => !Number.isNaN(x));
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const reported = metrics.variants[v].dice.perClass[k].mean;
        if (values.length === 0) assert.equal(reported, null);
        else assert.ok(Math.abs(mean - reported) < 1e-9, `${variant.variant} class ${k + 1}`);
        if (reported !== null) assert.ok(reported >= 0 && reported <= 1);
      }
    }
    // Per scan: the two-direction ensemble, one item per scan, scans.csv.
    const perScan = await spawnCli([
      "eval",
      run,
      "--protocol",
      "scan",
      "--backend",
      "wasm",
      "--json",
    ]);
    assert.equal(perScan.code, 0, perScan.stderr);
    const scanMetrics = JSON.parse(perScan.stdout);
    assert.equal(scanMetrics.protocol.unit, "scan");
    assert.equal(scanMetrics.protocol.ensemble, true);
    assert.equal(scanMetrics.units, 2);
    const scanCsv = (await Deno.readTextFile(`${run}/scans.csv`)).trimEnd().split("\n");
    assert.equal(scanCsv[0], "scan,participant,variant,class,name,dice,hd95");
    assert.equal(scanCsv.length - 1, 2 * 2 * 6);
    assert.equal(scanMetrics.sgeVsPlain.n, 2, "SGE test pairs the 2 scans");
    assert.equal(metrics.sgeVsPlain.n, 2 * 32, "SGE test pairs the 64 images");

    const table = await spawnCli(["eval", run, "--no-sge", "--backend", "wasm"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /per image: 64 2-D slices \(coronal and sagittal as separate images\)/,
    );
    assert.match(table.stdout, /^superficial fascial membrane +\S/m);
    assert.match(table.stdout, /^overall +\d\.\d{3}/m);
    assert.ok(!table.stdout.includes("SGE"), "S(x) only");

    const manifest = JSON.parse(await Deno.readTextFile(`${ds}/dataset.json`));
    const input = `${ds}/${manifest.scans[0].image}`;
    const output = `${dir}/labels.nii.gz`;
    const readout = `${dir}/layers.json`;
    const predict = await spawnCli([
      "predict",
      run,
      input,
      "-o",
      output,
      "--sge",
      "--readout",
      readout,
      "--backend",
      "wasm",
      "--json",
    ]);
    assert.equal(predict.code, 0, predict.stderr);
    const image = await readNifti(input);
    const labels = await readNifti(output);
    assert.deepEqual(labels.shape, image.shape);
    assert.deepEqual(labels.spacing, image.spacing);
    assert.deepEqual(labels.affine, image.affine);
    assert.ok(labels.data instanceof Uint8Array);
    assert.ok(labels.data.every((v) => v <= 6));
    const result = JSON.parse(predict.stdout);
    assert.equal(result.sge, true);
    assert.equal(
      result.voxelsPerLabel.reduce((a: number, b: number) => a + b, 0),
      labels.data.length,
    );
    const layers = JSON.parse(await Deno.readTextFile(readout));
    assert.deepEqual(layers.layers.map((l: { label: number }) => l.label), [1, 2, 3, 4, 5, 6]);

    const fromCheckpoint = await spawnCli([
      "predict",
      `${run}/best.ckpt`,
      input,
      "-o",
      `${dir}/labels2.nii`,
      "--backend",
      "wasm",
    ]);
    assert.equal(fromCheckpoint.code, 0, fromCheckpoint.stderr);
    assert.deepEqual((await readNifti(`${dir}/labels2.nii`)).shape, image.shape);

    const noOutput = await spawnCli(["predict", run, input]);
    assert.equal(noOutput.code, 2);
    assert.match(noOutput.stderr, /^grn predict: missing --output FILE/m);
    const both = await spawnCli(["eval", run, "--sge", "--no-sge"]);
    assert.equal(both.code, 2);
    const notRun = await spawnCli(["eval", ds]);
    assert.equal(notRun.code, 1);
    assert.match(
      notRun.stderr,
      /^grn eval: Cannot read run .*: not a run folder \(got no config\.json\)/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
