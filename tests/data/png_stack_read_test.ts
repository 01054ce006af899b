import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { encode } from "fast-png";
import { readPngStack } from "../../data/png_stack_read.ts";
import { voxelIndex } from "../../data/volume.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_png_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Pixel value of slice k at (column c, row r): unique per voxel. */
function value(k: number, r: number, c: number): number {
  return 100 * k + 10 * r + c;
}

async function writeSlices(
  dir: string,
  names: string[],
  width: number,
  height: number,
  depth: 8 | 16 = 8,
): Promise<void> {
  for (let k = 0; k < names.length; k++) {
    const data = depth === 8 ? new Uint8Array(width * height) : new Uint16Array(width * height);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        data[r * width + c] = value(k, r, c) % (depth === 8 ? 256 : 65536);
      }
    }
    await Deno.writeFile(join(dir, names[k]!), encode({ width, height, data, depth, channels: 1 }));
  }
}

Deno.test("readPngStack sorts files naturally and stacks them along y by default", async () => {
  await withTempDir(async (dir) => {
    // Written out of order; natural order is f1, f2, f10.
    const names = ["f1.png", "f2.png", "f10.png"];
    await writeSlices(dir, names, 4, 5);
    await Deno.writeTextFile(join(dir, "notes.txt"), "ignored");
    const v = await readPngStack(dir, { spacing: [0.1, 0.5, 0.2] });
    assert.deepEqual(v.shape, [4, 3, 5]); // columns -> x, files -> y, rows -> z
    assert.ok(v.data instanceof Uint8Array);
    assert.equal(v.depthAxis, 2);
    assert.deepEqual(v.spacing, [0.1, 0.5, 0.2]);
    assert.deepEqual(v.affine, [[0.1, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 0.2, 0], [0, 0, 0, 1]]);
    for (let k = 0; k < 3; k++) {
      for (let r = 0; r < 5; r++) {
        for (let c = 0; c < 4; c++) {
          assert.equal(v.data[voxelIndex(v.shape, c, k, r)], value(k, r, c));
        }
      }
    }
  });
});

Deno.test("readPngStack reads 16-bit slices, spacing.json, and stacks along z or x", async () => {
  await withTempDir(async (dir) => {
    await writeSlices(dir, ["a0.png", "a1.png"], 3, 2, 16);
    await Deno.writeTextFile(
      join(dir, "spacing.json"),
      JSON.stringify({ spacing: [0.3, 0.4, 0.5], stackAxis: 2 }),
    );
    const v = await readPngStack(dir);
    assert.ok(v.data instanceof Uint16Array);
    assert.deepEqual(v.shape, [3, 2, 2]); // columns -> x, rows -> y, files -> z
    assert.equal(v.depthAxis, 1);
    assert.deepEqual(v.spacing, [0.3, 0.4, 0.5]);
    assert.equal(v.data[voxelIndex(v.shape, 2, 1, 1)], value(1, 1, 2));
    const x = await readPngStack(dir, { stackAxis: 0, spacing: [1, 1, 1] });
    assert.deepEqual(x.shape, [2, 3, 2]); // files -> x, columns -> y, rows -> z
    assert.equal(x.data[voxelIndex(x.shape, 1, 2, 1)], value(1, 1, 2));
  });
});

Deno.test("readPngStack accepts gray RGB slices and rejects colour ones", async () => {
  await withTempDir(async (dir) => {
    const rgb = new Uint8Array([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
    await Deno.writeFile(
      join(dir, "s.png"),
      encode({ width: 2, height: 2, data: rgb, channels: 3 }),
    );
    const v = await readPngStack(dir, { spacing: [1, 1, 1] });
    assert.deepEqual([...v.data], [10, 20, 30, 40]);
    rgb[9] = 41;
    await Deno.writeFile(
      join(dir, "s.png"),
      encode({ width: 2, height: 2, data: rgb, channels: 3 }),
    );
    await assert.rejects(readPngStack(dir, { spacing: [1, 1, 1] }), {
      message: `Cannot read PNG slice ${join(dir, "s.png")}: colour pixels are not supported, ` +
        "slices must be grayscale (got RGB [41, 40, 40] at column 1, row 1)",
    });
  });
});

Deno.test("readPngStack errors name the folder or file", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(readPngStack(dir, { spacing: [1, 1, 1] }), {
      message: `Cannot read PNG stack ${dir}: no .png files in the folder (got 0)`,
    });
    await writeSlices(dir, ["s1.png"], 4, 5);
    await assert.rejects(readPngStack(dir), {
      message: `Cannot read PNG stack ${dir}: no voxel spacing; pass options.spacing or add ` +
        'spacing.json with {"spacing": [x, y, z]} in mm (got undefined)',
    });
    await Deno.writeTextFile(join(dir, "spacing.json"), '{"spacing": [1, 0, 1]}');
    await assert.rejects(readPngStack(dir), {
      message: `Cannot read PNG stack sidecar ${join(dir, "spacing.json")}: spacing must be ` +
        "three positive numbers in mm (got [1, 0, 1])",
    });
    await Deno.writeTextFile(join(dir, "spacing.json"), '{"spacing": [1, 1, 1]}');
    await writeSlices(dir, ["s2.png"], 4, 6);
    await assert.rejects(readPngStack(dir), {
      message: `Cannot read PNG stack ${dir}: slice s2.png is 4x6 8-bit but s1.png is 4x5 ` +
        "8-bit (got 4x6 8-bit)",
    });
    await Deno.writeFile(join(dir, "s2.png"), new TextEncoder().encode("not a png"));
    await assert.rejects(readPngStack(dir), (e: Error) => {
      assert.match(e.message, new RegExp(`^Cannot read PNG slice ${join(dir, "s2.png")}: `));
      return true;
    });
  });
});

Deno.test("readPngStack skips links and FIFOs named .png and refuses a FIFO sidecar", async () => {
  await withTempDir(async (dir) => {
    await writeSlices(dir, ["s0.png", "s1.png"], 3, 2);
    await Deno.symlink("/dev/zero", join(dir, "s2.png"));
    assert.ok((await new Deno.Command("mkfifo", { args: [join(dir, "s3.png")] }).output()).success);
    const v = await readPngStack(dir, { spacing: [0.1, 0.2, 0.3] });
    assert.deepEqual(v.shape, [3, 2, 2]);
    const sidecar = join(dir, "spacing.json");
    assert.ok((await new Deno.Command("mkfifo", { args: [sidecar] }).output()).success);
    await assert.rejects(readPngStack(dir), {
      message:
        `Cannot read PNG stack sidecar ${sidecar}: not a regular file (got a FIFO (named pipe))`,
    });
  });
});

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG chunk: length, type, data, CRC. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A 4x3 8-bit gray PNG whose IHDR is `ihdr` and whose IDAT is `idat`. */
function png(ihdr: Uint8Array, idat: Uint8Array): Uint8Array {
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function ihdr(width: number, height: number): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = 8; // bit depth
  data[9] = 0; // gray
  return data;
}

Deno.test("readPngStack stops a PNG whose pixel data inflate far beyond its IHDR", async () => {
  await withTempDir(async (dir) => {
    const good = png(ihdr(4, 3), deflateSync(new Uint8Array(3 * 5)));
    await Deno.writeFile(join(dir, "s0.png"), good);
    const v = await readPngStack(dir, { spacing: [0.1, 0.2, 0.3] });
    assert.deepEqual(v.shape, [4, 1, 3]);
    const bomb = png(ihdr(4, 3), deflateSync(new Uint8Array(64 << 20)));
    assert.ok(bomb.length < 100_000);
    await Deno.writeFile(join(dir, "s1.png"), bomb);
    const limit = 15 + 12 + 64 + (1 << 20);
    await assert.rejects(readPngStack(dir, { spacing: [0.1, 0.2, 0.3] }), {
      message: `Cannot read PNG slice ${join(dir, "s1.png")}: pixel data inflate to more than ` +
        `the IHDR implies (expected at most ${limit} bytes for 4x3, 1 channel(s) of 8 bits; got ` +
        `more than ${limit}, decompression stopped)`,
    });
    await Deno.writeFile(
      join(dir, "s1.png"),
      png(ihdr(100000, 100000), deflateSync(new Uint8Array(15))),
    );
    await assert.rejects(readPngStack(dir, { spacing: [0.1, 0.2, 0.3] }), {
      message: `Cannot read PNG slice ${join(dir, "s1.png")}: 100000x100000 pixels need more ` +
        `than 1073741824 bytes (got 10000100000)`,
    });
  });
});
