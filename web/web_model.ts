/**
 * The networks of an exported web folder, rebuilt from its manifest with the SDK's own classes
 * and loaded with the run's weights: the same forward passes as `grn predict`, in Deno or in
 * the browser.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
import type { Generator } from "../networks/generator.ts";
import type { Module } from "../networks/module.ts";
import { PyramidUNet } from "../networks/pyramid_unet.ts";
import { ResUNetGenerator } from "../networks/resunet_generator.ts";
import { SdmUNet } from "../networks/sdm_unet.ts";
import type { Segmentor } from "../networks/segmentor.ts";
import { UNet } from "../networks/unet.ts";
import type { WebManifest, WebSegmentorSpec, WebTensorEntry, WebWeightsFile } from "./manifest.ts";

/** Reads one file of the exported folder by name (`fetch` in the page, a file read in Deno). */
export type WebFileReader = (file: string) => Promise<ArrayBuffer | Uint8Array>;

function buildSegmentor(spec: WebSegmentorSpec): Segmentor {
  const options = { ...spec.config, name: spec.config.name };
  switch (spec.kind) {
    case "unet":
      return new UNet(options);
    case "pyramid-unet":
      return new PyramidUNet({ ...options, ...(spec.pyramid ?? {}) });
    case "sdm-unet":
      return new SdmUNet(options);
    default:
      throw new Error(
        `Cannot build the segmentor: unknown kind (got ${
          JSON.stringify((spec as { kind: unknown }).kind)
        })`,
      );
  }
}

/**
 * Assigns the tensors of a weights file to a network's variables, by logical name, checking
 * that every variable gets a tensor of its shape and that the file has no tensor the network
 * lacks.
 *
 * @param module The network.
 * @param entries The file's index for that network.
 * @param bytes The weights file.
 * @param what The network and file, for messages (e.g. `segmentor of weights.bin`).
 * @throws {Error} On a missing, extra or misshapen tensor, or a file too short for its index.
 */
export function assignWebWeights(
  module: Module,
  entries: readonly WebTensorEntry[],
  bytes: Uint8Array,
  what: string,
): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const names = module.variableNames;
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new Error(
      `Cannot load the ${what}: ${missing.length} weight${
        missing.length === 1 ? " is" : "s are"
      } missing (got none for ${
        missing.slice(0, 3).join(", ")
      }); the manifest and the weights do not match`,
    );
  }
  const known = new Set(names);
  const extra = entries.filter((e) => !known.has(e.name)).map((e) => e.name);
  if (extra.length > 0) {
    throw new Error(
      `Cannot load the ${what}: the file has tensors the network does not (got ${
        extra.slice(0, 3).join(", ")
      })`,
    );
  }
  module.variables.forEach((variable, i) => {
    const entry = byName.get(names[i]!)!;
    const shape = [...variable.shape];
    if (JSON.stringify(shape) !== JSON.stringify(entry.shape)) {
      throw new Error(
        `Cannot load the ${what}: ${entry.name} has shape [${entry.shape}], the network's is [${shape}] (got [${entry.shape}])`,
      );
    }
    const end = entry.offset + entry.length * 4;
    if (entry.offset % 4 !== 0 || end > bytes.byteLength) {
      throw new Error(
        `Cannot load the ${what}: ${entry.name} lies outside the file (got bytes ${entry.offset}..${end} of ${bytes.byteLength})`,
      );
    }
    const values = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset + entry.offset, bytes.byteOffset + end) as ArrayBuffer,
    );
    tf.tidy(() => variable.assign(tf.tensor(values, shape, variable.dtype)));
  });
}

/** SHA-256 (hex) through Web Crypto, or `null` where it is unavailable (a page over plain HTTP). */
async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

interface LoadedPath {
  segmentor: Segmentor;
  generator: Generator | null;
}

/**
 * The run's networks in inference mode, built from an exported folder: `S` selected for `S(x)`
 * and, for a method with a generator, `S` and `G` selected for SGE `S(G(x))`.
 *
 * @example Load an exported folder in Deno
 * ```ts ignore
 * import { WebModel } from "./mod.ts";
 * const dir = "runs/demo/web";
 * const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
 * const model = await WebModel.load(manifest, (file) => Deno.readFile(`${dir}/${file}`));
 * model.dispose();
 * ```
 */
export class WebModel {
  /** The manifest the model was built from. */
  readonly manifest: WebManifest;
  readonly #plain: LoadedPath;
  readonly #sge: LoadedPath | null;
  #disposed = false;

  private constructor(manifest: WebManifest, plain: LoadedPath, sge: LoadedPath | null) {
    this.manifest = manifest;
    this.#plain = plain;
    this.#sge = sge;
  }

  /**
   * Builds the networks of a manifest and loads their weights.
   *
   * @param manifest The folder's manifest (see `checkWebManifest`).
   * @param read Reads a file of the folder by name.
   * @returns The model (the caller disposes it).
   * @throws {Error} When a weights file cannot be read, has the wrong size or SHA-256 length,
   *   or does not fit the networks.
   */
  static async load(manifest: WebManifest, read: WebFileReader): Promise<WebModel> {
    const files = new Map<string, Uint8Array>();
    const bytesOf = async (w: WebWeightsFile): Promise<Uint8Array> => {
      let bytes = files.get(w.file);
      if (!bytes) {
        const raw = await read(w.file);
        bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
        if (bytes.byteLength !== w.bytes) {
          throw new Error(
            `Cannot load the model: ${w.file} should have ${w.bytes} bytes (got ${bytes.byteLength})`,
          );
        }
        const digest = await sha256Hex(bytes);
        if (digest !== null && digest !== w.sha256) {
          throw new Error(
            `Cannot load the model: ${w.file} is not the exported file (SHA-256 ${w.sha256}; got ${digest})`,
          );
        }
        files.set(w.file, bytes);
      }
      return bytes;
    };
    const built: Module[] = [];
    const path = async (w: WebWeightsFile, withGenerator: boolean): Promise<LoadedPath> => {
      const bytes = await bytesOf(w);
      const segmentor = buildSegmentor(manifest.networks.segmentor);
      built.push(segmentor);
      assignWebWeights(segmentor, w.segmentor, bytes, `segmentor of ${w.file}`);
      let generator: Generator | null = null;
      if (withGenerator) {
        const spec = manifest.networks.generator;
        if (!spec) {
          throw new Error(
            "Cannot load the model: SGE weights but no generator (got generator: null)",
          );
        }
        generator = new ResUNetGenerator({ ...spec.config });
        built.push(generator);
        assignWebWeights(generator, w.generator, bytes, `generator of ${w.file}`);
      }
      return { segmentor, generator };
    };
    try {
      const plain = await path(manifest.weights.plain, false);
      const sge = manifest.sge && manifest.weights.sge
        ? await path(manifest.weights.sge, true)
        : null;
      return new WebModel(manifest, plain, sge);
    } catch (error) {
      for (const m of built) m.dispose();
      throw error;
    }
  }

  /** Whether SGE `S(G(x))` is available. */
  get hasSge(): boolean {
    return this.#sge !== null;
  }

  #check(): void {
    if (this.#disposed) throw new Error("Cannot use the web model: it was disposed");
  }

  /**
   * Segments images: `S(x)`, or with `sge` `S(G(x))`, in inference mode (as `GRN.predict`).
   *
   * @param images `[batch, height, width, 1]` in `[-1, 1]`.
   * @param options `sge`: through the generator. @default {{ sge: false }}
   * @returns Logits `[batch, height, width, classes]` (caller disposes).
   * @throws {Error} When SGE is asked for a model without a generator.
   */
  predict(images: ImageBatch, options: { sge?: boolean } = {}): LogitBatch {
    this.#check();
    const sge = options.sge ?? false;
    if (sge && !this.#sge) {
      throw new Error("Cannot predict with SGE: this model has no generator (got sge: true)");
    }
    const { segmentor, generator } = sge ? this.#sge! : this.#plain;
    return tf.tidy(() => {
      const input = generator ? generator.apply(images, { training: false }) : images;
      return segmentor.apply(input, { training: false });
    });
  }

  /**
   * The SGE-enhanced images `G(x)` (the generator selected for SGE), in inference mode.
   *
   * @param images `[batch, height, width, 1]` in `[-1, 1]`.
   * @returns `[batch, height, width, 1]` in `[-1, 1]` (caller disposes).
   * @throws {Error} Without a generator.
   */
  enhance(images: ImageBatch): ImageBatch {
    this.#check();
    if (!this.#sge?.generator) {
      throw new Error("Cannot enhance images: this model has no generator (got sge: false)");
    }
    const generator = this.#sge.generator;
    return tf.tidy(() => generator.apply(images, { training: false }));
  }

  /** Frees every network. Safe to call more than once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const p of [this.#plain, this.#sge]) {
      p?.segmentor.dispose();
      p?.generator?.dispose();
    }
  }
}
