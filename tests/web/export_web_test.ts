import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readNifti } from "../../data/nifti_read.ts";
import { encodeNifti } from "../../data/nifti_write.ts";
import { LAYER_PALETTE } from "../../data/phantom/palette.ts";
import { affineFromSpacing } from "../../data/volume.ts";
import { initEngine } from "../../engine/init_engine.ts";
import { readoutToCsv } from "../../metrics/readout_to_csv.ts";
import { predictScan } from "../../run/predict_scan.ts";
import {
  checkWebManifest,
  decodeScan,
  exportWeb,
  labelsToNifti,
  ScanInputError,
  segmentScan,
  WEB_FILES,
  type WebManifest,
  WebModel,
} from "../../web/mod.ts";
import { PAGE_CSP, PAGE_HTML } from "../../web/_page.ts";
import { webFixture } from "./_fixture.ts";

await initEngine({ backend: "wasm", log: () => {} });
const fx = await webFixture();

async function manifestOf(dir: string): Promise<WebManifest> {
  return checkWebManifest(JSON.parse(await Deno.readTextFile(`${dir}/${WEB_FILES.manifest}`)));
}

async function loadModel(dir: string): Promise<WebModel> {
  return await WebModel.load(await manifestOf(dir), (file) => Deno.readFile(`${dir}/${file}`));
}

Deno.test("exportWeb() writes the page, the bundle, the wasm files, the weights and a manifest describing the run", async () => {
  const m = await manifestOf(fx.web);
  assert.equal(m.method.name, "grn-ssl");
  assert.equal(m.method.label, "GRN-SSL");
  assert.equal(m.method.hasGenerator, true);
  assert.equal(m.sge, true);
  assert.deepEqual(m.input.size, [32, 32]);
  assert.equal(m.input.fit, "resize");
  assert.equal(m.input.predictDirection, "both");
  assert.deepEqual(m.input.trainedDirections, ["coronal", "sagittal"]);
  assert.deepEqual(m.input.percentiles, [0.5, 99.5]);
  assert.equal(m.input.depthAxis, 2);
  assert.deepEqual(m.labels, [
    "background",
    "dermis",
    "superficial fat",
    "superficial fascial membrane",
    "deep fat",
    "deep fascial membrane",
    "muscle",
  ]);
  assert.deepEqual(m.shortLabels[3], "SFM");
  assert.deepEqual(m.palette, LAYER_PALETTE.map((c) => [...c]));
  assert.deepEqual(m.readoutLayers, [1, 2, 3, 4, 5, 6]);
  assert.equal(m.networks.segmentor.kind, "unet");
  assert.deepEqual(m.networks.segmentor.config.channels, [4, 8]);
  assert.equal(m.networks.generator?.kind, "resunet");
  assert.equal(m.weights.plain.checkpoint, "model.ckpt");
  assert.equal(m.weights.sge?.checkpoint, "model_sge.ckpt");
  assert.equal(m.weights.plain.generator.length, 0);
  assert.ok(m.weights.sge!.generator.length > 0);
  for (const w of [m.weights.plain, m.weights.sge!]) {
    const bytes = await Deno.readFile(`${fx.web}/${w.file}`);
    assert.equal(bytes.byteLength, w.bytes);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), w.sha256);
    const ckpt = await Deno.readFile(`${fx.sslRun}/${w.checkpoint}`);
    assert.equal(createHash("sha256").update(ckpt).digest("hex"), w.checkpointSha256);
  }
  assert.equal(m.provenance.run, "run-grn-ssl");
  assert.deepEqual(m.provenance.phantom?.seed, 3);
  assert.equal(m.provenance.dataset.name, "LumbarPhantom");
  assert.equal(m.provenance.fraction, 1);
  const files = [...Deno.readDirSync(fx.web)].map((e) => e.name).sort();
  assert.deepEqual(files, [
    "grn_web.css",
    "grn_web.js",
    "index.html",
    "manifest.json",
    "tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm",
    "tfjs-backend-wasm.wasm",
    "weights.bin",
    "weights_sge.bin",
  ]);
  assert.equal(await Deno.readTextFile(`${fx.web}/index.html`), PAGE_HTML);
  assert.ok(PAGE_HTML.includes(`content="${PAGE_CSP}"`));
  assert.match(PAGE_HTML, /no network request/);
  const bundle = await Deno.readTextFile(`${fx.web}/grn_web.js`);
  assert.doesNotMatch(bundle, /\bfrom\s*"node:/);
  assert.doesNotMatch(bundle, /https?:\/\/(?!127\.0\.0\.1)[^"'\s]*\.(?:wasm|bin|json)\b/);
  assert.equal(m.bundle.sha256, createHash("sha256").update(bundle).digest("hex"));
});

Deno.test("the exported weights give exactly predictScan's labels and read-out, with and without SGE", async () => {
  const model = await loadModel(fx.web);
  try {
    const bytes = await Deno.readFile(fx.scan);
    const result = await segmentScan(bytes, model, { fileName: "p01_s00_0000.nii.gz" });
    for (const sge of [false, true]) {
      const out = `${fx.dir}/cli_${sge}.nii.gz`;
      const csv = `${fx.dir}/cli_${sge}.csv`;
      const cli = await predictScan({
        model: fx.sslRun,
        input: fx.scan,
        output: out,
        readout: csv,
        sge,
        backend: "wasm",
        overwrite: true,
      });
      const path = sge ? result.sge! : result.plain;
      const labels = await readNifti(out);
      assert.deepEqual(path.labels.data, labels.data, `labels, sge ${sge}`);
      assert.deepEqual(path.voxelsPerLabel, cli.voxelsPerLabel);
      assert.equal(
        readoutToCsv(path.readout),
        await Deno.readTextFile(csv),
        `read-out, sge ${sge}`,
      );
      // The page's download: the same file as grn predict's, byte for byte (after gunzip).
      const page = await Deno.makeTempFile({ dir: fx.dir, suffix: ".nii.gz" });
      await Deno.writeFile(page, labelsToNifti(path.labels, result.header));
      const back = await readNifti(page);
      assert.deepEqual([back.shape, back.spacing, back.affine], [
        labels.shape,
        labels.spacing,
        labels.affine,
      ]);
    }
    assert.equal(result.id, "p01_s00");
    assert.ok(result.enhanced !== null && result.enhanced.length === result.image.data.length);
    assert.ok(result.enhanced!.every((v) => v >= -1 && v <= 1));
    assert.ok(result.windowed.every((v) => v >= -1 && v <= 1));
  } finally {
    model.dispose();
  }
});

Deno.test("segmentScan() reports progress over every slice of S(x), S(G(x)) and G(x)", async () => {
  const model = await loadModel(fx.web);
  try {
    const seen: string[] = [];
    let last = { done: 0, total: 0 };
    await segmentScan(await Deno.readFile(fx.scan), model, {
      onProgress: (p) => {
        if (!seen.includes(p.stage)) seen.push(p.stage);
        assert.ok(p.done > last.done && p.done <= p.total);
        last = p;
      },
    });
    assert.deepEqual(seen, ["segment", "segment-sge", "enhance"]);
    // 16 + 16 slices per pass (both directions), twice, and 16 coronal slices of G(x).
    assert.deepEqual(last, { stage: "enhance", done: 80, total: 80 });
  } finally {
    model.dispose();
  }
});

Deno.test("exportWeb() of a method without a generator has no SGE weights; re-exporting replaces an export", async () => {
  const dir = `${fx.dir}/web-supervised`;
  const r = await exportWeb(fx.supervisedRun, dir, { bundle: fx.bundle, backend: "wasm" });
  assert.equal(r.bundleBuilt, false);
  assert.equal(r.manifest.sge, false);
  assert.equal(r.manifest.weights.sge, null);
  assert.equal(r.manifest.networks.generator, null);
  assert.ok(!r.files.includes(WEB_FILES.weightsSge));
  const model = await loadModel(dir);
  try {
    assert.equal(model.hasSge, false);
    const result = await segmentScan(await Deno.readFile(fx.scan), model);
    assert.equal(result.sge, null);
    assert.equal(result.enhanced, null);
    assert.throws(
      () => model.enhance(null as never),
      /Cannot enhance images: this model has no generator/,
    );
  } finally {
    model.dispose();
  }
  // Over an SGE export: its weights_sge.bin goes.
  const over = `${fx.dir}/web-over`;
  await exportWeb(fx.sslRun, over, { bundle: fx.bundle, backend: "wasm" });
  assert.ok(Deno.statSync(`${over}/${WEB_FILES.weightsSge}`).isFile);
  await exportWeb(fx.supervisedRun, over, { bundle: fx.bundle, backend: "wasm" });
  assert.throws(() => Deno.statSync(`${over}/${WEB_FILES.weightsSge}`), Deno.errors.NotFound);
  assert.equal((await manifestOf(over)).method.name, "supervised");
});

Deno.test("exportWeb() keeps a current bundle with reuseBundle and refuses a folder of other files", async () => {
  const dir = `${fx.dir}/web-reuse`;
  await Deno.mkdir(dir);
  await Deno.copyFile(`${fx.web}/${WEB_FILES.bundle}`, `${dir}/${WEB_FILES.bundle}`);
  const manifest = await manifestOf(fx.web);
  assert.ok(manifest.bundle.sourcesSha256 === null, "a copied bundle has no source stamp");
  // An export whose manifest has the current stamp keeps its bundle.
  const { webBundleSourceStamp } = await import("../../web/export_web.ts");
  manifest.bundle.sourcesSha256 = await webBundleSourceStamp();
  await Deno.writeTextFile(`${dir}/${WEB_FILES.manifest}`, JSON.stringify(manifest));
  const r = await exportWeb(fx.sslRun, dir, { reuseBundle: true, backend: "wasm" });
  assert.equal(r.bundleBuilt, false);
  assert.equal(r.manifest.bundle.sourcesSha256, manifest.bundle.sourcesSha256);

  const other = `${fx.dir}/not-an-export`;
  await Deno.mkdir(other);
  await Deno.writeTextFile(`${other}/notes.txt`, "mine");
  await assert.rejects(
    () => exportWeb(fx.sslRun, other, { bundle: fx.bundle }),
    /Cannot export the web page to .*not-an-export: the folder is neither empty nor an earlier export \(got 1 entries, e\.g\. notes\.txt\)/,
  );
  await assert.rejects(
    () => exportWeb(`${fx.dir}/nowhere`, `${fx.dir}/web-x`, { bundle: fx.bundle }),
    /Cannot load a model: no such run folder or checkpoint/,
  );
});

Deno.test("WebModel.load() refuses weights that are not the exported ones or do not fit", async () => {
  const dir = `${fx.dir}/web-tampered`;
  await exportWeb(fx.sslRun, dir, { bundle: fx.bundle, backend: "wasm" });
  const manifest = await manifestOf(dir);
  const read = (file: string) => Deno.readFile(`${dir}/${file}`);
  const short = (file: string) => read(file).then((b) => b.subarray(0, b.length - 4));
  await assert.rejects(
    () => WebModel.load(manifest, short),
    /Cannot load the model: weights\.bin should have \d+ bytes \(got \d+\)/,
  );
  const flipped = (file: string) =>
    read(file).then((b) => {
      b[100] = b[100]! ^ 0xff;
      return b;
    });
  await assert.rejects(
    () => WebModel.load(manifest, flipped),
    /Cannot load the model: weights\.bin is not the exported file \(SHA-256 [0-9a-f]{64}; got [0-9a-f]{64}\)/,
  );
  const wrong = structuredClone(manifest);
  wrong.networks.segmentor.config = { ...wrong.networks.segmentor.config, channels: [4, 16] };
  await assert.rejects(
    () => WebModel.load(wrong, read),
    /Cannot load the segmentor of weights\.bin: .* has shape \[.*\], the network's is \[.*\]/,
  );
  assert.throws(() => checkWebManifest({ format: "grn-run" }), /not a grn web manifest/);
  assert.throws(
    () => checkWebManifest({ ...manifest, input: { ...manifest.input, size: [32] } }),
    /input\.size must be two positive integers \(got \[32\]\)/,
  );
});

Deno.test("decodeScan() refuses files that are not scans, of the wrong rank, too large or not finite", async () => {
  const m = await manifestOf(fx.web);
  const png = new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...new Array(400).fill(0),
  ]);
  const check = (bytes: Uint8Array, reason: string, message: RegExp, maxBytes?: number) => {
    assert.throws(
      () => decodeScan(bytes, m, { fileName: "x.nii.gz", ...(maxBytes ? { maxBytes } : {}) }),
      (e: unknown) => e instanceof ScanInputError && e.reason === reason && message.test(e.message),
    );
  };
  check(
    png,
    "not-a-scan",
    /^Cannot segment x\.nii\.gz: not a NIfTI scan \(\.nii or \.nii\.gz\) \(got 408 bytes starting 89 50 4e 47/,
  );
  check(new Uint8Array(0), "not-a-scan", /got 0 bytes starting with nothing/);
  const gz = new Uint8Array([0x1f, 0x8b, 1, 2, 3]);
  check(gz, "not-a-scan", /^Cannot segment x\.nii\.gz: not a readable NIfTI scan \(got: /);
  const spacing: [number, number, number] = [0.2, 0.2, 1];
  const image2d = encodeNifti(
    { data: new Float32Array(64), shape: [8, 8, 1], spacing, affine: affineFromSpacing(spacing) },
    { dims: 2 },
  );
  check(
    image2d,
    "rank",
    /^Cannot segment x\.nii\.gz: expected a 3-D scan \(got a 2-D image of 8x8x1 voxels\)/,
  );
  const scan = await Deno.readFile(fx.scan);
  check(
    scan,
    "too-large",
    /the scan is too large for this browser's memory \(about 1 MiB needed, at most 0 MiB; got 16x16x32 voxels\)/,
    1000,
  );
  const nan = new Float32Array(8 * 8 * 8).fill(1);
  nan[5] = NaN;
  const s3: [number, number, number] = [0.2, 0.2, 0.2];
  check(
    encodeNifti({ data: nan, shape: [8, 8, 8], spacing: s3, affine: affineFromSpacing(s3) }),
    "non-finite",
    /the scan has non-finite voxels \(got 1 NaN or infinite\)/,
  );
});
