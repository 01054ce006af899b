/**
 * PNG stacks in the page's code, in Deno: `decodePngStack` (the byte-level assembly that
 * `readPngStack` and the page share) gives `readPngStack`'s volume from (name, bytes) pairs;
 * the browser shim of `node:zlib` inflates as Node does; `decodeScanFiles` sorts a drop into one
 * NIfTI scan or one PNG stack with clear errors; and `segmentScan` on a PNG stack gives
 * `predictScan`'s labels and read-out for the same stack.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync, inflateSync as nodeInflateSync } from "node:zlib";
import { encode } from "fast-png";
import { readNifti } from "../../data/nifti_read.ts";
import { decodePngStack, readPngStack } from "../../data/png_stack_read.ts";
import { initEngine } from "../../engine/init_engine.ts";
import { readoutToCsv } from "../../metrics/readout_to_csv.ts";
import { predictScan } from "../../run/predict_scan.ts";
import {
  checkWebManifest,
  decodeScanFiles,
  labelsToNifti,
  ScanInputError,
  segmentScan,
  WEB_FILES,
  type WebManifest,
  WebModel,
  type WebScanFile,
} from "../../web/mod.ts";
import { inflateSync } from "../../web/_browser_shims/zlib.ts";
import { pngStackFixture, webFixture } from "./_fixture.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_web_png_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A gray PNG whose pixel (c, r) of slice k is unique. */
function slicePng(k: number, width: number, height: number, depth: 8 | 16 = 8): Uint8Array {
  const data = depth === 8 ? new Uint8Array(width * height) : new Uint16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (37 * k + i) % (depth === 8 ? 256 : 65536);
  return encode({ width, height, data, depth, channels: 1 });
}

async function filesOf(dir: string, prefix = ""): Promise<WebScanFile[]> {
  const files: WebScanFile[] = [];
  for await (const e of Deno.readDir(dir)) {
    files.push({ name: `${prefix}${e.name}`, bytes: await Deno.readFile(join(dir, e.name)) });
  }
  // Not in natural order: s10 before s2, and reversed.
  return files.sort((a, b) => (a.name < b.name ? 1 : -1));
}

Deno.test("decodePngStack gives readPngStack's volume from (name, bytes) pairs in any order", async () => {
  await withTempDir(async (dir) => {
    // Unpadded names: only a natural sort puts s2 before s10.
    for (let k = 1; k <= 12; k++) await Deno.writeFile(join(dir, `s${k}.png`), slicePng(k, 5, 3));
    const pairs = (await filesOf(dir)).filter((f) => f.name.endsWith(".png"));
    assert.equal(pairs[0]!.name, "s9.png");
    const read = await readPngStack(dir, { spacing: [0.1, 0.2, 0.3] });
    const decoded = await decodePngStack(pairs, { spacing: [0.1, 0.2, 0.3] });
    assert.deepEqual(decoded, read);
    assert.deepEqual([decoded.shape, decoded.depthAxis], [[5, 12, 3], 2]);

    // 16-bit slices stacked along z by the sidecar, read lazily.
    await Deno.writeTextFile(
      join(dir, "spacing.json"),
      JSON.stringify({ spacing: [0.3, 0.4, 0.5], stackAxis: 2 }),
    );
    for (let k = 1; k <= 12; k++) {
      await Deno.writeFile(join(dir, `s${k}.png`), slicePng(k, 5, 3, 16));
    }
    const lazy = pairs.map((p) => ({
      name: p.name,
      bytes: () => Deno.readFile(join(dir, p.name)),
    }));
    const read16 = await readPngStack(dir);
    const decoded16 = await decodePngStack(lazy, { spacing: [0.3, 0.4, 0.5], stackAxis: 2 });
    assert.ok(decoded16.data instanceof Uint16Array);
    assert.deepEqual(decoded16, read16);
    assert.deepEqual([decoded16.shape, decoded16.depthAxis], [[5, 3, 12], 1]);

    // The same errors, naming the folder when given and the bare names when not.
    await Deno.writeFile(join(dir, "s7.png"), slicePng(7, 5, 4, 16));
    const bad = (await filesOf(dir)).filter((f) => f.name.endsWith(".png"));
    const message = (stack: string) =>
      `Cannot read PNG stack ${stack}: slice s7.png is 5x4 16-bit but s1.png is 5x3 16-bit ` +
      "(got 5x4 16-bit)";
    await assert.rejects(readPngStack(dir), { message: message(dir) });
    await assert.rejects(decodePngStack(bad, { spacing: [1, 1, 1], dir }), {
      message: message(dir),
    });
    await assert.rejects(decodePngStack(bad, { spacing: [1, 1, 1] }), {
      message: message("of 12 files"),
    });
    await assert.rejects(decodePngStack(bad, { spacing: undefined }), {
      message: "Cannot read PNG stack of 12 files: no voxel spacing; pass options.spacing or add " +
        'spacing.json with {"spacing": [x, y, z]} in mm (got undefined)',
    });
    await assert.rejects(decodePngStack([], { spacing: [1, 1, 1] }), {
      message: "Cannot read PNG stack of 0 files: no PNG slices (got 0)",
    });
    const colour = encode({
      width: 1,
      height: 2,
      data: new Uint8Array([5, 5, 5, 9, 8, 9]),
      channels: 3,
    });
    await assert.rejects(
      decodePngStack([{ name: "c1.png", bytes: colour }, bad[0]!], { spacing: [1, 1, 1] }),
      {
        message: "Cannot read PNG slice c1.png: colour pixels are not supported, slices must be " +
          "grayscale (got RGB [9, 8, 9] at column 0, row 1)",
      },
    );
  });
});

Deno.test("the page's node:zlib inflateSync inflates as Node's and stops past maxOutputLength", () => {
  const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251);
  const z = deflateSync(data);
  assert.deepEqual(inflateSync(z), new Uint8Array(nodeInflateSync(z)));
  assert.deepEqual(inflateSync(deflateSync(new Uint8Array(0))), new Uint8Array(0));
  assert.throws(
    () => inflateSync(deflateSync(new Uint8Array(64 << 20)), { maxOutputLength: 1 << 20 }),
    (e: unknown) =>
      e instanceof RangeError &&
      (e as RangeError & { code?: string }).code === "ERR_BUFFER_TOO_LARGE",
  );
  // Truncated or corrupt data: an error that is not the size's (as Node's).
  for (const broken of [z.subarray(0, 100), new Uint8Array([1, 2, 3, 4, 5])]) {
    assert.throws(() => inflateSync(broken), (e: unknown) => !(e instanceof RangeError));
  }
});

async function manifest(): Promise<WebManifest> {
  const fx = await webFixture();
  return checkWebManifest(JSON.parse(await Deno.readTextFile(`${fx.web}/${WEB_FILES.manifest}`)));
}

Deno.test("decodeScanFiles reads a PNG stack as readPngStack does and says what is wrong with a drop", async () => {
  const m = await manifest();
  const stack = await pngStackFixture();
  const files = await filesOf(stack.dir, "p01_s00_png/");
  const expected = await readPngStack(stack.dir);

  const decoded = await decodeScanFiles(files, m);
  assert.equal(decoded.format, "png-stack");
  assert.equal(decoded.fileName, "p01_s00_png");
  assert.equal(decoded.header, null);
  assert.ok(decoded.image.data instanceof Float32Array);
  assert.deepEqual(Array.from(decoded.image.data), Array.from(expected.data));
  assert.deepEqual(
    [decoded.image.shape, decoded.image.spacing, decoded.image.affine, decoded.image.depthAxis],
    [expected.shape, expected.spacing, expected.affine, 2],
  );

  const check = async (
    drop: WebScanFile[],
    reason: ScanInputError["reason"],
    message: RegExp,
    options: { spacing?: [number, number, number]; maxBytes?: number } = {},
  ) => {
    await assert.rejects(
      decodeScanFiles(drop, m, options),
      (e: unknown) => {
        assert.ok(e instanceof ScanInputError, String(e));
        assert.equal(e.reason, reason, e.message);
        assert.match(e.message, message);
        return true;
      },
    );
  };
  const pngs = files.filter((f) => f.name.endsWith(".png"));
  const sidecar = files.find((f) => f.name.endsWith("spacing.json"))!;
  const nifti = {
    name: "p01_s00_0000.nii.gz",
    bytes: await Deno.readFile((await webFixture()).scan),
  };
  // A NIfTI file among the files of a drop is read as one.
  assert.equal((await decodeScanFiles([nifti], m)).format, "nifti");
  await check(
    [...pngs, nifti],
    "mixed-files",
    /^Cannot segment p01_s00_png: drop one scan at a time, either one NIfTI file \(\.nii or \.nii\.gz\) or the \.png slices of one PNG stack with its spacing\.json, not a mix \(got 16 \.png file\(s\) with p01_s00_0000\.nii\.gz\)$/,
  );
  await check([nifti, nifti], "mixed-files", /not a mix \(got 2 files: p01_s00_0000/);
  await check(
    [pngs.find((f) => f.name.endsWith("slice_0003.png"))!],
    "rank",
    /^Cannot segment p01_s00_png: one PNG is one 2-D slice, not a 3-D scan; drop all the \.png slices of the stack at once, or their folder \(got 1 PNG file, p01_s00_png\/slice_0003\.png\)$/,
  );
  await check([sidecar], "not-a-scan", /spacing\.json alone is no scan/);
  await check(
    pngs,
    "no-spacing",
    /^Cannot segment p01_s00_png: the PNG stack has no spacing\.json, so its voxel size is unknown; enter the spacing in mm along x, y and z \(got 16 slices of 16x32 pixels and no spacing\)$/,
  );
  const typed = await decodeScanFiles(pngs, m, { spacing: [0.5, 0.25, 0.125] });
  assert.deepEqual(typed.image.spacing, [0.5, 0.25, 0.125]);
  assert.deepEqual(Array.from(typed.image.data), Array.from(expected.data));
  await check(
    [...pngs, { name: "p01_s00_png/spacing.json", bytes: new TextEncoder().encode("[1, 2]") }],
    "png-stack",
    /^Cannot segment p01_s00_png: Cannot read PNG stack sidecar p01_s00_png\/spacing\.json: expected an object/,
  );
  // Slices of different sizes: the SDK's message, checked before the spacing is asked for.
  const odd = { name: "p01_s00_png/slice_0005.png", bytes: slicePng(5, 16, 31) };
  await check(
    [...pngs.filter((f) => !f.name.endsWith("slice_0005.png")), odd],
    "png-stack",
    /^Cannot segment p01_s00_png: Cannot read PNG stack of 16 files: slice slice_0005\.png is 16x31 8-bit but slice_0000\.png is 16x32 8-bit \(got 16x31 8-bit\)$/,
  );
  await check(
    [...pngs, { ...pngs[0]!, name: "other/slice_0000.png" }],
    "mixed-files",
    /two files are named slice_0000\.png/,
  );
  await check(
    files,
    "too-large",
    /^Cannot segment p01_s00_png: the scan is too large for this browser's memory \(about 1 MiB needed, at most 0 MiB; got 16x32x16 voxels\)$/,
    { maxBytes: 1000 },
  );
});

Deno.test("segmentScan on a PNG stack gives predictScan's labels and read-out for the same stack", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const fx = await webFixture();
  const stack = await pngStackFixture();
  const model = await WebModel.load(await manifest(), (file) => Deno.readFile(`${fx.web}/${file}`));
  try {
    const result = await segmentScan(await filesOf(stack.dir, "p01_s00_png/"), model, {
      enhance: false,
    });
    assert.equal(result.id, "p01_s00_png");
    assert.equal(result.format, "png-stack");
    for (const sge of [false, true]) {
      const cli = await predictScan({
        model: fx.sslRun,
        input: stack.nifti,
        output: `${fx.dir}/png_cli_${sge}.nii.gz`,
        readout: `${fx.dir}/png_cli_${sge}.csv`,
        sge,
        backend: "wasm",
        overwrite: true,
      });
      const path = sge ? result.sge! : result.plain;
      const labels = await readNifti(cli.output);
      assert.deepEqual(path.labels.data, labels.data, `labels, sge ${sge}`);
      assert.equal(readoutToCsv(path.readout), await Deno.readTextFile(cli.readoutPath!));
      // The download: a NIfTI file with the stack's geometry, as readPngStack gives it.
      const file = `${fx.dir}/png_page_${sge}.nii.gz`;
      await Deno.writeFile(file, labelsToNifti(path.labels, result.header));
      const back = await readNifti(file);
      const read = await readPngStack(stack.dir);
      assert.deepEqual([back.shape, back.spacing, back.affine], [
        read.shape,
        read.spacing,
        read.affine,
      ]);
      assert.deepEqual(back.data, path.labels.data);
    }
  } finally {
    model.dispose();
  }
});
