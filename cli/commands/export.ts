/**
 * `grn export`: a trained run as a static web page that segments scans in the browser.
 * @module
 */
import type { Command } from "../_command.ts";
import { UsageError } from "../_errors.ts";
import { BACKEND_OPTION } from "../_shared_options.ts";
import type { BackendChoice } from "../../engine/init_engine.ts";
import { exportWeb, type ExportWebOptions } from "../../web/export_web.ts";

/** The `export` command. */
export const command: Command = {
  name: "export",
  summary: "export a run as a static web page that segments scans in the browser",
  description:
    "Writes a self-contained static folder: index.html, one JavaScript bundle built from the\n" +
    "SDK's own networks, kernels, NIfTI codec and read-out (deno bundle), TensorFlow.js's\n" +
    "WebAssembly files, the run's weights (weights.bin: S of model.ckpt; weights_sge.bin: S and\n" +
    "G of model_sge.ckpt) and manifest.json (method, input size, slice directions,\n" +
    "normalisation, labels, palette, SGE flag, provenance). In the page a dropped .nii/.nii.gz\n" +
    "scan or PNG stack is segmented in the browser as `grn predict` does, with and without SGE; nothing is\n" +
    "uploaded. Serve the folder from any static web host, or with `grn web DIR`. Exporting into\n" +
    "an earlier export replaces it and keeps its bundle when the SDK sources are unchanged.",
  positionals: [{ name: "model", description: "run folder (or a .ckpt file inside one)" }],
  options: [
    {
      name: "web",
      kind: "string",
      placeholder: "DIR",
      description: "folder of the web page (new, empty, or an earlier export), required",
    },
    {
      name: "bundle",
      kind: "string",
      placeholder: "FILE",
      description: "copy this prebuilt grn_web.js instead of building the bundle",
    },
    {
      name: "rebuild",
      kind: "boolean",
      description: "build the bundle even when an earlier export's bundle is current",
    },
    BACKEND_OPTION,
  ],
  examples: [
    "grn export runs/demo/cells/grn-ssl_f0.2_s0 --web site/",
    "grn web site/",
  ],
  async run({ args, out }) {
    const v = args.values;
    if (v.web === undefined) {
      throw new UsageError("missing --web DIR (the folder of the web page to write)");
    }
    const dir = v.web as string;
    const options: ExportWebOptions = {
      reuseBundle: v.rebuild !== true,
      backend: (v.backend as BackendChoice | undefined) ?? "auto",
      log: (line) => out.note(`grn export: ${line}`),
    };
    if (v.bundle !== undefined) options.bundle = v.bundle as string;
    const r = await exportWeb(args.positionals.model!, dir, options);
    const m = r.manifest;
    out.result(
      {
        ok: true,
        dir: r.dir,
        files: r.files,
        bytes: r.bytes,
        bundleBuilt: r.bundleBuilt,
        manifest: m,
      },
      () =>
        [
          `Wrote ${r.dir}: ${m.method.label} (${m.method.name}), input ${m.input.size.join("x")}, ${
            m.sge ? "S(x) and SGE S(G(x))" : "S(x)"
          }; ${r.files.length} files, ${(r.bytes / 2 ** 20).toFixed(1)} MiB`,
          `Serve it: deno task grn web ${r.dir}   (or copy the folder to any static web host)`,
        ].join("\n"),
    );
    return 0;
  },
};
