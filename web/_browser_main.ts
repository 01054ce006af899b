/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The browser entry of the exported page (bundled into `grn_web.js` by `buildWebBundle`). The
 * same file runs twice: in the page, where it draws the interface, and in a module worker it
 * starts, where it loads TensorFlow.js and the run's networks and segments the dropped scan
 * (a NIfTI file, or a PNG stack: its `.png` slices or their folder, with `spacing.json` or a
 * spacing typed in) with the SDK's code (`segmentScan`), so the page stays responsive and shows
 * progress.
 *
 * For scripts and tests, the page keeps its state in `window.grn` ({@linkcode PageState}).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "../engine/_wasm_kernels.ts";
import { readoutToCsv } from "../metrics/readout_to_csv.ts";
import type { ScanReadout } from "../metrics/layer_readout.ts";
import { checkWebManifest, WEB_FILES, type WebManifest } from "./manifest.ts";
import {
  labelsToNifti,
  ScanInputError,
  type SegmentProgress,
  segmentScan,
  type WebScanResult,
} from "./segment_scan.ts";
import { WebModel } from "./web_model.ts";

/** Backends the page can run on, in the order it tries them. */
type BackendName = "webgl" | "wasm" | "cpu";

/** Messages from the page to the worker. */
type ToWorker =
  | { type: "init"; base: string; backend: BackendName | "auto" }
  | {
    type: "segment";
    files: { name: string; bytes: ArrayBuffer }[];
    spacing?: [number, number, number];
  };

/** Messages from the worker to the page. */
type FromWorker =
  | {
    type: "ready";
    manifest: WebManifest;
    backend: BackendName;
    skipped: string[];
    requests: number;
  }
  | { type: "progress"; progress: SegmentProgress; requests: number }
  | { type: "result"; result: WebScanResult; requests: number }
  | { type: "error"; message: string; reason: string; requests: number };

/** What the page exposes as `window.grn`. */
export interface PageState {
  /** Where the page is. */
  status: "loading" | "ready" | "working" | "done" | "error";
  /** The model's manifest, once loaded. */
  manifest: WebManifest | null;
  /** The backend the worker runs on. */
  backend: BackendName | null;
  /** The last scan's result. */
  result: WebScanResult | null;
  /** The last error message. */
  error: string | null;
  /** Whether the page asks for the spacing of a PNG stack dropped without `spacing.json`. */
  needsSpacing: boolean;
  /** Network requests made since the model loaded (page and worker). */
  requestsAfterLoad: number;
  /** The labels of a path as a NIfTI file (`.nii.gz`), as the download button saves them. */
  nifti(path: "plain" | "sge"): Uint8Array;
  /** The read-out of a path as CSV, as the download button saves it. */
  csv(path: "plain" | "sge"): string;
}

const BACKEND_TITLES: Record<BackendName, string> = {
  webgl: "WebGL (GPU)",
  wasm: "WebAssembly (CPU)",
  cpu: "plain JavaScript (CPU)",
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Counts the resource requests of this context from now on. */
function requestCounter(): () => number {
  let count = 0;
  try {
    new PerformanceObserver((list) => {
      count += list.getEntries().length;
    }).observe({ type: "resource" });
  } catch {
    // no PerformanceObserver: the count stays 0 and the tests check requests themselves
  }
  return () => count;
}

// ---------------------------------------------------------------------------------------------
// The worker: TensorFlow.js, the model and the segmentation.

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, options?: { transfer?: Transferable[] }): void;
}

async function startBackend(
  requested: BackendName | "auto",
  base: string,
): Promise<{ backend: BackendName; skipped: string[] }> {
  const order: BackendName[] = requested === "auto" ? ["webgl", "wasm", "cpu"] : [requested];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      if (name === "wasm") {
        setWasmPaths(base);
        registerWasmTrainingKernels();
      }
      if (!(await tf.setBackend(name))) {
        skipped.push(`${name}: not available in this browser`);
        continue;
      }
      await tf.ready();
      // A first operation shows whether the backend really works (WebGL may fail late).
      tf.tidy(() => tf.add(tf.ones([2, 2]), tf.ones([2, 2])).dataSync());
      return { backend: name, skipped };
    } catch (error) {
      skipped.push(`${name}: ${messageOf(error)}`);
    }
  }
  throw new Error(`Cannot start TensorFlow.js: no backend works (got ${skipped.join("; ")})`);
}

function workerMain(scope: WorkerScope): void {
  let model: WebModel | null = null;
  let requests: () => number = () => 0;
  let requestsAtReady = 0;
  const after = () => requests() - requestsAtReady;
  const fail = (error: unknown) =>
    scope.postMessage({
      type: "error",
      message: messageOf(error),
      reason: error instanceof ScanInputError ? error.reason : "internal",
      requests: after(),
    });
  scope.onmessage = async (event) => {
    const message = event.data;
    try {
      if (message.type === "init") {
        requests = requestCounter();
        const url = (file: string) => new URL(file, message.base).href;
        const response = await fetch(url(WEB_FILES.manifest));
        if (!response.ok) {
          throw new Error(
            `Cannot load the model: ${WEB_FILES.manifest} could not be fetched (got HTTP ${response.status})`,
          );
        }
        const manifest = checkWebManifest(await response.json());
        const { backend, skipped } = await startBackend(message.backend, message.base);
        model = await WebModel.load(manifest, async (file) => {
          const r = await fetch(url(file));
          if (!r.ok) throw new Error(`Cannot load the model: ${file} (got HTTP ${r.status})`);
          return await r.arrayBuffer();
        });
        // Resource timing entries arrive asynchronously: let them in before counting.
        await new Promise((resolve) => setTimeout(resolve, 50));
        requestsAtReady = requests();
        scope.postMessage({ type: "ready", manifest, backend, skipped, requests: 0 });
      } else if (message.type === "segment") {
        if (!model) throw new Error("Cannot segment: the model is not loaded yet");
        const files = message.files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }));
        const result = await segmentScan(files, model, {
          ...(message.spacing ? { spacing: message.spacing } : {}),
          onProgress: (progress) =>
            scope.postMessage({ type: "progress", progress, requests: after() }),
        });
        const transfer: Transferable[] = [
          result.image.data.buffer,
          result.windowed.buffer,
          result.plain.labels.data.buffer,
          ...(result.sge ? [result.sge.labels.data.buffer] : []),
          ...(result.enhanced ? [result.enhanced.buffer] : []),
        ].filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
        scope.postMessage({ type: "result", result, requests: after() }, { transfer });
      }
    } catch (error) {
      fail(error);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The page: drop zone, progress, views, legend, read-out, downloads.

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`Cannot start the page: no element #${id} (got none)`);
  return e as T;
}

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text = "",
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** A plane through the scan: rows, columns and the axis its slider moves along. */
interface Plane {
  key: string;
  title: string;
  rowAxis: number;
  colAxis: number;
  fixedAxis: number;
}

const AXIS_NAMES = ["x", "y", "z"];

function planesOf(depthAxis: number): Plane[] {
  const [a, b] = [0, 1, 2].filter((k) => k !== depthAxis) as [number, number];
  return [
    { key: "coronal", title: "Coronal B-mode", rowAxis: depthAxis, colAxis: a, fixedAxis: b },
    { key: "sagittal", title: "Sagittal B-mode", rowAxis: depthAxis, colAxis: b, fixedAxis: a },
    { key: "enface", title: "En face (at a depth)", rowAxis: b, colAxis: a, fixedAxis: depthAxis },
  ];
}

function download(bytes: Uint8Array | string, name: string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = make("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file of a drop or a pick, named with its folder when it came in one. */
interface DroppedFile {
  name: string;
  file: File;
}

/** Whether a file of a dropped folder belongs to a scan (as `readPngStack` reads a folder). */
function isStackFile(name: string): boolean {
  return /\.png$/i.test(name) || name.toLowerCase() === "spacing.json";
}

/** Every entry of a dropped folder (Chromium hands them out 100 at a time). */
async function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject)
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/**
 * The files of a drop: dropped files as they are; of a dropped folder, its `.png` files and
 * `spacing.json` (other files and subfolders are left out, as `readPngStack` leaves them, and
 * listed in `ignored`).
 */
async function filesOfDrop(
  entries: (FileSystemEntry | null)[],
  fallback: File[],
): Promise<{ files: DroppedFile[]; ignored: string[] }> {
  if (entries.length === 0 || entries.some((e) => e === null)) {
    return { files: fallback.map((file) => ({ name: file.name, file })), ignored: [] };
  }
  const files: DroppedFile[] = [];
  const ignored: string[] = [];
  for (const entry of entries as FileSystemEntry[]) {
    if (entry.isFile) {
      files.push({ name: entry.name, file: await fileOf(entry as FileSystemFileEntry) });
      continue;
    }
    for (const inner of await entriesOf(entry as FileSystemDirectoryEntry)) {
      const name = `${entry.name}/${inner.name}`;
      if (inner.isFile && isStackFile(inner.name)) {
        files.push({ name, file: await fileOf(inner as FileSystemFileEntry) });
      } else {
        ignored.push(name);
      }
    }
  }
  return { files, ignored };
}

function formatMm(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : "n/a";
}

function pageMain(): void {
  const requests = requestCounter();
  let requestsAtReady = 0;
  let workerRequests = 0;
  const params = new URLSearchParams(location.search);
  const requested = (params.get("backend") ?? "auto") as BackendName | "auto";
  const state: PageState = {
    status: "loading",
    manifest: null,
    backend: null,
    result: null,
    error: null,
    needsSpacing: false,
    requestsAfterLoad: 0,
    nifti(path) {
      const r = state.result?.[path];
      if (!state.result || !r) throw new Error(`Cannot encode labels: no ${path} result yet`);
      return labelsToNifti(r.labels, state.result.header);
    },
    csv(path) {
      const r = state.result?.[path];
      if (!r) throw new Error(`Cannot write the read-out: no ${path} result yet`);
      return readoutToCsv(r.readout);
    },
  };
  (globalThis as unknown as { grn: PageState }).grn = state;

  const progress = element<HTMLProgressElement>("progress");
  const statusText = element("status-text");
  const errorBox = element("error");
  const drop = element("drop");
  const fileInput = element<HTMLInputElement>("file");
  const pathSelect = element<HTMLSelectElement>("path");
  const opacity = element<HTMLInputElement>("opacity");
  const showG = element<HTMLInputElement>("show-g");
  const spacingForm = element<HTMLFormElement>("spacing-form");
  const spacingMessage = element("spacing-message");
  const spacingInputs = ["x", "y", "z"].map((a) => element<HTMLInputElement>(`spacing-${a}`));
  /** The files of the last drop, kept to segment again once a missing spacing is given. */
  let pending: DroppedFile[] = [];

  const updateRequests = () => {
    state.requestsAfterLoad = requests() - requestsAtReady + workerRequests;
  };
  const setStatus = (text: string) => {
    updateRequests();
    statusText.textContent = state.manifest === null
      ? text
      : `${text} Network requests since the model loaded: ${state.requestsAfterLoad}.`;
  };
  const showError = (message: string) => {
    state.needsSpacing = false;
    spacingForm.hidden = true;
    state.status = state.manifest ? "ready" : "error";
    state.error = message;
    errorBox.textContent = message;
    errorBox.hidden = false;
    progress.value = 0;
    setStatus(state.manifest ? "Ready for another scan." : "The page could not start.");
    if (!state.manifest) state.status = "error";
  };

  const worker = new Worker(new URL(WEB_FILES.bundle, location.href), { type: "module" });
  worker.onerror = (event) => showError(`The worker failed: ${event.message}`);
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    workerRequests = message.requests;
    if (message.type === "ready") {
      requestsAtReady = requests();
      state.manifest = message.manifest;
      state.backend = message.backend;
      state.status = "ready";
      showModel(message.manifest);
      element("backend").textContent = `Backend: ${BACKEND_TITLES[message.backend]}` +
        (message.skipped.length ? ` (not available: ${message.skipped.join("; ")})` : "") +
        `. Choose one with ?backend=webgl, ?backend=wasm or ?backend=cpu.`;
      setStatus("Ready: drop a scan.");
    } else if (message.type === "progress") {
      const p = message.progress;
      progress.value = p.done / p.total;
      const what = p.stage === "segment"
        ? "Segmenting S(x)"
        : p.stage === "segment-sge"
        ? "Segmenting S(G(x))"
        : "Computing G(x)";
      setStatus(`${what}: ${p.done} of ${p.total} slices.`);
    } else if (message.type === "result") {
      state.result = message.result;
      state.needsSpacing = false;
      spacingForm.hidden = true;
      state.status = "done";
      progress.value = 1;
      showResult(message.result);
      setStatus(`Done in ${message.result.seconds.toFixed(1)} s.`);
    } else if (message.reason === "no-spacing") {
      state.status = "ready";
      state.needsSpacing = true;
      progress.value = 0;
      spacingMessage.textContent = `${message.message}. A PNG file does not say how large its ` +
        `pixels are, and the page does not guess: the thickness read-out depends on it. x runs ` +
        `along the PNG columns, y from one slice to the next (file order), z along the rows ` +
        `(depth).`;
      spacingForm.hidden = false;
      spacingInputs[0]!.focus();
      setStatus("Waiting for the voxel spacing of the PNG stack.");
    } else {
      showError(message.message);
    }
  };
  worker.postMessage(
    { type: "init", base: new URL("./", location.href).href, backend: requested } as ToWorker,
  );

  /** Whether a new scan may start now; if so, the page is busy from now on. */
  const claim = (): boolean => {
    if (state.status === "loading" || state.status === "working") return false;
    state.status = "working";
    errorBox.hidden = true;
    state.error = null;
    return true;
  };
  const start = async (
    files: DroppedFile[],
    spacing?: [number, number, number],
    note = "",
  ) => {
    if (files.length === 0) {
      showError("Cannot segment: nothing to read in what was dropped (got no file)");
      return;
    }
    pending = files;
    if (!spacing) {
      state.needsSpacing = false;
      spacingForm.hidden = true;
    }
    const what = files.length === 1 ? files[0]!.name : `${files.length} files`;
    const size = files.reduce((n, f) => n + f.file.size, 0);
    if (size > 2 ** 31) {
      showError(
        `Cannot segment ${what}: the files are too large for this browser's memory (got ${
          (size / 2 ** 30).toFixed(1)
        } GiB)`,
      );
      return;
    }
    progress.value = 0;
    setStatus(`Reading ${what}...${note}`);
    try {
      const read = await Promise.all(
        files.map(async (f) => ({ name: f.name, bytes: await f.file.arrayBuffer() })),
      );
      worker.postMessage(
        { type: "segment", files: read, ...(spacing ? { spacing } : {}) } as ToWorker,
        read.map((f) => f.bytes),
      );
    } catch (error) {
      showError(`Cannot read ${what}: ${messageOf(error)}`);
    }
  };
  fileInput.addEventListener("change", () => {
    const files = [...(fileInput.files ?? [])].map((file) => ({ name: file.name, file }));
    fileInput.value = "";
    if (files.length > 0 && claim()) void start(files);
  });
  spacingForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const values = spacingInputs.map((i) => Number(i.value));
    if (!values.every((v) => Number.isFinite(v) && v > 0) || spacingInputs.some((i) => !i.value)) {
      spacingMessage.textContent = `Cannot use this spacing: x, y and z must each be a positive ` +
        `number of mm (got ${spacingInputs.map((i) => i.value || "nothing").join(", ")})`;
      return;
    }
    if (claim()) void start(pending, values as [number, number, number]);
  });
  // A file dropped beside the drop zone would make the browser open it instead of the page.
  for (const type of ["dragover", "drop"]) {
    globalThis.addEventListener(type, (e) => e.preventDefault());
  }
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const transfer = e.dataTransfer;
    if (!transfer || !claim()) return;
    setStatus("Reading the dropped files...");
    // The entries exist only while the event is handled: take them now, read them after.
    const entries = [...transfer.items]
      .filter((item) => item.kind === "file")
      .map((item) => item.webkitGetAsEntry());
    const fallback = [...transfer.files];
    void filesOfDrop(entries, fallback).then(
      ({ files, ignored }) =>
        start(
          files,
          undefined,
          ignored.length
            ? ` (left out of the dropped folder, as not .png or spacing.json: ${
              ignored.slice(0, 4).join(", ")
            }${ignored.length > 4 ? ` and ${ignored.length - 4} more` : ""})`
            : "",
        ),
      (error) => showError(`Cannot read the dropped files: ${messageOf(error)}`),
    );
  });

  // --- the model and its provenance
  function showModel(m: WebManifest): void {
    const p = m.provenance;
    element("model").textContent = `Model: ${m.method.label} (${m.method.name}), trained on ${
      p.phantom ? "the synthetic phantom" : `dataset ${p.dataset.name}`
    }; input ${m.input.size.join("x")}, ${
      m.sge ? "with and without SGE" : "without a generator (no SGE)"
    }.`;
    const rows: [string, string][] = [
      ["method", `${m.method.label} (${m.method.name})`],
      ["run", `${p.run}, labeled fraction ${p.fraction}, seed ${p.seed}`],
      [
        "data",
        `${p.dataset.name}${p.dataset.description ? `: ${p.dataset.description}` : ""}`,
      ],
      [
        "input",
        `${m.input.size.join("x")} slices (${m.input.fit}), trained on ${
          m.input.trainedDirections.join(" and ")
        }, predicted on ${
          m.input.predictDirection === "both"
            ? "coronal and sagittal (averaged)"
            : m.input.predictDirection
        }; intensities windowed at percentiles ${m.input.percentiles.join("-")}`,
      ],
      [
        "weights",
        `S(x): ${m.weights.plain.checkpoint}${
          m.weights.sge ? `; SGE: ${m.weights.sge.checkpoint}` : ""
        }`,
      ],
      ["trained", `${p.trainedAt} (grn ${p.trainedWith.grn ?? "?"})`],
      ["exported", `${p.exportedAt} (grn ${p.exportedWith})`],
    ];
    const dl = element("provenance");
    dl.replaceChildren(...rows.flatMap(([k, v]) => [make("dt", {}, k), make("dd", {}, v)]));
    if (!m.sge) {
      pathSelect.querySelector('option[value="sge"]')?.remove();
      element("show-g-label").hidden = true;
    }
    const legend = element("legend");
    legend.replaceChildren(
      ...m.labels.slice(1).map((name, i) => {
        const [r, g, b] = m.palette[i + 1]!;
        const item = make("span", { class: "legend-item" });
        const swatch = make("span", { class: "swatch" });
        swatch.style.background = `rgb(${r}, ${g}, ${b})`;
        item.append(
          swatch,
          `${name}${m.shortLabels[i + 1] !== name ? ` (${m.shortLabels[i + 1]})` : ""}`,
        );
        return item;
      }),
    );
  }

  // --- the result: views, read-out, downloads
  let cursor = [0, 0, 0];
  let redraw: () => void = () => {};

  function showResult(result: WebScanResult): void {
    const m = state.manifest!;
    element("result").hidden = false;
    const shape = result.image.shape;
    const spacing = result.image.spacing;
    element("scan-info").textContent = `${result.id}: ${
      result.format === "png-stack" ? "PNG stack" : "NIfTI scan"
    } of ${shape.join("x")} voxels (x, y, z), voxel size ${
      spacing.map((v) => Number(v.toPrecision(4))).join(" x ")
    } mm, depth along ${AXIS_NAMES[result.image.depthAxis ?? m.input.depthAxis]}.`;
    cursor = shape.map((n) => Math.floor(n / 2));
    const planes = planesOf(result.image.depthAxis ?? m.input.depthAxis);
    const views = element("views");
    views.replaceChildren();
    const drawers: (() => void)[] = [];
    const index = (c: number[]) => c[0]! + shape[0] * (c[1]! + shape[1] * c[2]!);
    for (const plane of planes) {
      const rows = shape[plane.rowAxis]!, cols = shape[plane.colAxis]!;
      const box = make("div", { class: "view", "data-plane": plane.key });
      const title = make("h3");
      const pair = make("div", { class: "pair" });
      const scale = 280 / Math.max(cols * spacing[plane.colAxis]!, rows * spacing[plane.rowAxis]!);
      const canvasOf = (caption: string) => {
        const figure = make("figure");
        const canvas = make("canvas", { width: String(cols), height: String(rows) });
        canvas.style.width = `${Math.round(cols * spacing[plane.colAxis]! * scale)}px`;
        canvas.style.height = `${Math.round(rows * spacing[plane.rowAxis]! * scale)}px`;
        canvas.addEventListener("click", (e) => {
          const rect = canvas.getBoundingClientRect();
          cursor[plane.colAxis] = Math.min(
            cols - 1,
            Math.floor((e.clientX - rect.left) / rect.width * cols),
          );
          cursor[plane.rowAxis] = Math.min(
            rows - 1,
            Math.floor((e.clientY - rect.top) / rect.height * rows),
          );
          redraw();
        });
        figure.append(canvas, make("figcaption", {}, caption));
        pair.append(figure);
        return canvas;
      };
      const bmode = canvasOf("B-mode with labels");
      const g = result.enhanced ? canvasOf("G(x), SGE-enhanced") : null;
      const slider = make("input", {
        type: "range",
        min: "0",
        max: String(shape[plane.fixedAxis]! - 1),
        "aria-label": `${plane.title} slice`,
      });
      slider.addEventListener("input", () => {
        cursor[plane.fixedAxis] = Number(slider.value);
        redraw();
      });
      box.append(title, pair, slider);
      views.append(box);
      const paint = (
        canvas: HTMLCanvasElement,
        values: Float32Array,
        labels: Uint8Array | null,
      ) => {
        const ctx = canvas.getContext("2d")!;
        const img = ctx.createImageData(cols, rows);
        const alpha = Number(opacity.value);
        const c = [...cursor];
        for (let r = 0; r < rows; r++) {
          c[plane.rowAxis] = r;
          for (let k = 0; k < cols; k++) {
            c[plane.colAxis] = k;
            const v = index(c);
            const gray = Math.max(0, Math.min(255, (values[v]! + 1) * 127.5));
            const o = 4 * (r * cols + k);
            let rgb = [gray, gray, gray];
            const label = labels ? labels[v]! : 0;
            if (label > 0) {
              const color = m.palette[label] ?? [255, 255, 255];
              rgb = rgb.map((x, q) => (1 - alpha) * x + alpha * color[q]!);
            }
            img.data[o] = rgb[0]!;
            img.data[o + 1] = rgb[1]!;
            img.data[o + 2] = rgb[2]!;
            img.data[o + 3] = 255;
          }
        }
        ctx.putImageData(img, 0, 0);
        // The cursor: the two other planes through this one.
        ctx.fillStyle = "rgba(255, 255, 255, 0.55)";
        ctx.fillRect(0, cursor[plane.rowAxis]!, cols, 1 / 3);
        ctx.fillRect(cursor[plane.colAxis]!, 0, 1 / 3, rows);
      };
      drawers.push(() => {
        const path = pathSelect.value === "sge" && result.sge ? result.sge : result.plain;
        title.textContent = `${plane.title}: ${AXIS_NAMES[plane.fixedAxis]} = ${
          cursor[plane.fixedAxis]
        } of ${shape[plane.fixedAxis]! - 1}`;
        slider.value = String(cursor[plane.fixedAxis]);
        paint(bmode, result.windowed, path.labels.data);
        if (g && result.enhanced) {
          g.parentElement!.hidden = !showG.checked;
          if (showG.checked) paint(g, result.enhanced, null);
        }
      });
    }
    redraw = () => {
      for (const d of drawers) d();
      showReadout(result);
    };
    redraw();
  }

  function showReadout(result: WebScanResult): void {
    const m = state.manifest!;
    const sge = pathSelect.value === "sge" && result.sge !== null;
    const readout: ScanReadout = sge ? result.sge!.readout : result.plain.readout;
    element("readout-path").textContent = sge ? "S(G(x))" : "S(x)";
    const head = make("tr");
    for (
      const h of [
        "layer",
        "median thickness (mm)",
        "mean (mm)",
        "p5-p95 (mm)",
        "present in columns",
        "volume (mm³)",
        "echogenicity mean ± SD",
      ]
    ) head.append(make("th", {}, h));
    const rows = readout.layers.map((l) => {
      const tr = make("tr", { "data-label": String(l.label) });
      const name = make("td");
      const [r, g, b] = m.palette[l.label] ?? [0, 0, 0];
      const swatch = make("span", { class: "swatch" });
      swatch.style.cssText =
        `display:inline-block;width:.8rem;height:.8rem;margin-right:.35rem;background:rgb(${r},${g},${b})`;
      name.append(swatch, l.name);
      const t = l.thicknessMm;
      const e = l.echogenicity;
      tr.append(
        name,
        make("td", {}, formatMm(t.median)),
        make("td", {}, formatMm(t.mean)),
        make("td", {}, `${formatMm(t.p5)}-${formatMm(t.p95)}`),
        make("td", {}, `${(100 * l.presentFraction).toFixed(0)} %`),
        make("td", {}, l.volumeMm3.toFixed(1)),
        make(
          "td",
          {},
          e && Number.isFinite(e.mean) ? `${e.mean.toFixed(3)} ± ${e.sd.toFixed(3)}` : "n/a",
        ),
      );
      return tr;
    });
    element("readout").replaceChildren(head, ...rows);
  }

  pathSelect.addEventListener("change", () => redraw());
  opacity.addEventListener("input", () => redraw());
  showG.addEventListener("change", () => redraw());
  element("download-labels").addEventListener("click", () => {
    const r = state.result;
    if (!r) return;
    const sge = pathSelect.value === "sge" && r.sge !== null;
    download(
      state.nifti(sge ? "sge" : "plain"),
      `${r.id}_labels${sge ? "_sge" : ""}.nii.gz`,
      "application/gzip",
    );
  });
  element("download-csv").addEventListener("click", () => {
    const r = state.result;
    if (!r) return;
    const sge = pathSelect.value === "sge" && r.sge !== null;
    download(
      state.csv(sge ? "sge" : "plain"),
      `${r.id}_layers${sge ? "_sge" : ""}.csv`,
      "text/csv",
    );
  });
}

if (typeof document === "undefined") {
  workerMain(globalThis as unknown as WorkerScope);
} else {
  pageMain();
}
