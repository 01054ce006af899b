import assert from "node:assert/strict";
import { join } from "node:path";
import { writeJsonAtomic } from "../../metrics/write_json_atomic.ts";

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("writeJsonAtomic() round-trips a value and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "results.json");
    const value = { method: "GRN-SSL", dice: [0.5, 0.75], ci: { lower: 0.4, upper: 0.6 } };
    await writeJsonAtomic(path, value);
    const text = await Deno.readTextFile(path);
    assert.deepEqual(JSON.parse(text), value);
    assert.ok(text.endsWith("}\n"));
    assert.ok(text.includes('\n  "method"'), "indented with 2 spaces by default");
    await writeJsonAtomic(path, [NaN, Infinity, 1], { space: 0 });
    assert.equal(await Deno.readTextFile(path), "[null,null,1]\n");
    assert.deepEqual(await listDir(dir), ["results.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeJsonAtomic() rejects unserialisable values without touching the disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(() => writeJsonAtomic(join(dir, "a.json"), cyclic), TypeError);
    await assert.rejects(() => writeJsonAtomic(join(dir, "b.json"), undefined), TypeError);
    await assert.rejects(() => writeJsonAtomic("", {}), TypeError);
    assert.deepEqual(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
