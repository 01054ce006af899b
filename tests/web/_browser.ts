/**
 * Helpers of the browser tests of the web page: Chromium through puppeteer-core on a served
 * export, waiting for the page's state, dropping files and folders on it as a user does, and
 * comparing its labels and read-out with `grn predict`'s.
 * @module
 */
import assert from "node:assert/strict";
import type { ScanReadout } from "../../metrics/layer_readout.ts";
import type { WebServer } from "../../web/mod.ts";
import { CHROMIUM } from "./_chromium.ts";

/** A puppeteer page. */
export type Page = import("puppeteer-core").Page;
type Browser = import("puppeteer-core").Browser;

/**
 * Opens the served page (`query` appended) in headless Chromium and runs `fn` with it, every
 * request of the page and its worker, and its console.
 */
export async function withPage(
  server: WebServer,
  query: string,
  fn: (page: Page, requests: string[], log: string[]) => Promise<void>,
): Promise<void> {
  const puppeteer = (await import("puppeteer-core")).default;
  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    const requests: string[] = [];
    const log: string[] = [];
    // Every request of the page and of its worker (puppeteer reports both).
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`pageerror: ${e}`));
    await page.goto(`${server.url}${query}`);
    await fn(page, requests, log);
  } finally {
    await browser.close();
  }
}

/** Waits until `window.grn.status` is one of `statuses`, and returns it. */
export async function waitFor(page: Page, statuses: string[], log: string[]): Promise<string> {
  try {
    await page.waitForFunction(
      (s: string[]) =>
        s.includes((globalThis as unknown as { grn?: { status: string } }).grn?.status ?? ""),
      { timeout: 600_000, polling: 200 },
      statuses,
    );
  } catch (error) {
    throw new Error(`the page did not reach ${statuses} (console: ${log.join(" | ")})`, {
      cause: error,
    });
  }
  return await page.evaluate(() =>
    (globalThis as unknown as { grn: { status: string } }).grn.status
  );
}

/** The share of equal values. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Asserts that every layer's thickness statistics agree to 0.01 mm. */
export function assertReadoutClose(page: ScanReadout, cli: ScanReadout, what: string): void {
  assert.equal(page.layers.length, cli.layers.length);
  page.layers.forEach((l, i) => {
    const c = cli.layers[i]!;
    assert.equal(l.label, c.label);
    for (const key of ["median", "mean", "min", "max", "p5", "p95"] as const) {
      // NaN (an absent layer) crosses from the page as null.
      const a = l.thicknessMm[key] ?? NaN, b = c.thicknessMm[key];
      if (Number.isNaN(b)) assert.ok(Number.isNaN(a), `${what} ${l.name} ${key}: ${a} vs NaN`);
      else assert.ok(Math.abs(a - b) <= 0.01, `${what} ${l.name} ${key}: ${a} vs ${b} mm`);
    }
  });
}

/** Picks files with the page's file input, as "choose files" does. */
export async function pickFiles(page: Page, paths: string[]): Promise<void> {
  const input = await page.$("#file");
  await (input as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(
    ...paths,
  );
}

/**
 * Drops files or folders on the page's drop zone as a user does: Chromium's own drag and drop
 * (DevTools `Input.dispatchDragEvent` with the paths), so a folder arrives as a directory entry.
 */
export async function dropPaths(page: Page, paths: string[]): Promise<void> {
  const box = await (await page.$("#drop"))!.boundingBox();
  assert.ok(box, "the drop zone is on the page");
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  const cdp = await page.createCDPSession();
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ["dragEnter", "dragOver", "drop"] as const) {
    await cdp.send("Input.dispatchDragEvent", { type, x, y, data });
  }
  await cdp.detach();
}
