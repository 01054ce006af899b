/**
 * Shared set-up of the web tests: a tiny GRN-SSL run and a tiny supervised run on the tiny
 * phantom, the page's bundle built once per test process, and the GRN-SSL run exported with it;
 * the test scan as a PNG stack.
 * @module
 */
import { readNifti } from "../../data/nifti_read.ts";
import { writeNifti } from "../../data/nifti_write.ts";
import { readPngStack } from "../../data/png_stack_read.ts";
import { writePngStack } from "../../data/png_stack_write.ts";
import { trainTinyRun } from "../run/_fixture.ts";
import { buildWebBundle } from "../../web/export_web.ts";
import { exportWeb } from "../../web/export_web.ts";

/** What the web tests share. */
export interface WebFixture {
  /** Temporary folder holding everything (removed at unload). */
  dir: string;
  /** A tiny `grn-ssl` run (generator: SGE). */
  sslRun: string;
  /** A tiny `supervised` run (no generator). */
  supervisedRun: string;
  /** The bundle, built once. */
  bundle: string;
  /** The GRN-SSL run exported with that bundle. */
  web: string;
  /** A test scan of the tiny phantom (16x16x32 voxels). */
  scan: string;
}

let pending: Promise<WebFixture> | null = null;

/** The shared fixture, built on first use (half a minute to a few minutes under load). */
export function webFixture(): Promise<WebFixture> {
  pending ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "grn-web-test-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
    const sslRun = await trainTinyRun(`${dir}/ssl`, "grn-ssl");
    const supervisedRun = await trainTinyRun(`${dir}/sup`, "supervised");
    const bundle = `${dir}/bundle/grn_web.js`;
    await buildWebBundle(bundle);
    const web = `${dir}/web`;
    await exportWeb(sslRun, web, { bundle, backend: "wasm" });
    return {
      dir,
      sslRun,
      supervisedRun,
      bundle,
      web,
      scan: `${dir}/ssl/ds/imagesTr/p01_s00_0000.nii.gz`,
    };
  })();
  return pending;
}

/** The fixture's test scan as a PNG stack, and that stack as NIfTI for `predictScan`. */
export interface PngStackFixture {
  /** Folder of the stack: `slice_0000.png`... (8-bit gray, one per y) and `spacing.json`. */
  dir: string;
  /** The PNG files' names, in slice order. */
  names: string[];
  /** The stack as `readPngStack` reads it, written as NIfTI (the input of `predictScan`). */
  nifti: string;
}

let pendingStack: Promise<PngStackFixture> | null = null;

/**
 * The fixture's test scan written as a PNG stack with `writePngStack` (intensities mapped to
 * 0..255, stacked along y, so rows are the depth axis z), and the volume `readPngStack` reads
 * from it as a NIfTI file: what `grn predict` segments for the same stack.
 */
export function pngStackFixture(): Promise<PngStackFixture> {
  pendingStack ??= (async () => {
    const fx = await webFixture();
    const scan = await readNifti(fx.scan, { dtype: "float32" });
    const dir = `${fx.dir}/p01_s00_png`;
    const names = await writePngStack(dir, scan, { mode: "normalize" });
    const nifti = `${fx.dir}/p01_s00_png.nii.gz`;
    await writeNifti(nifti, await readPngStack(dir));
    return { dir, names, nifti };
  })();
  return pendingStack;
}
