/**
 * The exported page in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by
 * `.ci/run`) driven headless through puppeteer-core (no browser download). The page loads a
 * tiny GRN-SSL run, segments a phantom scan dropped on its file input on the WebAssembly
 * backend, and must agree with `grn predict` (`predictScan`) on the same scan and model:
 * at least 99.9 % of voxels and the read-out to 0.01 mm, with and without SGE. No request may
 * go anywhere but the local server, and none at all once the model has loaded. Skipped, with a
 * message, where Chromium is absent (`GRN_CHROMIUM` names another binary).
 * @module
 */
import assert from "node:assert/strict";
import { readNifti } from "../../data/nifti_read.ts";
import { initEngine } from "../../engine/init_engine.ts";
import type { ScanReadout } from "../../metrics/layer_readout.ts";
import { READOUT_CSV_COLUMNS } from "../../metrics/readout_to_csv.ts";
import { predictScan } from "../../run/predict_scan.ts";
import { serveWeb } from "../../web/mod.ts";
import { agreement, assertReadoutClose, waitFor, withPage } from "./_browser.ts";
import { CHROMIUM_MISSING } from "./_chromium.ts";
import { webFixture } from "./_fixture.ts";

const missing = CHROMIUM_MISSING;
if (missing !== null) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(`SKIPPING the browser tests of the web page: ${missing}\n`),
  );
}

Deno.test({
  name:
    "the page in headless Chromium segments a phantom scan as grn predict does, with no outside request",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fx = await webFixture();
    await initEngine({ backend: "wasm", log: () => {} });
    const cli = {
      plain: await predictScan({
        model: fx.sslRun,
        input: fx.scan,
        output: `${fx.dir}/browser_plain.nii.gz`,
        readout: `${fx.dir}/browser_plain.json`,
        backend: "wasm",
        overwrite: true,
      }),
      sge: await predictScan({
        model: fx.sslRun,
        input: fx.scan,
        output: `${fx.dir}/browser_sge.nii.gz`,
        readout: `${fx.dir}/browser_sge.json`,
        sge: true,
        backend: "wasm",
        overwrite: true,
      }),
    };
    const server = await serveWeb(fx.web);
    try {
      await withPage(server, "?backend=wasm", async (page, requests, log) => {
        assert.equal(await waitFor(page, ["ready", "error"], log), "ready", log.join(" | "));
        const loaded = requests.length;
        assert.equal(
          await page.evaluate(() =>
            (globalThis as unknown as { grn: { backend: string } }).grn.backend
          ),
          "wasm",
        );
        assert.match(await page.$eval("#backend", (e) => e.textContent ?? ""), /WebAssembly/);
        assert.match(
          await page.$eval("#privacy", (e) => e.textContent ?? ""),
          /no network request/,
        );
        const input = await page.$("#file");
        await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(fx.scan);
        assert.equal(await waitFor(page, ["done", "ready"], log), "done", log.join(" | "));

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
          // The download: a NIfTI file with the input's geometry.
          const file = `${fx.dir}/page_${path}.nii.gz`;
          await Deno.writeFile(file, new Uint8Array(got.nifti));
          const back = await readNifti(file);
          assert.deepEqual([back.shape, back.spacing, back.affine], [
            expected.shape,
            expected.spacing,
            expected.affine,
          ]);
          assert.deepEqual(Array.from(back.data), got.labels);
        }
        const csv = await page.evaluate(() =>
          (globalThis as unknown as { grn: { csv(p: string): string } }).grn.csv("sge")
        );
        assert.equal(csv.split("\n")[0], READOUT_CSV_COLUMNS.join(","));
        assert.equal(csv.trimEnd().split("\n").length, 7);

        // The read-out table and the three views are on the page.
        const rows = await page.$$eval("#readout tr", (r) => r.length);
        assert.equal(rows, 7);
        const views = await page.$$eval(".view canvas", (c) => c.length);
        assert.equal(views, 6); // three planes, B-mode with labels and G(x) each
        const status = await page.$eval("#status-text", (e) => e.textContent ?? "");
        assert.match(status, /Network requests since the model loaded: 0\./);
        assert.equal(
          await page.evaluate(() =>
            (globalThis as unknown as { grn: { requestsAfterLoad: number } }).grn.requestsAfterLoad
          ),
          0,
        );

        // No request ever left the local server, and none at all after the model loaded.
        const outside = requests.filter((u) => !u.startsWith(server.url));
        assert.deepEqual(outside, []);
        assert.deepEqual(requests.slice(loaded), []);
        const shot = `${fx.dir}/web_page.png`;
        await page.screenshot({ path: shot, fullPage: true });
        assert.ok((await Deno.stat(shot)).size > 10_000);
        const keep = Deno.env.get("GRN_WEB_SCREENSHOT");
        if (keep) await Deno.copyFile(shot, keep);
      });
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "the page in headless Chromium says clearly when a file is not a scan, and segments the next one",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fx = await webFixture();
    const server = await serveWeb(fx.web);
    try {
      await withPage(server, "?backend=cpu", async (page, requests, log) => {
        assert.equal(await waitFor(page, ["ready", "error"], log), "ready", log.join(" | "));
        assert.equal(
          await page.evaluate(() =>
            (globalThis as unknown as { grn: { backend: string } }).grn.backend
          ),
          "cpu",
        );
        const notes = `${fx.dir}/notes.nii.gz`;
        await Deno.writeTextFile(notes, "these are my notes, not a scan\n".repeat(20));
        const input = await page.$("#file");
        await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(notes);
        await page.waitForFunction(
          () => (globalThis as unknown as { grn: { error: string | null } }).grn.error !== null,
          { timeout: 60_000 },
        );
        const error = await page.$eval(
          "#error",
          (e) => ((e as unknown as { hidden: boolean }).hidden ? "" : e.textContent ?? ""),
        );
        assert.match(
          error,
          /^Cannot segment notes\.nii\.gz: not a NIfTI scan \(\.nii or \.nii\.gz\)/,
        );
        assert.equal(await waitFor(page, ["ready"], log), "ready");
        await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(fx.scan);
        assert.equal(await waitFor(page, ["done"], log), "done", log.join(" | "));
        assert.equal(
          await page.$eval("#error", (e) => (e as unknown as { hidden: boolean }).hidden),
          true,
        );
        assert.deepEqual(requests.filter((u) => !u.startsWith(server.url)), []);
      });
    } finally {
      await server.shutdown();
    }
  },
});
