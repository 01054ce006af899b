import assert from "node:assert/strict";
import { join } from "node:path";
import { writeCsvAtomic } from "../../metrics/write_csv_atomic.ts";

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("writeCsvAtomic() writes the CSV, replaces an old file and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "dice.csv");
    await writeCsvAtomic(path, [{ method: "GRN, SSL", dice: 0.689 }]);
    assert.equal(await Deno.readTextFile(path), 'method,dice\n"GRN, SSL",0.689\n');
    await writeCsvAtomic(path, [{ x: 1 }, { x: 2 }], ["x"]);
    assert.equal(await Deno.readTextFile(path), "x\n1\n2\n");
    assert.deepEqual(await listDir(join(dir, "sub")), ["dice.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeCsvAtomic() keeps the old file and removes its temp file when the rename fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The destination is a non-empty folder, so renaming a file over it fails.
    const path = join(dir, "taken");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "keep.txt"), "old");
    await assert.rejects(() => writeCsvAtomic(path, [{ a: 1 }]));
    assert.deepEqual(await listDir(dir), ["taken"]);
    assert.equal(await Deno.readTextFile(join(path, "keep.txt")), "old");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
