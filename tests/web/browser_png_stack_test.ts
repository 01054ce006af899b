/**
 * PNG stacks on the exported page in headless Chromium (Debian's `/usr/bin/chromium`, driven by
 * puppeteer-core): the fixture's phantom scan written as a PNG stack (`writePngStack`), its
 * folder dropped on the page with Chromium's own drag and drop, must give `grn predict`'s labels
 * for the same stack (`predictScan` on the volume `readPngStack` reads: at least 99.9 % of
 * voxels and the read-out to 0.01 mm, with and without SGE) and a labels download with the
 * stack's geometry, with no outside request. PNG slices of different sizes get the SDK's
 * message, and slices picked without `spacing.json` make the page ask for the spacing. Skipped,
 * with a message, where Chromium is absent.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encode } from "fast-png";
import { readNifti } from "../../data/nifti_read.ts";
import { readPngStack } from "../../data/png_stack_read.ts";
import { initEngine } from "../../engine/init_engine.ts";
import type { ScanReadout } from "../../metrics/layer_readout.ts";
import { predictScan } from "../../run/predict_scan.ts";
import { serveWeb } from "../../web/mod.ts";
import {
  agreement,
  assertReadoutClose,
  dropPaths,
  type Page,
  pickFiles,
  waitFor,
  withPage,
} from "./_browser.ts";
import { CHROMIUM_MISSING } from "./_chromium.ts";
import { pngStackFixture, webFixture } from "./_fixture.ts";

const missing = CHROMIUM_MISSING;
if (missing !== null) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(`SKIPPING the PNG-stack browser tests of the web page: ${missing}\n`),
  );
}

interface PageView {
  status: string;
  error: string | null;
  needsSpacing: boolean;
  requestsAfterLoad: number;
  format: string | null;
  shape: number[] | null;
  spacing: number[] | null;
}

function hidden(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (e) => (e as unknown as { hidden: boolean }).hidden);
}

function view(page: Page): Promise<PageView> {
  return page.evaluate(() => {
    const grn = (globalThis as unknown as {
      grn: {
        status: string;
        error: string | null;
        needsSpacing: boolean;
        requestsAfterLoad: number;
        result: { format: string; image: { shape: number[]; spacing: number[] } } | null;
      };
    }).grn;
    return {
      status: grn.status,
      error: grn.error,
      needsSpacing: grn.needsSpacing,
      requestsAfterLoad: grn.requestsAfterLoad,
      format: grn.result?.format ?? null,
      shape: grn.result?.image.shape ?? null,
      spacing: grn.result?.image.spacing ?? null,
    };
  });
}

Deno.test({
  name:
    "the page in headless Chromium segments a dropped PNG-stack folder as grn predict does the same stack",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fx = await webFixture();
    const stack = await pngStackFixture();
    await initEngine({ backend: "wasm", log: () => {} });
    const cli = {
      plain: await predictScan({
        model: fx.sslRun,
        input: stack.nifti,
        output: `${fx.dir}/png_browser_plain.nii.gz`,
        readout: `${fx.dir}/png_browser_plain.json`,
        backend: "wasm",
        overwrite: true,
      }),
      sge: await predictScan({
        model: fx.sslRun,
        input: stack.nifti,
        output: `${fx.dir}/png_browser_sge.nii.gz`,
        readout: `${fx.dir}/png_browser_sge.json`,
        sge: true,
        backend: "wasm",
        overwrite: true,
      }),
    };
    const read = await readPngStack(stack.dir);
    const server = await serveWeb(fx.web);
    try {
      await withPage(server, "?backend=wasm", async (page, requests, log) => {
        assert.equal(await waitFor(page, ["ready", "error"], log), "ready", log.join(" | "));
        const loaded = requests.length;
        assert.match(
          await page.$eval("#drop", (e) => e.textContent ?? ""),
          /PNG stack \(all its \.png slices at once, or their folder/,
        );
        await dropPaths(page, [stack.dir]);
        assert.equal(await waitFor(page, ["done", "ready"], log), "done", log.join(" | "));
        const state = await view(page);
        assert.equal(state.format, "png-stack");
        assert.deepEqual([state.shape, state.spacing], [read.shape, read.spacing]);
        assert.match(
          await page.$eval("#scan-info", (e) => e.textContent ?? ""),
          /^p01_s00_png: PNG stack of 16x16x32 voxels/,
        );

        for (const path of ["plain", "sge"] as const) {
          const got = await page.evaluate((p: string) => {
            const grn = (globalThis as unknown as {
              grn: {
                result: Record<string, { labels: { data: Uint8Array }; readout: unknown }>;
                nifti(p: string): Uint8Array;
              };
            }).grn;
            const r = grn.result[p]!;
            return {
              labels: Array.from(r.labels.data),
              readout: r.readout,
              nifti: Array.from(grn.nifti(p)),
            };
          }, path);
          const expected = await readNifti(cli[path].output);
          const share = agreement(got.labels, expected.data);
          assert.ok(share >= 0.999, `${path}: ${(100 * share).toFixed(3)} % of voxels agree`);
          assertReadoutClose(got.readout as ScanReadout, cli[path].readout!, path);
          // The download: NIfTI with the stack's geometry, as readPngStack gives it.
          const file = `${fx.dir}/png_page_${path}.nii.gz`;
          await Deno.writeFile(file, new Uint8Array(got.nifti));
          const back = await readNifti(file);
          assert.deepEqual([back.shape, back.spacing, back.affine], [
            read.shape,
            read.spacing,
            read.affine,
          ]);
          assert.deepEqual(Array.from(back.data), got.labels);
        }
        assert.equal((await view(page)).requestsAfterLoad, 0);
        assert.deepEqual(requests.filter((u) => !u.startsWith(server.url)), []);
        assert.deepEqual(requests.slice(loaded), []);
      });
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "the page in headless Chromium refuses PNG slices of different sizes and asks for the spacing of a stack without spacing.json",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fx = await webFixture();
    const stack = await pngStackFixture();
    const pngs = stack.names.map((name) => join(stack.dir, name));
    // One slice a row short, in a folder of its own.
    const oddDir = `${fx.dir}/odd_png`;
    await Deno.mkdir(oddDir, { recursive: true });
    const odd = join(oddDir, stack.names[5]!);
    await Deno.writeFile(
      odd,
      encode({ width: 16, height: 31, data: new Uint8Array(16 * 31), channels: 1 }),
    );
    const server = await serveWeb(fx.web);
    try {
      await withPage(server, "?backend=wasm", async (page, requests, log) => {
        assert.equal(await waitFor(page, ["ready", "error"], log), "ready", log.join(" | "));

        await pickFiles(page, [...pngs.filter((_, k) => k !== 5), odd]);
        await page.waitForFunction(
          () => (globalThis as unknown as { grn: { error: string | null } }).grn.error !== null,
          { timeout: 60_000 },
        );
        assert.equal(
          await page.$eval("#error", (e) => e.textContent ?? ""),
          "Cannot segment png_stack: Cannot read PNG stack of 16 files: slice slice_0005.png " +
            "is 16x31 8-bit but slice_0000.png is 16x32 8-bit (got 16x31 8-bit)",
        );
        assert.equal(await hidden(page, "#spacing-form"), true);

        // The slices alone: the page asks for the spacing instead of guessing.
        await pickFiles(page, pngs);
        await page.waitForFunction(
          () => (globalThis as unknown as { grn: { needsSpacing: boolean } }).grn.needsSpacing,
          { timeout: 60_000 },
        );
        assert.equal(
          await hidden(page, "#spacing-form"),
          false,
        );
        assert.equal(await hidden(page, "#error"), true);
        assert.match(
          await page.$eval("#spacing-message", (e) => e.textContent ?? ""),
          /^Cannot segment png_stack: the PNG stack has no spacing\.json, so its voxel size is unknown; enter the spacing in mm along x, y and z \(got 16 slices of 16x32 pixels and no spacing\)\. A PNG file does not say how large its pixels are, and the page does not guess/,
        );
        assert.equal((await view(page)).status, "ready");
        // Not a spacing: said in the form, nothing segmented.
        await page.type("#spacing-x", "0.5");
        await page.type("#spacing-y", "0");
        await page.type("#spacing-z", "0.25");
        await page.click("#spacing-submit");
        assert.match(
          await page.$eval("#spacing-message", (e) => e.textContent ?? ""),
          /^Cannot use this spacing: x, y and z must each be a positive number of mm \(got 0\.5, 0, 0\.25\)$/,
        );
        assert.equal((await view(page)).status, "ready");
        await page.$eval("#spacing-y", (e) => ((e as unknown as { value: string }).value = "0.75"));
        await page.click("#spacing-submit");
        assert.equal(await waitFor(page, ["done", "ready"], log), "done", log.join(" | "));
        const state = await view(page);
        assert.deepEqual([state.format, state.shape, state.spacing], [
          "png-stack",
          [16, 16, 32],
          [0.5, 0.75, 0.25],
        ]);
        assert.equal(state.needsSpacing, false);
        assert.equal(await hidden(page, "#spacing-form"), true);
        assert.deepEqual(requests.filter((u) => !u.startsWith(server.url)), []);
      });
    } finally {
      await server.shutdown();
    }
  },
});
