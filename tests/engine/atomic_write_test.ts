import assert from "node:assert/strict";
import { join } from "node:path";
import {
  FileWriteError,
  removeStaleTempFiles,
  writeFileAtomic,
} from "../../engine/atomic_write.ts";

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("writeFileAtomic() writes bytes and text, replaces the old file, leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "a.bin");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, "héllo");
    assert.equal(await Deno.readTextFile(path), "héllo");
    assert.deepEqual(await names(dir), ["a.bin"]);
    await writeFileAtomic(join(dir, "x", "y", "b.txt"), "b", { mkdir: true });
    assert.equal(await Deno.readTextFile(join(dir, "x", "y", "b.txt")), "b");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() names the path when the folder is missing and creates nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "missing", "a.txt");
    await assert.rejects(() => writeFileAtomic(path, "x"), (error: Error) => {
      assert.ok(error instanceof FileWriteError);
      assert.equal(
        error.message,
        `Cannot write ${path}: the folder does not exist (got ${join(dir, "missing")})`,
      );
      return true;
    });
    assert.deepEqual(await names(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() keeps the old content and removes its temp file when the rename fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "taken");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "keep.txt"), "old");
    await assert.rejects(() => writeFileAtomic(path, "new"), FileWriteError);
    assert.deepEqual(await names(dir), ["taken"]);
    assert.equal(await Deno.readTextFile(join(path, "keep.txt")), "old");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeStaleTempFiles() removes *.tmp files in the folder and one level down only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "stage", "deeper"), { recursive: true });
    for (const f of [".last.ckpt.1.2.0.tmp", "history.json.9.tmp", "keep.json"]) {
      await Deno.writeTextFile(join(dir, f), "");
    }
    await Deno.writeTextFile(join(dir, "stage", ".best.ckpt.1.2.3.tmp"), "");
    await Deno.writeTextFile(join(dir, "stage", "deeper", "x.tmp"), "");
    const removed = await removeStaleTempFiles(dir);
    assert.deepEqual(
      removed.sort(),
      [
        join(dir, ".last.ckpt.1.2.0.tmp"),
        join(dir, "history.json.9.tmp"),
        join(dir, "stage", ".best.ckpt.1.2.3.tmp"),
      ].sort(),
    );
    assert.deepEqual(await names(dir), ["keep.json", "stage"]);
    assert.deepEqual(await names(join(dir, "stage", "deeper")), ["x.tmp"]);
    assert.deepEqual(await removeStaleTempFiles(join(dir, "absent")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
