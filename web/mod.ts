/**
 * A trained run as a web page that segments scans in the browser (`grn export --web`,
 * `grn web`): {@linkcode exportWeb} writes a self-contained static folder (`index.html`, one
 * JavaScript bundle built from the SDK's own networks, kernels, NIfTI codec, `predictVolume`
 * and read-out, the run's weights and `manifest.json`); {@linkcode serveWeb} serves it on this
 * machine. In the page, a dropped `.nii`/`.nii.gz` scan or PNG stack (its `.png` slices or
 * their folder, with `spacing.json` or a spacing typed in) is segmented with `S(x)` and, for a
 * method with a generator, `S(G(x))` exactly as `grn predict` does, shown in three linked views
 * with the layer read-out, and never leaves the machine.
 *
 * {@linkcode WebModel} and {@linkcode segmentScan} are what the page runs; in Deno they give
 * the page's numbers for a folder (the tests compare them with `predictScan`).
 *
 * @example Export a run and serve it
 * ```ts ignore
 * import { exportWeb, serveWeb } from "./mod.ts";
 * await exportWeb("runs/demo/cells/grn-ssl_f0.2_s0", "runs/demo/web");
 * const server = await serveWeb("runs/demo/web", { port: 8123 });
 * console.log(`open ${server.url}`); // http://127.0.0.1:8123/
 * ```
 * @module
 */
export {
  buildWebBundle,
  type BuildWebBundleOptions,
  exportWeb,
  type ExportWebOptions,
  type ExportWebResult,
  webBundleSourceStamp,
} from "./export_web.ts";
export {
  checkWebManifest,
  WEB_FILES,
  WEB_MANIFEST_FORMAT,
  type WebGeneratorSpec,
  type WebManifest,
  type WebProvenance,
  type WebSegmentorKind,
  type WebSegmentorSpec,
  type WebTensorEntry,
  type WebWeightsFile,
} from "./manifest.ts";
export {
  type DecodedWebScan,
  decodeScan,
  decodeScanFiles,
  DEFAULT_MAX_SCAN_BYTES,
  estimateScanBytes,
  labelsToNifti,
  scanIdOf,
  ScanInputError,
  type SegmentProgress,
  segmentScan,
  type SegmentScanOptions,
  type WebScanFile,
  type WebScanResult,
  type WebSegmentation,
} from "./segment_scan.ts";
export { serveWeb, type ServeWebOptions, type WebServer } from "./serve_web.ts";
export { type WebFileReader, WebModel } from "./web_model.ts";
export { PAGE_CSP } from "./_page.ts";

// The types the signatures above use, so that the package's documentation is complete.
export type { BackendChoice } from "../engine/init_engine.ts";
export type { ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
export type { NiftiDatatype, NiftiHeader, NiftiSpatialUnit } from "../data/nifti_header.ts";
export type { FitMode } from "../data/slices_fit.ts";
export type { SliceDirection } from "../data/slices_geometry.ts";
export type { Axis, Volume, VolumeArray } from "../data/volume.ts";
export type {
  Echogenicity,
  LayerReadout,
  ScanReadout,
  ThicknessStats,
} from "../metrics/layer_readout.ts";
export type { NormKind } from "../networks/norm_kind.ts";
export type {
  ResUNetGeneratorConfig,
  ResUNetGeneratorOptions,
} from "../networks/resunet_generator.ts";
export type { UNetConfig, UNetOptions } from "../networks/unet.ts";
