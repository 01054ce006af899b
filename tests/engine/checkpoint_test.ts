import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { NonFiniteTensorError, readCheckpoint, writeCheckpoint } from "../../engine/checkpoint.ts";

Deno.test("writeCheckpoint() round-trips tensors and metadata", async () => {
  const dir = await Deno.makeTempDir();
  const a = tf.tensor([1.5, -2], [2]);
  const b = tf.tensor([3, 4, 5, 6], [2, 2], "int32");
  try {
    const path = join(dir, "sub", "x.ckpt");
    await writeCheckpoint(path, [["a", a], ["b", b]], { epoch: 3 });
    const ckpt = await readCheckpoint<{ epoch: number }>(path);
    assert.equal(ckpt.meta.epoch, 3);
    assert.deepEqual([...ckpt.tensors.get("a")!.data], [1.5, -2]);
    assert.deepEqual([...ckpt.tensors.get("b")!.data], [3, 4, 5, 6]);
    assert.deepEqual(ckpt.tensors.get("b")!.shape, [2, 2]);
  } finally {
    tf.dispose([a, b]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeCheckpoint() refuses non-finite weights, naming the file and the tensor, and keeps the old file", async () => {
  const dir = await Deno.makeTempDir();
  const good = tf.tensor([1, 2, 3], [3]);
  const bad = tf.tensor([1, NaN, Infinity], [3]);
  try {
    const path = join(dir, "last.ckpt");
    await writeCheckpoint(path, [["S/w", good]], { epoch: 1 });
    const before = await Deno.readFile(path);
    await assert.rejects(
      () => writeCheckpoint(path, [["S/w", good], ["G/w", bad]], { epoch: 2 }),
      (error: Error) => {
        assert.ok(error instanceof NonFiniteTensorError);
        assert.equal(error.tensor, "G/w");
        assert.equal(error.count, 2);
        assert.equal(
          error.message,
          `Cannot write checkpoint ${path}: tensor G/w holds 2 non-finite values (got NaN at ` +
            "index 1); training diverged, the previous checkpoint is kept",
        );
        return true;
      },
    );
    assert.deepEqual(await Deno.readFile(path), before);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["last.ckpt"]);
  } finally {
    tf.dispose([good, bad]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCheckpoint() names the file when the header is corrupt", async () => {
  const dir = await Deno.makeTempDir();
  const a = tf.tensor([1, 2], [2]);
  try {
    const path = join(dir, "c.ckpt");
    await writeCheckpoint(path, [["a", a]], { epoch: 1 });
    const bytes = await Deno.readFile(path);
    bytes[12] = "#".charCodeAt(0); // the first byte of the JSON header
    await Deno.writeFile(path, bytes);
    await assert.rejects(() => readCheckpoint(path), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`^Cannot read checkpoint ${path}: corrupt header \\(got `),
      );
      return true;
    });
  } finally {
    a.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
