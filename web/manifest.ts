/**
 * `manifest.json` of an exported web folder (`grn export --web`): what the page needs to
 * rebuild the run's networks, load their weights and segment a scan exactly as `grn predict`
 * does, and where the model came from.
 * @module
 */
import type { FitMode } from "../data/slices_fit.ts";
import type { SliceDirection } from "../data/slices_geometry.ts";
import type { Axis } from "../data/volume.ts";
import type { ResUNetGeneratorConfig } from "../networks/resunet_generator.ts";
import type { UNetConfig } from "../networks/unet.ts";

/** The value of {@linkcode WebManifest.format}. */
export const WEB_MANIFEST_FORMAT = "grn-web";

/** Files of an exported web folder. */
export const WEB_FILES: Readonly<{
  index: string;
  manifest: string;
  bundle: string;
  style: string;
  weights: string;
  weightsSge: string;
}> = Object.freeze({
  index: "index.html",
  manifest: "manifest.json",
  bundle: "grn_web.js",
  style: "grn_web.css",
  weights: "weights.bin",
  weightsSge: "weights_sge.bin",
});

/** One float32 tensor inside a weights file. */
export interface WebTensorEntry {
  /** Checkpoint name without the network prefix, e.g. `enc0.conv1.kernel`. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Offset in bytes from the start of the file (a multiple of 4). */
  offset: number;
  /** Number of float32 values. */
  length: number;
}

/** One weights file: raw little-endian float32 tensors, indexed here. */
export interface WebWeightsFile {
  /** File name inside the folder. */
  file: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 (hex) of the file. */
  sha256: string;
  /** The run checkpoint the weights came from (relative to the run folder). */
  checkpoint: string;
  /** SHA-256 (hex) of that checkpoint file. */
  checkpointSha256: string;
  /** The segmentor's tensors. */
  segmentor: WebTensorEntry[];
  /** The generator's tensors (empty when the file has no generator). */
  generator: WebTensorEntry[];
}

/** The segmentor architectures the page can rebuild. */
export type WebSegmentorKind = "unet" | "pyramid-unet" | "sdm-unet";

/** How the page rebuilds the segmentor. */
export interface WebSegmentorSpec {
  /** Class of the network. */
  kind: WebSegmentorKind;
  /** Its resolved configuration (`UNet.config`). */
  config: UNetConfig;
  /** The pyramid settings of a `PyramidUNet` (`pyramidConfig`), else absent. */
  pyramid?: Record<string, unknown>;
}

/** How the page rebuilds the generator. */
export interface WebGeneratorSpec {
  /** Class of the network. */
  kind: "resunet";
  /** Its resolved configuration (`ResUNetGenerator.config`). */
  config: ResUNetGeneratorConfig;
}

/** Where the exported model came from. */
export interface WebProvenance {
  /** The run folder's name. */
  run: string;
  /** The run folder as given to the export (absolute). */
  runPath: string;
  /** Labeled fraction of the run. */
  fraction: number;
  /** Seed of the run. */
  seed: number;
  /** Seed of the split. */
  splitSeed: number;
  /** The dataset the run trained on: its name, description and folder. */
  dataset: { name: string; description: string | null; path: string };
  /**
   * The synthetic phantom the dataset was generated from (`grn phantom`, the demo), with its
   * seed, or `null` for a dataset of real scans.
   */
  phantom: { generator: string; seed: number | null } | null;
  /** When the run was created (ISO). */
  trainedAt: string;
  /** When the folder was exported (ISO). */
  exportedAt: string;
  /** Versions of grn, Deno and TensorFlow.js that trained the run. */
  trainedWith: Record<string, string>;
  /** Version of grn that exported the folder. */
  exportedWith: string;
}

/** `manifest.json` of an exported web folder. */
export interface WebManifest {
  /** Always {@linkcode WEB_MANIFEST_FORMAT}. */
  format: "grn-web";
  /** Layout version. */
  version: 1;
  /** The method: registry name, the report's label, whether it has a generator. */
  method: { name: string; label: string; hasGenerator: boolean };
  /** Whether the page segments with SGE `S(G(x))` as well as `S(x)`. */
  sge: boolean;
  /** How scans become network inputs, as `grn predict` does. */
  input: {
    /** Network input `[height, width]`. */
    size: [number, number];
    /** How native slices are fitted to the input. */
    fit: FitMode;
    /** The directions the run trained on. */
    trainedDirections: SliceDirection[];
    /** The directions the page predicts: `"both"` averages coronal and sagittal softmax. */
    predictDirection: SliceDirection | "both";
    /** The direction the page shows `G(x)` for. */
    enhanceDirection: SliceDirection;
    /** Intensity window percentiles (robust min-max to `[-1, 1]`). */
    percentiles: [number, number];
    /** Axis of depth in the scan (skin at index 0), from the run's dataset. */
    depthAxis: Axis;
    /** Slices per forward pass. */
    batchSize: number;
  };
  /** Class names, index = label (0 background .. 6 muscle). */
  labels: string[];
  /** Short names for the legend, index = label. */
  shortLabels: string[];
  /** RGB colour of each label, index = label. */
  palette: [number, number, number][];
  /** The layers of the read-out, in order. */
  readoutLayers: number[];
  /** The networks. */
  networks: { segmentor: WebSegmentorSpec; generator: WebGeneratorSpec | null };
  /**
   * Weights of each inference path: `plain` for `S(x)` (the run's `model.ckpt`), `sge` for
   * `S(G(x))` (its `model_sge.ckpt`; `null` without a generator). Both may name one file.
   */
  weights: { plain: WebWeightsFile; sge: WebWeightsFile | null };
  /** Where the model came from. */
  provenance: WebProvenance;
  /**
   * The page's bundle: its file, SHA-256, and the SHA-256 of the SDK sources it was built from
   * (`null` when a prebuilt bundle was copied).
   */
  bundle: { file: string; sha256: string; sourcesSha256: string | null };
}

function fail(what: string): never {
  throw new Error(`Cannot read the web manifest: ${what}`);
}

/**
 * Checks that a parsed `manifest.json` is one this version of the page can use.
 *
 * @param json The parsed JSON.
 * @returns The same object, typed.
 * @throws {Error} When the format, version or a required field is wrong (the message names it).
 *
 * @example Refuse something else
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkWebManifest } from "./mod.ts";
 * assert.throws(() => checkWebManifest({ format: "grn-run" }), /not a grn web manifest/);
 * ```
 */
export function checkWebManifest(json: unknown): WebManifest {
  const m = json as Partial<WebManifest> | null;
  if (m === null || typeof m !== "object" || m.format !== WEB_MANIFEST_FORMAT) {
    fail(
      `not a grn web manifest (got format ${
        JSON.stringify((m as { format?: unknown } | null)?.format)
      })`,
    );
  }
  if (m.version !== 1) fail(`unsupported version (got ${JSON.stringify(m.version)})`);
  for (const key of ["method", "input", "labels", "palette", "networks", "weights"] as const) {
    if (m[key] === undefined || m[key] === null) fail(`no ${key} (got keys ${Object.keys(m)})`);
  }
  const size = m.input!.size;
  if (
    !Array.isArray(size) || size.length !== 2 || size.some((n) => !(Number.isInteger(n) && n > 0))
  ) {
    fail(`input.size must be two positive integers (got ${JSON.stringify(size)})`);
  }
  if (m.sge && (!m.weights!.sge || !m.networks!.generator)) {
    fail("sge is true but there are no SGE weights or no generator (got sge: true)");
  }
  return m as WebManifest;
}
