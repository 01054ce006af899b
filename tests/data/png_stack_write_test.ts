import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { readPngStack } from "../../data/png_stack_read.ts";
import { writePngStack } from "../../data/png_stack_write.ts";
import { LAYER_PALETTE } from "../../data/phantom/palette.ts";
import { affineFromSpacing, type Volume, voxelIndex } from "../../data/volume.ts";
import { Rng } from "../../engine/rng.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_pngw_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function volumeOf<T extends Volume["data"]>(data: T, shape: [number, number, number]): Volume<T> {
  const spacing: [number, number, number] = [0.1, 0.25, 0.05];
  return { data, shape, spacing, affine: affineFromSpacing(spacing) };
}

Deno.test("writePngStack then readPngStack round-trips 8-bit and 16-bit volumes on every axis", async () => {
  const rng = new Rng(9);
  for (const [max, ctor] of [[255, Uint8Array], [60000, Uint16Array]] as const) {
    const data = new ctor(4 * 3 * 5);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(max + 1);
    const volume = volumeOf(data, [4, 3, 5]);
    for (const stackAxis of [0, 1, 2] as const) {
      await withTempDir(async (dir) => {
        const names = await writePngStack(dir, volume, { stackAxis });
        assert.equal(names.length, volume.shape[stackAxis]);
        assert.equal(names[0], "slice_0000.png");
        const back = await readPngStack(dir);
        assert.equal(back.data.constructor, ctor);
        assert.deepEqual(back.shape, volume.shape);
        assert.deepEqual(back.data, volume.data);
        assert.deepEqual(back.spacing, volume.spacing);
        assert.equal(back.depthAxis, stackAxis === 2 ? 1 : 2);
      });
    }
  }
});

Deno.test("writePngStack labels mode colours each label with the palette", async () => {
  await withTempDir(async (dir) => {
    const data = Uint8Array.from({ length: 7 * 2 * 3 }, (_, i) => i % 7);
    const volume = volumeOf(data, [7, 2, 3]);
    await writePngStack(dir, volume, { mode: "labels" });
    const png = decode(await Deno.readFile(join(dir, "slice_0001.png")));
    assert.equal(png.channels, 3);
    assert.equal(png.width, 7);
    assert.equal(png.height, 3);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 7; c++) {
        const label = data[voxelIndex(volume.shape, c, 1, r)]!;
        const p = 3 * (r * 7 + c);
        assert.deepEqual([...png.data.subarray(p, p + 3)], [...LAYER_PALETTE[label]!]);
      }
    }
    await assert.rejects(
      writePngStack(dir, volumeOf(new Uint8Array(42).fill(7), [7, 2, 3]), {
        mode: "labels",
        overwrite: true,
      }),
      {
        message: `Cannot write PNG stack ${dir}: mode "labels" needs integer labels 0..6 (got ` +
          "integers in 7..7)",
      },
    );
  });
});

Deno.test("writePngStack normalize mode maps min..max to 0..255", async () => {
  await withTempDir(async (dir) => {
    const volume = volumeOf(new Float32Array([-1, 0, 1, 0.5]), [2, 1, 2]);
    await assert.rejects(writePngStack(dir, volume), {
      message: `Cannot write PNG stack ${dir}: mode "auto" needs integer values in 0..65535; use ` +
        'mode "normalize" (got fractional values in -1..1)',
    });
    await writePngStack(dir, volume, { mode: "normalize" });
    const back = await readPngStack(dir);
    assert.deepEqual([...back.data], [0, 128, 255, 191]);
  });
});

Deno.test("writePngStack refuses a folder with PNG files unless overwrite is set", async () => {
  await withTempDir(async (dir) => {
    const volume = volumeOf(new Uint8Array(8).fill(3), [2, 2, 2]);
    await writePngStack(dir, volume);
    await assert.rejects(writePngStack(dir, volume), {
      message: `Cannot write PNG stack ${dir}: the folder already holds 2 PNG files; pass ` +
        "overwrite: true to replace them (got slice_0000.png, ...)",
    });
    // Overwriting with fewer slices leaves no stale files.
    await writePngStack(dir, volumeOf(new Uint8Array(4).fill(1), [2, 1, 2]), { overwrite: true });
    const back = await readPngStack(dir);
    assert.deepEqual(back.shape, [2, 1, 2]);
    assert.deepEqual([...back.data], [1, 1, 1, 1]);
  });
});
