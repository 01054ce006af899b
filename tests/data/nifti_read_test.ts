import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeNifti, readNifti, readNiftiFile } from "../../data/nifti_read.ts";
import { encodeNifti } from "../../data/nifti_write.ts";
import type { Volume } from "../../data/volume.ts";
import { Rng } from "../../engine/rng.ts";
import { assertClose } from "../_helpers.ts";

function volume(n = [6, 5, 4] as [number, number, number], seed = 5): Volume<Int16Array> {
  const rng = new Rng(seed);
  const data = new Int16Array(n[0] * n[1] * n[2]);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(2000) - 1000;
  return {
    data,
    shape: n,
    spacing: [0.3, 0.4, 0.5],
    affine: [[0.3, 0, 0, 1], [0, 0.4, 0, 2], [0, 0, 0.5, 3], [0, 0, 0, 1]],
  };
}

function patch(bytes: Uint8Array, fn: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  fn(new DataView(copy.buffer));
  return copy;
}

function gz(bytes: Uint8Array): Uint8Array {
  const out = gzipSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_nifti_read_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readNifti reads every member of a multi-member gzip file", async () => {
  await withTempDir(async (dir) => {
    const v = volume([40, 30, 20]);
    const raw = encodeNifti(v);
    const half = Math.floor(raw.length / 2);
    const a = gz(raw.subarray(0, half));
    const b = gz(raw.subarray(half));
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a, 0);
    joined.set(b, a.length);
    const path = join(dir, "multi.nii.gz");
    await Deno.writeFile(path, joined);
    const back = await readNifti(path);
    assert.deepEqual(back.shape, [40, 30, 20]);
    assert.deepEqual(back.data, v.data);
  });
});

Deno.test("readNifti applies scl_slope and scl_inter, giving float32 values", () => {
  const v = volume();
  const bytes = patch(encodeNifti(v), (d) => {
    d.setFloat32(112, 0.5, true);
    d.setFloat32(116, -3, true);
  });
  const back = decodeNifti(bytes).volume;
  assert.ok(back.data instanceof Float32Array);
  assert.deepEqual(back.data, Float32Array.from(v.data, (x) => 0.5 * x - 3));
  // Without scaling the stored integers come back.
  const unscaled = decodeNifti(bytes, { applyScaling: false }).volume;
  assert.deepEqual(unscaled.data, v.data);
  // scl_slope 0 means "no scaling".
  const zero = decodeNifti(patch(bytes, (d) => d.setFloat32(112, 0, true))).volume;
  assert.deepEqual(zero.data, v.data);
});

Deno.test("readNifti with dtype float32 converts integer data", () => {
  const v = volume();
  const back = decodeNifti(encodeNifti(v), { dtype: "float32" }).volume;
  assert.ok(back.data instanceof Float32Array);
  assert.deepEqual(back.data, Float32Array.from(v.data));
});

Deno.test("readNifti uses the qform when sform_code is 0, and the spacing when both are 0", () => {
  const v = volume();
  const noSform = patch(encodeNifti(v), (d) => d.setInt16(254, 0, true));
  const q = decodeNifti(noSform);
  assert.equal(q.header.affineSource, "qform");
  assertClose(q.volume.affine.flat(), v.affine.flat(), 1e-7);
  const neither = patch(noSform, (d) => d.setInt16(252, 0, true));
  const s = decodeNifti(neither);
  assert.equal(s.header.affineSource, "none");
  assert.deepEqual(s.volume.affine, [[0.3, 0, 0, 0], [0, 0.4, 0, 0], [0, 0, 0.5, 0], [0, 0, 0, 1]]);
  assert.deepEqual(s.volume.spacing, [0.3, 0.4, 0.5]);
});

Deno.test("readNifti converts metre and micron units to millimetres", () => {
  const v = volume();
  const metres = patch(encodeNifti(v), (d) => {
    d.setUint8(123, 1); // NIFTI_UNITS_METER
    [0.0003, 0.0004, 0.0005].forEach((s, i) => d.setFloat32(80 + 4 * i, s, true));
    d.setInt16(254, 0, true);
    d.setInt16(252, 0, true);
  });
  assert.deepEqual(decodeNifti(metres).volume.spacing, [0.3, 0.4, 0.5]);
  const microns = patch(encodeNifti(v), (d) => {
    d.setUint8(123, 3); // NIFTI_UNITS_MICRON
    [300, 400, 500].forEach((s, i) => d.setFloat32(80 + 4 * i, s, true));
    [300, 400, 500].forEach((s, i) => d.setFloat32(280 + 20 * i, s, true));
    [1000, 2000, 3000].forEach((o, i) => d.setFloat32(292 + 16 * i, o, true));
  });
  const m = decodeNifti(microns).volume;
  assert.deepEqual(m.spacing, [0.3, 0.4, 0.5]);
  assert.deepEqual(m.affine, v.affine);
});

Deno.test("readNifti accepts a 4-D file with a single volume and a 2-D file", () => {
  const v = volume();
  const four = patch(encodeNifti(v), (d) => {
    d.setInt16(40, 4, true);
    d.setInt16(48, 1, true);
  });
  const back = decodeNifti(four).volume;
  assert.deepEqual(back.shape, [6, 5, 4]);
  assert.deepEqual(back.data, v.data);
  const flat = volume([6, 5, 1]);
  const two = patch(encodeNifti(flat), (d) => d.setInt16(40, 2, true));
  assert.deepEqual(decodeNifti(two).volume.shape, [6, 5, 1]);
});

Deno.test("readNifti falls back to the given spacing only when the header has none", () => {
  const v = volume();
  const noSpacing = patch(encodeNifti(v), (d) => {
    [0, 0, 0].forEach((s, i) => d.setFloat32(80 + 4 * i, s, true));
    d.setInt16(252, 0, true);
    d.setInt16(254, 0, true);
  });
  assert.throws(() => decodeNifti(noSpacing, { file: "a.nii" }), {
    message: "Cannot read NIfTI file a.nii: missing voxel spacing: pixdim[1..3] is [0, 0, 0] " +
      "and no positive fallback spacing was given (got undefined)",
  });
  const back = decodeNifti(noSpacing, { spacing: [1, 2, 3] }).volume;
  assert.deepEqual(back.spacing, [1, 2, 3]);
  assert.deepEqual(back.affine, [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]);
  // Header spacing wins over the fallback.
  assert.deepEqual(decodeNifti(encodeNifti(v), { spacing: [1, 2, 3] }).volume.spacing, [
    0.3,
    0.4,
    0.5,
  ]);
  // With an sform but zero pixdim, the sform's column lengths give the spacing.
  const sformOnly = patch(encodeNifti(v), (d) => {
    [0, 0, 0].forEach((s, i) => d.setFloat32(80 + 4 * i, s, true));
  });
  assert.deepEqual(decodeNifti(sformOnly).volume.spacing, [0.3, 0.4, 0.5]);
});

Deno.test("readNifti errors name the file and what was wrong", async () => {
  const v = volume();
  const good = encodeNifti(v);
  const cases: Array<[Uint8Array, string]> = [
    [
      new TextEncoder().encode("hello, this is not an image".repeat(20)),
      "not a NIfTI file: sizeof_hdr must be 348 or 540 (got 1819043176)",
    ],
    [new Uint8Array(10), "file is too short for a NIfTI header (got 10 bytes, expected >= 348)"],
    [
      patch(good, (d) => {
        d.setInt16(70, 32, true);
        d.setInt16(72, 64, true);
      }),
      "unsupported datatype code 32 (complex64) (got 32, supported: uint8, int8, int16, uint16, " +
      "int32, uint32, float32, float64)",
    ],
    [
      good.subarray(0, good.length - 10),
      "truncated data: expected 240 bytes of voxels after offset 352 for shape [6, 5, 4] int16 " +
      "(got 230)",
    ],
    [
      patch(good, (d) => {
        d.setInt16(40, 5, true);
        d.setInt16(48, 1, true);
        d.setInt16(50, 3, true);
      }),
      "5-D image with dim [6, 5, 4, 1, 3] is not supported (got dim[0]=5); only 3-D images or " +
      "4-D with a single volume",
    ],
    [
      patch(good, (d) => {
        d.setInt16(40, 4, true);
        d.setInt16(48, 2, true);
      }),
      "4-D image with dim [6, 5, 4, 2] is not supported (got dim[0]=4); only 3-D images or 4-D " +
      "with a single volume",
    ],
    [
      patch(good, (d) => d.setUint8(345, 0x69)),
      'this is the header of a .hdr/.img pair, which is not supported (got magic "ni1"); convert ' +
      "it to a single .nii file",
    ],
    [
      patch(good, (d) => d.setUint8(344, 0)),
      'not a NIfTI-1 file: bad magic (got "\\u0000+1", expected "n+1"); ANALYZE 7.5 files are ' +
      "not supported",
    ],
    [
      patch(good, (d) => d.setInt16(72, 8, true)),
      "bitpix does not match datatype int16 (got 8, expected 16)",
    ],
    [gz(good).subarray(0, 100), ""],
  ];
  for (const [bytes, message] of cases) {
    if (message === "") {
      assert.throws(() => decodeNifti(bytes, { file: "x.nii.gz" }), (e: Error) => {
        assert.match(
          e.message,
          /^Cannot read NIfTI file x\.nii\.gz: corrupt or truncated gzip data \(got 100 bytes: .+\)$/,
        );
        return true;
      });
      continue;
    }
    assert.throws(() => decodeNifti(bytes, { file: "x.nii" }), {
      message: `Cannot read NIfTI file x.nii: ${message}`,
    });
  }
  await assert.rejects(readNifti("/nonexistent/missing.nii.gz"), (e: Error) => {
    assert.match(e.message, /^Cannot read NIfTI file \/nonexistent\/missing\.nii\.gz: /);
    return true;
  });
});

Deno.test("readNifti skips header extensions (vox_offset beyond 352)", () => {
  const v = volume();
  const plain = encodeNifti(v);
  // Insert one 16-byte extension (esize 16, ecode 6 = comment) between header and voxels.
  const withExt = new Uint8Array(plain.length + 16);
  withExt.set(plain.subarray(0, 352), 0);
  withExt.set(plain.subarray(352), 368);
  const d = new DataView(withExt.buffer);
  d.setUint8(348, 1); // extension flag
  d.setInt32(352, 16, true);
  d.setInt32(356, 6, true);
  withExt.set(new TextEncoder().encode("comment"), 360); // 8 bytes of payload at most
  d.setFloat32(108, 368, true); // vox_offset
  const { volume: back, header } = decodeNifti(withExt);
  assert.equal(header.voxOffset, 368);
  assert.deepEqual(back.data, v.data);
});

/**
 * A valid 24x24x32 uint8 NIfTI file followed by `count` gzip members of 16 MiB of zeros
 * (default: ~3 MB of them, ~3 GB inflated).
 */
function gzipBomb(count?: number): { bytes: Uint8Array; inflated: number } {
  const shape: [number, number, number] = [24, 24, 32];
  const v: Volume = {
    data: new Uint8Array(24 * 24 * 32),
    shape,
    spacing: [0.2, 0.2, 0.1],
    affine: [[0.2, 0, 0, 0], [0, 0.2, 0, 0], [0, 0, 0.1, 0], [0, 0, 0, 1]],
  };
  const head = gz(encodeNifti(v));
  const zeros = gz(new Uint8Array(16 << 20));
  const members = count ?? Math.floor(3e6 / zeros.length);
  const bytes = new Uint8Array(head.length + members * zeros.length);
  bytes.set(head, 0);
  for (let i = 0; i < members; i++) bytes.set(zeros, head.length + i * zeros.length);
  return { bytes, inflated: 352 + 24 * 24 * 32 + members * (16 << 20) };
}

Deno.test("readNifti stops inflating a gzip bomb at the size the header implies", async () => {
  const { bytes, inflated } = gzipBomb();
  assert.ok(bytes.length < 3.1e6 && inflated > 2.9e9);
  const limit = 352 + 24 * 24 * 32 + (1 << 20);
  const rss0 = Deno.memoryUsage().rss;
  const t0 = performance.now();
  assert.throws(() => decodeNifti(bytes, { file: "bomb.nii.gz" }), {
    message: `Cannot read NIfTI file bomb.nii.gz: gzip data inflate to more than the header ` +
      `implies (expected at most ${limit} bytes: vox_offset 352 + 18432 bytes of voxels for ` +
      `shape [24, 24, 32] uint8 + a margin of 1048576; got more than ${limit}, decompression ` +
      `stopped)`,
  });
  assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
  assert.ok(Deno.memoryUsage().rss - rss0 < 256e6, "memory stayed bounded");
  await withTempDir(async (dir) => {
    // Read from a file, the 3 MB bomb is refused by its compressed size alone, unread.
    const path = join(dir, "bomb.nii.gz");
    await Deno.writeFile(path, bytes);
    await assert.rejects(readNifti(path), (e: Error) => {
      assert.match(
        e.message,
        /^Cannot read NIfTI file .*bomb\.nii\.gz: the file is larger than its header implies .*; got \d+\); it was not read$/,
      );
      return true;
    });
    // A smaller bomb (60 kB inflating to 64 MB) passes that check and is stopped by inflation.
    const small = gzipBomb(4).bytes;
    assert.ok(small.length < 100_000);
    await Deno.writeFile(path, small);
    await assert.rejects(readNifti(path), (e: Error) => {
      assert.match(e.message, /^Cannot read NIfTI file .*bomb\.nii\.gz: gzip data inflate to more/);
      return true;
    });
  });
});

Deno.test("readNifti accepts trailing bytes within the margin and refuses more", () => {
  const v = volume();
  const plain = encodeNifti(v);
  const within = new Uint8Array(plain.length + 1000);
  within.set(plain);
  assert.deepEqual(decodeNifti(within).volume.data, v.data);
  assert.deepEqual(decodeNifti(gz(within)).volume.data, v.data);
  const over = new Uint8Array(plain.length + (1 << 20) + 1);
  over.set(plain);
  const limit = plain.length + (1 << 20);
  assert.throws(() => decodeNifti(over, { file: "big.nii" }), (e: Error) => {
    assert.match(e.message, /^Cannot read NIfTI file big\.nii: .*expected at most/);
    assert.ok(e.message.includes(`${limit} bytes`));
    return true;
  });
  assert.throws(() => decodeNifti(gz(over), { file: "big.nii.gz" }), /got more than/);
});

Deno.test("readNifti refuses a FIFO and a symbolic link to /dev/zero without hanging", async () => {
  await withTempDir(async (dir) => {
    const fifo = join(dir, "pipe.nii");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success);
    await assert.rejects(readNifti(fifo), {
      message: `Cannot read NIfTI file ${fifo}: not a regular file (got a FIFO (named pipe))`,
    });
    const zero = join(dir, "zero.nii.gz");
    await Deno.symlink("/dev/zero", zero);
    await assert.rejects(readNifti(zero), {
      message:
        `Cannot read NIfTI file ${zero}: not a regular file (got a character device at /dev/zero)`,
    });
    await assert.rejects(readNifti(dir), /not a regular file \(got a folder\)/);
  });
});

Deno.test("readNiftiFile refuses links leaving root unless allowExternalLinks", async () => {
  await withTempDir(async (outside) => {
    await withTempDir(async (root) => {
      const v = volume();
      await Deno.writeFile(join(outside, "real.nii"), encodeNifti(v));
      await Deno.writeFile(join(root, "inside.nii"), encodeNifti(v));
      await Deno.symlink(join(outside, "real.nii"), join(root, "out.nii"));
      await Deno.symlink(join(root, "inside.nii"), join(root, "in.nii"));
      const out = join(root, "out.nii");
      const target = await Deno.realPath(join(outside, "real.nii"));
      await assert.rejects(readNiftiFile(out, { root }), (e: Error) => {
        assert.equal(
          e.message,
          `Cannot read NIfTI file ${out}: it is a symbolic link (or inside a linked folder) ` +
            `whose target leaves ${root} (got ${target}` +
            "); allow it explicitly with allowExternalLinks (--allow-external-links)",
        );
        return true;
      });
      const allowed = await readNiftiFile(out, { root, allowExternalLinks: true });
      assert.deepEqual(allowed.volume.data, v.data);
      assert.equal(allowed.header.version, 1);
      assert.deepEqual((await readNiftiFile(join(root, "in.nii"), { root })).volume.data, v.data);
      // Without a root there is no confinement (a scan given on the command line).
      assert.deepEqual((await readNifti(out)).data, v.data);
    });
  });
});

Deno.test("readNifti refuses a file far larger than its header implies without reading it", async () => {
  await withTempDir(async (dir) => {
    const v = volume();
    const plain = encodeNifti(v);
    const path = join(dir, "huge.nii");
    await Deno.writeFile(path, plain);
    await Deno.truncate(path, 4 * 1024 ** 3); // sparse: 4 GiB that take no disk space
    const limit = plain.length + (1 << 20);
    const rss0 = Deno.memoryUsage().rss;
    const t0 = performance.now();
    await assert.rejects(readNifti(path), {
      message: `Cannot read NIfTI file ${path}: the file is larger than its header implies ` +
        `(expected at most ${limit} bytes: vox_offset 352 + 240 bytes of voxels for shape ` +
        `[6, 5, 4] int16 + a margin of 1048576; got ${4 * 1024 ** 3}); it was not read`,
    });
    assert.ok(performance.now() - t0 < 2000);
    assert.ok(Deno.memoryUsage().rss - rss0 < 256e6);
    // A gzipped file: its compressed size may not exceed the limit + 1 % + 64 KiB either.
    const gzPath = join(dir, "huge.nii.gz");
    await Deno.writeFile(gzPath, gz(plain));
    await Deno.truncate(gzPath, 64 * 1024 ** 2);
    await assert.rejects(
      readNifti(gzPath),
      /the file is larger than its header implies \(expected at most \d+ bytes of gzip data: .*\+ 1 % and 65536 for gzip; got 67108864\); it was not read$/,
    );
  });
});
