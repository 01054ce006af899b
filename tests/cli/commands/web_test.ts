import assert from "node:assert/strict";
import { join } from "node:path";
import { demoWebPaths } from "../../../cli/commands/web.ts";
import { webBundleSourceStamp } from "../../../web/export_web.ts";
import { WEB_FILES, type WebManifest } from "../../../web/manifest.ts";
import { PAGE_CSP, PAGE_HTML } from "../../../web/_page.ts";
import { webFixture } from "../../web/_fixture.ts";
import { MAIN_PATH, runMain } from "../_cli.ts";

const fx = await webFixture();

/** Starts `grn web ...args` in a subprocess and returns its address once it listens. */
async function startWeb(args: string[]): Promise<{ url: string; stop: () => Promise<string> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_PATH, "web", ...args, "--json", "--quiet"],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let result: { ok: boolean; url: string } | null = null;
  while (result === null) {
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(`grn web exited with ${status.code} before listening: ${await stderr}`);
    }
    text += value;
    try {
      result = JSON.parse(text);
    } catch {
      // not a whole document yet
    }
  }
  return {
    url: result.url,
    stop: async () => {
      child.kill("SIGTERM");
      await reader.cancel();
      const status = await child.status;
      assert.ok(status.code === 0 || status.signal === "SIGTERM", `exit ${status.code}`);
      return await stderr;
    },
  };
}

Deno.test("grn export without --web is a usage error", async () => {
  const r = await runMain(["export", fx.sslRun]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing --web DIR/);
});

Deno.test("grn export RUN --web DIR writes the page and says how to serve it", async () => {
  const dir = join(fx.dir, "cli-export");
  const r = await runMain(["export", fx.sslRun, "--web", dir, "--bundle", fx.bundle]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^Wrote .*cli-export: GRN-SSL \(grn-ssl\), input 32x32, S\(x\) and SGE S\(G\(x\)\); 9 files, \d+\.\d MiB$/m,
  );
  assert.match(r.stdout, /Serve it: deno task grn web .*cli-export/);
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, WEB_FILES.manifest)));
  assert.equal(manifest.method.name, "grn-ssl");
  const json = await runMain([
    "export",
    fx.supervisedRun,
    "--web",
    dir,
    "--bundle",
    fx.bundle,
    "--json",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  assert.equal(out.manifest.sge, false);
  assert.equal(out.bundleBuilt, false);
});

Deno.test("grn web DIR serves the folder on 127.0.0.1 with the page's security policy", async () => {
  const server = await startWeb([fx.web, "--port", "0"]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("content-security-policy"), PAGE_CSP);
    assert.equal(await index.text(), PAGE_HTML);
    const manifest = await (await fetch(`${server.url}manifest.json`)).json();
    assert.equal(manifest.method.name, "grn-ssl");
    const wasm = await fetch(`${server.url}tfjs-backend-wasm-simd.wasm`);
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
    await wasm.body?.cancel();
  } finally {
    await server.stop();
  }
});

Deno.test("grn web without a folder names deno task demo when the demo's model is missing", async () => {
  const empty = await Deno.makeTempDir({ dir: fx.dir });
  const r = await runMain(["web", "--demo", empty]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Cannot serve the demo page: the demo's GRN-SSL model is missing \(got no .*grn-ssl_f0\.2_s0\/model_sge\.ckpt\); run `deno task demo` first/,
  );
});

Deno.test("grn web without a folder exports the demo's GRN-SSL model and serves it", async () => {
  const demo = join(fx.dir, "demo");
  const { run, web } = demoWebPaths(demo);
  assert.equal(run, join(demo, "cells", "grn-ssl_f0.2_s0"));
  await Deno.mkdir(join(demo, "cells"), { recursive: true });
  await Deno.symlink(fx.sslRun, run);
  // An earlier export with a current bundle, so that the test does not build one.
  await Deno.mkdir(web, { recursive: true });
  await Deno.copyFile(fx.bundle, join(web, WEB_FILES.bundle));
  const manifest: WebManifest = JSON.parse(
    await Deno.readTextFile(join(fx.web, WEB_FILES.manifest)),
  );
  manifest.bundle.sourcesSha256 = await webBundleSourceStamp();
  manifest.method.name = "stale";
  await Deno.writeTextFile(join(web, WEB_FILES.manifest), JSON.stringify(manifest));
  const server = await startWeb(["--demo", demo]);
  try {
    const served = await (await fetch(`${server.url}manifest.json`)).json();
    assert.equal(served.method.name, "grn-ssl");
    assert.equal(served.weights.sge.checkpoint, "model_sge.ckpt");
    assert.equal(await (await fetch(server.url)).text(), PAGE_HTML);
  } finally {
    const stderr = await server.stop();
    assert.match(stderr, /grn web: exporting the demo's GRN-SSL model/);
    assert.match(stderr, /keeping the page's bundle/);
  }
});
