import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  gunzipIfNeeded,
  naturalCompare,
  shortestFloat32,
  writeFileAtomic,
} from "../../data/_file_io.ts";

Deno.test("naturalCompare orders digit runs numerically", () => {
  const names = ["s10.png", "s2.png", "s1.png", "s02.png", "a.png", "s1b.png", "s100.png"];
  assert.deepEqual(names.sort(naturalCompare), [
    "a.png",
    "s1.png",
    "s1b.png",
    "s2.png",
    "s02.png",
    "s10.png",
    "s100.png",
  ]);
});

Deno.test("shortestFloat32 recovers the decimal a float32 field was written from", () => {
  for (const v of [0.1, 0.2, 0.05, -12.3, 4.5, 0.7, 1e-4, 123.456]) {
    assert.equal(shortestFloat32(Math.fround(v)), v);
  }
  assert.equal(shortestFloat32(0), 0);
  assert.ok(Number.isNaN(shortestFloat32(NaN)));
  // A value needing all nine digits stays a float32 value.
  const f = Math.fround(1 / 3);
  assert.equal(Math.fround(shortestFloat32(f)), f);
});

Deno.test("gunzipIfNeeded passes raw bytes through and reads all gzip members", () => {
  const raw = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  assert.equal(gunzipIfNeeded(raw, "r"), raw);
  const a = gzipSync(raw.subarray(0, 300));
  const b = gzipSync(raw.subarray(300));
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  assert.deepEqual(gunzipIfNeeded(joined, "j"), raw);
});

Deno.test("writeFileAtomic replaces the file and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "grn_io_" });
  try {
    const path = join(dir, "f.bin");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4, 5]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([4, 5]));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["f.bin"]);
    await assert.rejects(writeFileAtomic(join(dir, "missing", "f.bin"), new Uint8Array(1)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
