/**
 * `grn web`: serve an exported web page on this machine; without a folder, the demo's model.
 * @module
 */
import { join } from "node:path";
import type { Command } from "../_command.ts";
import { benchPreset, cellName } from "../../comparison/grid.ts";
import { cellDir } from "../../comparison/run_grid.ts";
import { exportWeb } from "../../web/export_web.ts";
import { serveWeb } from "../../web/serve_web.ts";

/** The demo's GRN-SSL run inside a demo folder, and where its page is cached. */
export function demoWebPaths(demoDir: string): { run: string; web: string } {
  const settings = benchPreset("demo");
  const fraction = settings.groups.find((g) => g.methods.includes("grn-ssl"))?.fractions[0] ?? 0.2;
  const run = cellDir(demoDir, { name: cellName("grn-ssl", fraction, settings.seeds[0] ?? 0) });
  return { run, web: join(demoDir, "web") };
}

/** The `web` command. */
export const command: Command = {
  name: "web",
  summary: "serve a web page that segments scans in the browser (default: the demo's model)",
  description:
    "Serves a folder written by `grn export RUN --web DIR` on this machine (127.0.0.1 unless\n" +
    "--host says otherwise) and prints its address; open it in a browser and drop a .nii or\n" +
    "a .nii.gz scan, or the .png slices of a PNG stack (with its spacing.json, or type the\n" +
    "spacing in). Without a folder it serves the GRN-SSL model of `deno task demo`\n" +
    "(exported to <demo>/web on first use, again when the model or the SDK changed). Stops on\n" +
    "Ctrl-C.",
  positionals: [{ name: "dir", description: "exported web folder", required: false }],
  options: [
    {
      name: "port",
      short: "p",
      kind: "integer",
      min: 0,
      max: 65535,
      default: 0,
      description: "port (0: a free one)",
    },
    {
      name: "host",
      kind: "string",
      placeholder: "ADDR",
      default: "127.0.0.1",
      description: "address to listen on",
    },
    {
      name: "demo",
      kind: "string",
      placeholder: "DIR",
      default: "runs/demo",
      description: "demo folder whose GRN-SSL model is served when no folder is given",
    },
    { name: "quiet", short: "q", kind: "boolean", description: "no line per request" },
  ],
  examples: ["grn web", "grn web site/ --port 8123"],
  async run({ args, out }) {
    const v = args.values;
    let dir = args.positionals.dir;
    if (dir === undefined) {
      const demo = (v.demo as string | undefined) ?? "runs/demo";
      const { run, web } = demoWebPaths(demo);
      const model = join(run, "model_sge.ckpt");
      if (!await Deno.stat(model).then((s) => s.isFile, () => false)) {
        throw new Error(
          `Cannot serve the demo page: the demo's GRN-SSL model is missing (got no ${model}); run \`deno task demo\` first, or give an exported folder`,
        );
      }
      out.note(`grn web: exporting the demo's GRN-SSL model (${run}) to ${web}`);
      await exportWeb(run, web, {
        reuseBundle: true,
        log: (line) => out.note(`grn web: ${line}`),
      });
      dir = web;
    }
    const quiet = v.quiet === true;
    const controller = new AbortController();
    const stop = () => controller.abort();
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    for (const s of signals) Deno.addSignalListener(s, stop);
    try {
      const server = await serveWeb(dir, {
        port: (v.port as number | undefined) ?? 0,
        hostname: (v.host as string | undefined) ?? "127.0.0.1",
        signal: controller.signal,
        log: quiet ? () => {} : (line) => out.note(`grn web: ${line}`),
      });
      out.result(
        { ok: true, url: server.url, dir: server.dir, port: server.port },
        () => `Serving ${server.dir} at ${server.url} (Ctrl-C to stop)`,
      );
      await server.finished;
    } finally {
      for (const s of signals) Deno.removeSignalListener(s, stop);
    }
    return 0;
  },
};
