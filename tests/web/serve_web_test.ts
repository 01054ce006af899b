import assert from "node:assert/strict";
import { serveWeb } from "../../web/serve_web.ts";
import { PAGE_CSP } from "../../web/_page.ts";

const dir = await Deno.makeTempDir({ prefix: "grn-serve-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
await Deno.mkdir(`${dir}/site/sub`, { recursive: true });
await Deno.writeTextFile(`${dir}/site/index.html`, "<p>page</p>");
await Deno.writeTextFile(`${dir}/site/manifest.json`, "{}");
await Deno.writeFile(`${dir}/site/weights.bin`, new Uint8Array([1, 2, 3, 4]));
await Deno.writeTextFile(`${dir}/site/sub/index.html`, "<p>sub</p>");
await Deno.writeTextFile(`${dir}/secret.txt`, "outside the folder");

Deno.test("serveWeb() serves the folder's files with their types, the CSP and no-cache", async () => {
  const server = await serveWeb(`${dir}/site`);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.port, Number(new URL(server.url).port));
    const index = await fetch(server.url);
    assert.equal(await index.text(), "<p>page</p>");
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(index.headers.get("content-security-policy"), PAGE_CSP);
    assert.equal(index.headers.get("cache-control"), "no-cache");
    const bin = await fetch(`${server.url}weights.bin`);
    assert.equal(bin.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(new Uint8Array(await bin.arrayBuffer()), new Uint8Array([1, 2, 3, 4]));
    const json = await fetch(`${server.url}manifest.json`);
    assert.equal(json.headers.get("content-type"), "application/json; charset=utf-8");
    await json.body?.cancel();
    assert.equal(await (await fetch(`${server.url}sub/`)).text(), "<p>sub</p>");
    const head = await fetch(server.url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveWeb() serves nothing outside the folder, no listing, and only GET and HEAD", async () => {
  const server = await serveWeb(`${dir}/site`);
  try {
    for (
      const path of ["../secret.txt", "%2e%2e/secret.txt", "sub/../../secret.txt", "nope.js", "sub"]
    ) {
      const r = await fetch(`${server.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(await r.text(), /outside the folder/);
    }
    const post = await fetch(server.url, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
    const bad = await fetch(`${server.url}%E0%A4%A`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveWeb() refuses a folder without index.html and a port in use, and stops on its signal", async () => {
  await assert.rejects(
    () => serveWeb(dir),
    /Cannot serve .*: not a web page folder \(got no index\.html\); export one with `grn export RUN --web DIR`/,
  );
  await assert.rejects(
    () => serveWeb(`${dir}/site`, { port: 70000 }),
    /port must be an integer 0\.\.65535 \(got 70000\)/,
  );
  const first = await serveWeb(`${dir}/site`);
  try {
    await assert.rejects(
      () => serveWeb(`${dir}/site`, { port: first.port }),
      new RegExp(`Cannot serve .*site on 127\\.0\\.0\\.1:${first.port}: `),
    );
  } finally {
    await first.shutdown();
  }
  const controller = new AbortController();
  const lines: string[] = [];
  const server = await serveWeb(`${dir}/site`, {
    signal: controller.signal,
    log: (l) => lines.push(l),
  });
  await (await fetch(`${server.url}nope`)).body?.cancel();
  controller.abort();
  await server.finished;
  assert.deepEqual(lines, ["GET /nope 404"]);
  await assert.rejects(() => fetch(server.url));
});
