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

/** Writes a small checkpoint in `dir` and returns its path and bytes. */
async function smallCheckpoint(dir: string): Promise<{ path: string; bytes: Uint8Array }> {
  const a = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor([7, 8], [2], "int32");
  try {
    const path = join(dir, "c.ckpt");
    await writeCheckpoint(path, [["a", a], ["b", b]], { epoch: 12, note: "x" });
    return { path, bytes: await Deno.readFile(path) };
  } finally {
    tf.dispose([a, b]);
  }
}

Deno.test("readCheckpoint() refuses a checkpoint with 4 bytes overwritten (checksum)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path, bytes } = await smallCheckpoint(dir);
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + 120));
    assert.match(header, /^\{"checksum":"sha256:[0-9a-f]{64}","version":2,/);
    // In the tensor data, in the metadata (still valid JSON: epoch 12 -> 99), in the checksum.
    const metaAt = 12 + header.indexOf('"epoch":12') + 8;
    for (const at of [bytes.length - 4, bytes.length - 20, metaAt, 12 + 20]) {
      const bad = bytes.slice();
      bad.set(at === metaAt ? new TextEncoder().encode("99") : [1, 2, 3, 4], at);
      await Deno.writeFile(path, bad);
      await assert.rejects(() => readCheckpoint(path), (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `^Cannot read checkpoint ${path}: checksum mismatch, the file is corrupt \\(expected sha256:`,
          ),
        );
        return true;
      }, `overwritten at ${at}`);
    }
    await Deno.writeFile(path, bytes);
    assert.equal((await readCheckpoint<{ epoch: number }>(path)).meta.epoch, 12);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCheckpoint() refuses a checkpoint concatenated with itself", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path, bytes } = await smallCheckpoint(dir);
    const twice = new Uint8Array(2 * bytes.length);
    twice.set(bytes, 0);
    twice.set(bytes, bytes.length);
    await Deno.writeFile(path, twice);
    await assert.rejects(
      () => readCheckpoint(path),
      /^Error: Cannot read checkpoint .*c\.ckpt: checksum mismatch/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A checkpoint in the layout grn wrote before checksums (header version 1). */
function versionOneCheckpoint(): Uint8Array {
  const data = new Float32Array([1.5, -2, 3]);
  const header = new TextEncoder().encode(JSON.stringify({
    version: 1,
    meta: { epoch: 4 },
    tensors: [{ name: "w", shape: [3], dtype: "float32", offset: 0, length: 3 }],
  }));
  const pad = (4 - ((12 + header.byteLength) % 4)) % 4;
  const out = new Uint8Array(12 + header.byteLength + pad + 12);
  out.set(new TextEncoder().encode("GRNCKPT1"), 0);
  new DataView(out.buffer).setUint32(8, header.byteLength + pad, true);
  out.set(header, 12);
  out.fill(0x20, 12 + header.byteLength, 12 + header.byteLength + pad);
  out.set(new Uint8Array(data.buffer), 12 + header.byteLength + pad);
  return out;
}

Deno.test("readCheckpoint() still loads checkpoints without a checksum (version 1)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "old.ckpt");
    const old = versionOneCheckpoint();
    await Deno.writeFile(path, old);
    const ckpt = await readCheckpoint<{ epoch: number }>(path);
    assert.equal(ckpt.meta.epoch, 4);
    assert.deepEqual([...ckpt.tensors.get("w")!.data], [1.5, -2, 3]);
    // Concatenated with itself: the bytes after the last tensor give it away.
    const twice = new Uint8Array(2 * old.length);
    twice.set(old, 0);
    twice.set(old, old.length);
    await Deno.writeFile(path, twice);
    await assert.rejects(() => readCheckpoint(path), {
      message: `Cannot read checkpoint ${path}: ${old.length} bytes after the last tensor, the ` +
        `file is corrupt or concatenated (expected ${old.length} bytes, got ${twice.length})`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCheckpoint() refuses a version-2 header whose checksum field was damaged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { path, bytes } = await smallCheckpoint(dir);
    const bad = bytes.slice();
    bad.set(new TextEncoder().encode("chex"), 12 + 2); // "checksum" -> "chexksum"
    await Deno.writeFile(path, bad);
    await assert.rejects(() => readCheckpoint(path), {
      message: `Cannot read checkpoint ${path}: corrupt header, its checksum is missing (got ` +
        `version 2 without "checksum")`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCheckpoint() refuses a FIFO or /dev/zero without hanging, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = join(dir, "pipe.ckpt");
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await assert.rejects(() => readCheckpoint(fifo), {
      message: `Cannot read checkpoint ${fifo}: not a regular file (got a FIFO)`,
    });
    const zero = join(dir, "zero.ckpt");
    await Deno.symlink("/dev/zero", zero);
    await assert.rejects(() => readCheckpoint(zero), {
      message: `Cannot read checkpoint ${zero}: not a regular file (got a device or socket)`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
