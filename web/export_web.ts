/**
 * `exportWeb`: a trained run as a self-contained static web page (the core of
 * `grn export --web`): `index.html`, one JavaScript bundle built from the SDK's own networks,
 * engine and data code, the WebAssembly files of TensorFlow.js, the run's weights and
 * `manifest.json`.
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DATASET_LABELS } from "../data/dataset_manifest.ts";
import { LAYER_NAMES } from "../data/phantom/labels.ts";
import { LAYER_PALETTE } from "../data/phantom/palette.ts";
import { DEFAULT_PERCENTILES } from "../data/slices_normalize.ts";
import { writeFileAtomic } from "../engine/atomic_write.ts";
import { type BackendChoice, initEngine } from "../engine/init_engine.ts";
import type { AnyVariable } from "../engine/tensor_types.ts";
import { PyramidUNet } from "../networks/pyramid_unet.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { SdmUNet } from "../networks/sdm_unet.ts";
import type { Segmentor } from "../networks/segmentor.ts";
import { UNet } from "../networks/unet.ts";
import { type LoadedRunModel, loadRunModel } from "../run/load_run_model.ts";
import { GRN_VERSION } from "../run/version.ts";
import { getMethodDefinition } from "../trainers/method_registry.ts";
import {
  WEB_FILES,
  WEB_MANIFEST_FORMAT,
  type WebManifest,
  type WebSegmentorSpec,
  type WebTensorEntry,
  type WebWeightsFile,
} from "./manifest.ts";
import { PAGE_CSS, PAGE_HTML } from "./_page.ts";

/** Options of {@linkcode exportWeb}. */
export interface ExportWebOptions {
  /**
   * A bundle built earlier by {@linkcode buildWebBundle} (a `grn_web.js` file) to copy instead
   * of building one (building takes about half a minute).
   * @default {build it}
   */
  bundle?: string;
  /**
   * Keep the folder's bundle when it was built from the same SDK sources (the export is then
   * a matter of seconds); otherwise build it.
   * @default {false}
   */
  reuseBundle?: boolean;
  /** Backend used to read the weights. @default {"auto"} */
  backend?: BackendChoice;
  /** Notes (what is being built). @default {discarded} */
  log?: (line: string) => void;
}

/** What {@linkcode exportWeb} returns. */
export interface ExportWebResult {
  /** The folder written. */
  dir: string;
  /** Its manifest. */
  manifest: WebManifest;
  /** The files written or kept, relative to `dir`. */
  files: string[];
  /** Total size of the folder's files in bytes. */
  bytes: number;
  /** Whether the bundle was built (false: copied or kept). */
  bundleBuilt: boolean;
}

/** The SDK's root folder (where `deno.json` is), or `null` when it is not a local checkout. */
function sdkRoot(): string | null {
  const url = new URL("../", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : null;
}

/** The browser entry module of the bundle. */
const ENTRY = "web/_browser_main.ts";
/** Folders whose sources go into the bundle (for the bundle's source stamp). */
const BUNDLED_FOLDERS = ["web", "networks", "engine", "data", "metrics"];

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/**
 * SHA-256 over the SDK sources that go into the bundle (every `.ts` file of `web/`,
 * `networks/`, `engine/`, `data/` and `metrics/`, and `deno.json`), so that an export can tell
 * whether a bundle is still current.
 *
 * @returns The hex digest.
 * @throws {Error} When the SDK is not a local checkout.
 */
export async function webBundleSourceStamp(): Promise<string> {
  const root = sdkRoot();
  if (root === null) {
    throw new Error(
      `Cannot stamp the web bundle: the SDK is not a local checkout (got ${import.meta.url})`,
    );
  }
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const folder of BUNDLED_FOLDERS) await walk(join(root, folder));
  files.sort();
  files.push(join(root, "deno.json"));
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(relative(root, file)).update("\0").update(await Deno.readFile(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Options of {@linkcode buildWebBundle}. */
export interface BuildWebBundleOptions {
  /** Minify the bundle. @default {false} */
  minify?: boolean;
  /** Notes. @default {discarded} */
  log?: (line: string) => void;
}

/**
 * Builds the page's JavaScript bundle with `deno bundle --platform browser` from the SDK's
 * browser entry (`web/_browser_main.ts`): the SDK's networks, engine kernels, NIfTI codec,
 * `predictVolume` and read-out with TensorFlow.js (WebGL, WebAssembly and CPU backends). The
 * few `node:` modules the shared code imports are mapped to browser versions
 * (`web/_browser_shims/`). Needs the SDK as a local checkout with its npm packages installed
 * (`deno install`) and permission to run `deno`.
 *
 * @param outFile Where the bundle goes (written atomically).
 * @param options Minify and log.
 * @returns Seconds taken.
 * @throws {Error} When the SDK is not a local checkout or `deno bundle` fails (its output is
 *   in the message).
 */
export async function buildWebBundle(
  outFile: string,
  options: BuildWebBundleOptions = {},
): Promise<number> {
  const t0 = performance.now();
  const root = sdkRoot();
  if (root === null) {
    throw new Error(
      `Cannot build the web bundle: the SDK is not a local checkout (got ${import.meta.url}); pass a prebuilt bundle`,
    );
  }
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const imports: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.imports as Record<string, string>)) {
    imports[key] = value.startsWith("./") ? resolve(root, value) : value;
  }
  for (const name of ["zlib", "path", "crypto"]) {
    imports[`node:${name}`] = join(root, "web", "_browser_shims", `${name}.ts`);
  }
  const work = await Deno.makeTempDir({ prefix: "grn-web-bundle-" });
  try {
    const importMap = join(work, "import_map.json");
    await Deno.writeTextFile(importMap, JSON.stringify({ imports }));
    const out = join(work, WEB_FILES.bundle);
    options.log?.(`building the page's bundle (deno bundle ${ENTRY})`);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--import-map",
        importMap,
        ...(options.minify ? ["--minify"] : []),
        "-o",
        out,
        join(root, ENTRY),
      ],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const text = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
      throw new Error(
        `Cannot build the web bundle: deno bundle exited with code ${code} (got: ${
          text.trim().slice(-2000)
        })`,
      );
    }
    const bytes = await Deno.readFile(out);
    if (/\bfrom\s*"node:/.test(new TextDecoder().decode(bytes.subarray(0, 1 << 20)))) {
      throw new Error(
        "Cannot build the web bundle: a node: module is left unmapped in the bundle (got an import of node:...)",
      );
    }
    await writeFileAtomic(outFile, bytes, { mkdir: true });
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return (performance.now() - t0) / 1000;
}

/** The `.wasm` files of `@tensorflow/tfjs-backend-wasm` in the SDK's `node_modules`. */
async function wasmFiles(): Promise<string[]> {
  const root = sdkRoot();
  const dir = root === null
    ? null
    : join(root, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
  const out: string[] = [];
  if (dir !== null) {
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name.endsWith(".wasm")) out.push(join(dir, entry.name));
      }
    } catch {
      // reported below
    }
  }
  if (out.length === 0) {
    throw new Error(
      `Cannot export the web page: no TensorFlow.js WebAssembly files (got none in ${dir}); run \`deno install\` in the SDK folder`,
    );
  }
  return out.sort();
}

function segmentorSpec(segmentor: Segmentor): WebSegmentorSpec {
  // Subclasses first: PyramidUNet and SdmUNet extend UNet.
  if (segmentor instanceof PyramidUNet) {
    return {
      kind: "pyramid-unet",
      config: { ...segmentor.config },
      pyramid: { ...segmentor.pyramidConfig },
    };
  }
  if (segmentor instanceof SdmUNet) return { kind: "sdm-unet", config: { ...segmentor.config } };
  if (segmentor instanceof UNet) return { kind: "unet", config: { ...segmentor.config } };
  throw new Error(
    `Cannot export the web page: the page rebuilds UNet, PyramidUNet and SdmUNet segmentors (got ${segmentor.constructor.name})`,
  );
}

/** Float32 bytes and index of the `S/` and `G/` variables of a model state. */
async function encodeWeights(
  state: Map<string, AnyVariable>,
  withGenerator: boolean,
): Promise<{ bytes: Uint8Array; segmentor: WebTensorEntry[]; generator: WebTensorEntry[] }> {
  const segmentor: WebTensorEntry[] = [], generator: WebTensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [key, variable] of state) {
    const [prefix, ...rest] = key.split("/");
    const list = prefix === "S" ? segmentor : prefix === "G" && withGenerator ? generator : null;
    if (list === null) continue;
    if (variable.dtype !== "float32") {
      throw new Error(
        `Cannot export the web page: ${key} must be float32 (got ${variable.dtype})`,
      );
    }
    const values = (await variable.data()) as Float32Array;
    list.push({ name: rest.join("/"), shape: [...variable.shape], offset, length: values.length });
    chunks.push(values);
    offset += values.byteLength;
  }
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bytes.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  return { bytes, segmentor, generator };
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return null;
  }
}

/** Checks that `dir` is missing, empty or an earlier export; returns its manifest, if any. */
async function checkTarget(dir: string): Promise<WebManifest | null> {
  const stat = await Deno.stat(dir).catch(() => null);
  if (stat === null) return null;
  if (!stat.isDirectory) {
    throw new Error(
      `Cannot export the web page to ${dir}: it is a file (got a file, not a folder)`,
    );
  }
  const manifest = await readJson(join(dir, WEB_FILES.manifest)) as WebManifest | null;
  if (manifest?.format === WEB_MANIFEST_FORMAT) return manifest;
  const entries: string[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e.name);
  if (entries.length > 0) {
    throw new Error(
      `Cannot export the web page to ${dir}: the folder is neither empty nor an earlier export (got ${entries.length} entries, e.g. ${
        entries.slice(0, 3).join(", ")
      })`,
    );
  }
  return null;
}

const PHANTOM_DESCRIPTION = /^Synthetic lumbar B-mode phantom \(grn\), seed (-?\d+)/;

/**
 * Exports a trained run as a static web page that segments scans in the browser with the
 * run's model: `index.html` and `grn_web.css`, `grn_web.js` (the SDK's networks and
 * segmentation code, see {@linkcode buildWebBundle}), TensorFlow.js's `.wasm` files,
 * `weights.bin` (`S` of `model.ckpt`) and, for a method with a generator,
 * `weights_sge.bin` (`S` and `G` of `model_sge.ckpt`; one file when both are the same
 * checkpoint), and `manifest.json` ({@linkcode WebManifest}: method, input size, slice
 * directions, normalisation, labels, palette, SGE flag, provenance). The page reproduces
 * `grn predict` on the same scan and backend family. Serve the folder from any static host,
 * or with `serveWeb` / `grn web DIR`.
 *
 * @param run A run folder (or a `.ckpt` inside one, for the `S(x)` weights).
 * @param dir The folder to write: missing, empty, or an earlier export (its files are
 *   replaced).
 * @param options Bundle reuse, backend and log.
 * @returns The manifest and the files.
 * @throws {Error} When the run cannot be loaded, the folder holds other files, the bundle
 *   cannot be built, or the networks are of a kind the page cannot rebuild.
 */
export async function exportWeb(
  run: string,
  dir: string,
  options: ExportWebOptions = {},
): Promise<ExportWebResult> {
  const { backend = "auto", log = () => {} } = options;
  const previous = await checkTarget(dir);
  await initEngine({ backend, log: () => {} });
  const loaded: LoadedRunModel[] = [];
  try {
    const plain = await loadRunModel(run);
    loaded.push(plain);
    const { config } = plain;
    const definition = getMethodDefinition(config.method);
    const label = definition.label ?? config.method;
    const hasGenerator = plain.method.hasGenerator;
    const sge = hasGenerator ? await loadRunModel(plain.dir, { sge: true }) : null;
    if (sge) loaded.push(sge);
    const generator = sge?.method.trainer.generator ?? null;
    if (generator !== null && !(generator instanceof ResUNetGenerator)) {
      throw new Error(
        `Cannot export the web page: the page rebuilds ResUNetGenerator generators (got ${generator.constructor.name})`,
      );
    }
    await Deno.mkdir(dir, { recursive: true });
    const written: string[] = [];
    const write = async (name: string, bytes: Uint8Array | string) => {
      await writeFileAtomic(join(dir, name), bytes);
      written.push(name);
    };

    // Weights: S(x) from model.ckpt; S and G for SGE from model_sge.ckpt (one file if equal).
    const same = sge !== null && sge.checkpoint === plain.checkpoint;
    const weightsOf = async (
      model: LoadedRunModel,
      file: string,
      withGenerator: boolean,
    ): Promise<WebWeightsFile> => {
      const { bytes, segmentor, generator } = await encodeWeights(
        model.method.trainer.modelState(),
        withGenerator,
      );
      await write(file, bytes);
      return {
        file,
        bytes: bytes.byteLength,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        checkpoint: relative(plain.dir, model.checkpoint),
        checkpointSha256: await sha256File(model.checkpoint),
        segmentor,
        generator,
      };
    };
    log("writing the weights");
    const plainWeights = await weightsOf(plain, WEB_FILES.weights, same);
    const sgeWeights = sge === null
      ? null
      : same
      ? plainWeights
      : await weightsOf(sge, WEB_FILES.weightsSge, true);

    // The bundle: copied, kept when current, or built.
    const stamp = options.bundle === undefined ? await webBundleSourceStamp() : null;
    const bundlePath = join(dir, WEB_FILES.bundle);
    let bundleBuilt = false;
    if (options.bundle !== undefined) {
      await write(WEB_FILES.bundle, await Deno.readFile(options.bundle));
    } else if (
      options.reuseBundle && previous?.bundle?.sourcesSha256 === stamp &&
      await Deno.stat(bundlePath).then((s) => s.isFile, () => false)
    ) {
      log("keeping the page's bundle (built from the same SDK sources)");
      written.push(WEB_FILES.bundle);
    } else {
      await buildWebBundle(bundlePath, { log });
      written.push(WEB_FILES.bundle);
      bundleBuilt = true;
    }
    for (const wasm of await wasmFiles()) await write(basename(wasm), await Deno.readFile(wasm));
    await write(WEB_FILES.index, PAGE_HTML);
    await write(WEB_FILES.style, PAGE_CSS);

    const numClasses = config.networks.numClasses;
    const labels = Array.from(
      { length: numClasses },
      (_, k) => numClasses === 7 ? DATASET_LABELS[String(k)]! : `class ${k}`,
    );
    const datasetJson = await readJson(join(config.dataset.path, "dataset.json")) as
      | { description?: string }
      | null;
    const description = typeof datasetJson?.description === "string"
      ? datasetJson.description
      : null;
    const phantomMatch = description?.match(PHANTOM_DESCRIPTION) ?? null;
    const runPath = resolve(plain.dir);
    const manifest: WebManifest = {
      format: WEB_MANIFEST_FORMAT,
      version: 1,
      method: { name: config.method, label, hasGenerator },
      sge: sge !== null,
      input: {
        size: [config.slices.inputSize[0], config.slices.inputSize[1]],
        fit: config.slices.fit,
        trainedDirections: [...config.slices.directions],
        predictDirection: "both",
        enhanceDirection: config.slices.directions[0] ?? "coronal",
        percentiles: [DEFAULT_PERCENTILES[0], DEFAULT_PERCENTILES[1]],
        depthAxis: config.dataset.depthAxis,
        batchSize: 8,
      },
      labels,
      shortLabels: Array.from(
        { length: numClasses },
        (_, k) => numClasses === 7 ? LAYER_NAMES[k]! : `${k}`,
      ),
      palette: Array.from(
        { length: numClasses },
        (_, k) => [...LAYER_PALETTE[k % LAYER_PALETTE.length]!] as [number, number, number],
      ),
      readoutLayers: Array.from({ length: numClasses - 1 }, (_, k) => k + 1),
      networks: {
        segmentor: segmentorSpec(plain.method.trainer.segmentor),
        generator: generator ? { kind: "resunet", config: { ...generator.config } } : null,
      },
      weights: { plain: plainWeights, sge: sgeWeights },
      provenance: {
        run: basename(runPath),
        runPath,
        fraction: config.fraction,
        seed: config.seed,
        splitSeed: config.splitSeed,
        dataset: { name: config.dataset.name, description, path: config.dataset.path },
        phantom: phantomMatch
          ? {
            generator: "grn phantom (data/phantom, synthetic lumbar B-mode)",
            seed: +phantomMatch[1]!,
          }
          : description?.startsWith("Synthetic lumbar B-mode phantom")
          ? { generator: "grn phantom (data/phantom, synthetic lumbar B-mode)", seed: null }
          : null,
        trainedAt: config.createdAt,
        exportedAt: new Date().toISOString(),
        trainedWith: { ...config.versions },
        exportedWith: GRN_VERSION,
      },
      bundle: {
        file: WEB_FILES.bundle,
        sha256: await sha256File(bundlePath),
        sourcesSha256: stamp,
      },
    };
    await write(WEB_FILES.manifest, JSON.stringify(manifest, null, 2) + "\n");
    // Files of an earlier export that this one did not write (e.g. weights_sge.bin of SGE).
    if (previous !== null) {
      for (const stale of [WEB_FILES.weightsSge]) {
        if (!written.includes(stale)) await Deno.remove(join(dir, stale)).catch(() => {});
      }
    }
    let bytes = 0;
    for (const name of written) bytes += (await Deno.stat(join(dir, name))).size;
    return { dir, manifest, files: written.sort(), bytes, bundleBuilt };
  } finally {
    for (const l of loaded) l.method.dispose();
  }
}
