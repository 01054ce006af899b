/**
 * The "done when" (#11): after `deno task demo`, `grn web` (no folder) serves the demo's
 * GRN-SSL model, and the page in headless Chromium segments a test scan of the demo's phantom
 * as `grn predict` does (at least 99.9 % of voxels, read-out to 0.01 mm, with and without
 * SGE), with no request outside the local server. Runs when `GRN_WEB_DEMO` names a finished
 * demo folder (`.ci/run` runs the demo, then this file); `GRN_WEB_SCREENSHOT` saves the page
 * (the README's `docs/web_page.png`). Skipped with a message otherwise.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { demoWebPaths } from "../../cli/commands/web.ts";
import { readNifti } from "../../data/nifti_read.ts";
import { initEngine } from "../../engine/init_engine.ts";
import type { ScanReadout } from "../../metrics/layer_readout.ts";
import { predictScan } from "../../run/predict_scan.ts";
import { readRunConfig, readRunSplit } from "../../run/run_config.ts";
import { MAIN_PATH } from "../cli/_cli.ts";
import { CHROMIUM, CHROMIUM_MISSING } from "./_chromium.ts";

const demo = Deno.env.get("GRN_WEB_DEMO");
const paths = demo ? demoWebPaths(demo) : null;
const model = paths
  ? await Deno.stat(join(paths.run, "model_sge.ckpt")).then((s) => s.isFile, () => false)
  : false;
const skip = !demo
  ? "GRN_WEB_DEMO is not set (run `deno task demo`, then GRN_WEB_DEMO=runs/demo)"
  : !model
  ? `no finished demo in ${demo} (no ${paths!.run}/model_sge.ckpt)`
  : CHROMIUM_MISSING !== null
  ? CHROMIUM_MISSING
  : null;
if (skip !== null) {
  Deno.stderr.writeSync(new TextEncoder().encode(`SKIPPING the demo's web page test: ${skip}\n`));
}

Deno.test({
  name:
    "grn web serves the demo's model, and the page segments a demo test scan as grn predict does",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { run } = paths!;
    const config = await readRunConfig(run);
    const split = await readRunSplit(run);
    const id = split.scans.test[0]!;
    const scan = join(config.dataset.path, "imagesTr", `${id}_0000.nii.gz`);
    const work = await Deno.makeTempDir({ prefix: "grn-demo-page-" });
    await initEngine({ backend: "wasm", log: () => {} });
    const cli = {
      plain: await predictScan({
        model: run,
        input: scan,
        output: `${work}/plain.nii.gz`,
        readout: `${work}/plain.json`,
        backend: "wasm",
      }),
      sge: await predictScan({
        model: run,
        input: scan,
        output: `${work}/sge.nii.gz`,
        readout: `${work}/sge.json`,
        sge: true,
        backend: "wasm",
      }),
    };
    // `deno task grn web` without a folder, as a newcomer runs it.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN_PATH, "web", "--demo", demo!, "--json", "--quiet"],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const puppeteer = (await import("puppeteer-core")).default;
    let browser: import("puppeteer-core").Browser | null = null;
    try {
      let text = "";
      let url: string | null = null;
      while (url === null) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`grn web stopped before listening: ${await stderr}`);
        text += value;
        try {
          url = JSON.parse(text).url;
        } catch {
          // not a whole document yet
        }
      }
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-dev-shm-usage"],
      });
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 1000 });
      const requests: string[] = [];
      const log: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
      page.on("pageerror", (e) => log.push(`pageerror: ${e}`));
      await page.goto(`${url}?backend=wasm`);
      const status = () =>
        page.evaluate(() => (globalThis as unknown as { grn: { status: string } }).grn.status);
      await page.waitForFunction(
        () =>
          ["ready", "error"].includes(
            (globalThis as unknown as { grn?: { status: string } }).grn?.status ?? "",
          ),
        { timeout: 600_000 },
      );
      assert.equal(await status(), "ready", log.join(" | "));
      const loaded = requests.length;
      const input = await page.$("#file");
      await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(scan);
      await page.waitForFunction(
        () =>
          ["done", "ready"].includes(
            (globalThis as unknown as { grn: { status: string } }).grn.status,
          ),
        { timeout: 1_200_000, polling: 500 },
      );
      assert.equal(await status(), "done", log.join(" | "));
      const shares: string[] = [];
      for (const path of ["plain", "sge"] as const) {
        const got = await page.evaluate((p: string) => {
          const r = (globalThis as unknown as {
            grn: { result: Record<string, { labels: { data: Uint8Array }; readout: unknown }> };
          }).grn.result[p]!;
          return { labels: Array.from(r.labels.data), readout: r.readout as ScanReadout };
        }, path);
        const expected = (await readNifti(cli[path].output)).data;
        let same = 0;
        for (let i = 0; i < expected.length; i++) if (got.labels[i] === expected[i]) same++;
        const share = same / expected.length;
        shares.push(`${path} ${(100 * share).toFixed(3)} %`);
        assert.ok(share >= 0.999, `${path}: ${(100 * share).toFixed(3)} % of voxels agree`);
        got.readout.layers.forEach((l, i) => {
          const c = cli[path].readout!.layers[i]!;
          const a = l.thicknessMm.median ?? NaN, b = c.thicknessMm.median;
          assert.ok(
            Number.isNaN(b) ? Number.isNaN(a) : Math.abs(a - b) <= 0.01,
            `${path} ${l.name}: ${a} vs ${b} mm`,
          );
          const am = l.thicknessMm.mean ?? NaN, bm = c.thicknessMm.mean;
          assert.ok(Number.isNaN(bm) ? Number.isNaN(am) : Math.abs(am - bm) <= 0.01);
        });
      }
      Deno.stderr.writeSync(
        new TextEncoder().encode(
          `demo scan ${id}: voxels agreeing with grn predict: ${shares.join(", ")}\n`,
        ),
      );
      assert.deepEqual(requests.filter((u) => !u.startsWith(url!)), []);
      assert.deepEqual(requests.slice(loaded), []);
      // Show the SGE result, as the paper's inference, in the screenshot.
      await page.select("#path", "sge");
      const shot = Deno.env.get("GRN_WEB_SCREENSHOT") ?? `${work}/web_page.png`;
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok((await Deno.stat(shot)).size > 10_000);
    } finally {
      await browser?.close();
      child.kill("SIGTERM");
      await reader.cancel();
      await child.status;
      await Deno.remove(work, { recursive: true });
    }
  },
});
