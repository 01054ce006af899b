import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readNifti } from "../../../data/nifti_read.ts";
import { writeNifti } from "../../../data/nifti_write.ts";
import { decodeNrrd, readNrrd, readNrrdFile } from "../../../data/nrrd/nrrd_read.ts";
import { encodeNrrd, writeNrrd } from "../../../data/nrrd/nrrd_write.ts";
import { assertClose } from "../../_helpers.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(join(FIXTURES, "expected.json")));

/** v(i, j, k) = i + 10 j + 100 k + offset over the fixtures' shape [5, 4, 3], x fastest. */
function ramp(offset: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) out.push(i + 10 * j + 100 * k + offset);
  }
  return out;
}

function assertAffine(actual: number[][], wanted: number[][]): void {
  for (let r = 0; r < 4; r++) assertClose(actual[r]!, wanted[r]!, 1e-9, `affine row ${r}`);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_nrrd_read_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const text = (s: string) => new TextEncoder().encode(s);
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("readNrrd reads an independently written LPS gzip file into RAS geometry", async () => {
  const { volume, header } = await readNrrdFile(join(FIXTURES, "volume_lps.nrrd"));
  assert.equal(header.space, "left-posterior-superior");
  assert.deepEqual(volume.shape, [5, 4, 3]);
  assert.ok(volume.data instanceof Float32Array);
  assert.deepEqual(Array.from(volume.data), ramp(0.5));
  assertAffine(volume.affine, expected.volume_lps.affine);
  assertClose(volume.spacing, expected.volume_lps.spacing, 1e-9);
});

Deno.test("readNrrd reads a detached header with big-endian int16 raw data", async () => {
  const volume = await readNrrd(join(FIXTURES, "volume_detached.nhdr"));
  assert.ok(volume.data instanceof Int16Array);
  assert.deepEqual(Array.from(volume.data), ramp(0));
  assert.deepEqual(volume.spacing, expected.volume_detached.spacing);
  assertAffine(volume.affine, expected.volume_detached.affine);
});

Deno.test("an NRRD and a NIfTI of the same scan read back with the same geometry", async () => {
  await withTempDir(async (dir) => {
    const scan = await readNrrd(join(FIXTURES, "volume_lps.nrrd"));
    await writeNifti(join(dir, "scan.nii.gz"), scan);
    const nifti = await readNifti(join(dir, "scan.nii.gz"));
    assertAffine(nifti.affine, scan.affine);
    await writeNrrd(join(dir, "back.nrrd"), nifti);
    const back = await readNrrd(join(dir, "back.nrrd"));
    assertAffine(back.affine, scan.affine);
    assert.deepEqual(back.data, scan.data);
  });
});

Deno.test("readNrrd handles spacings without space directions, line and byte skips, ascii", () => {
  const body = new Float32Array([1, 2, 3, 4, 5, 6]);
  const bytes = concat(
    text("NRRD0004\ntype: float\ndimension: 3\nsizes: 3 2 1\nspacings: 0.5 0.25 NaN\n"),
    text("axis mins: 1 2 3\nendian: little\nencoding: raw\nline skip: 1\nbyte skip: 2\n\n"),
    text("skipped line\nxx"),
    new Uint8Array(body.buffer),
  );
  const { volume } = decodeNrrd(bytes, { spacing: [9, 9, 0.75] });
  assert.deepEqual(volume.spacing, [0.5, 0.25, 0.75]);
  assert.deepEqual(volume.affine, [[0.5, 0, 0, 1], [0, 0.25, 0, 2], [0, 0, 0.75, 3], [0, 0, 0, 1]]);
  assert.deepEqual(Array.from(volume.data), [1, 2, 3, 4, 5, 6]);
  assert.throws(
    () => decodeNrrd(bytes, { file: "nospacing.nrrd" }),
    /Cannot read NRRD file nospacing\.nrrd: missing voxel spacing: .*no positive fallback spacing was given \(got undefined\)/,
  );
  const ascii = text(
    "NRRD0001\ntype: uchar\ndimension: 2\nsizes: 2 2\nspacings: 1 2\nencoding: ascii\n\n1 2\n3 4\n",
  );
  const image = decodeNrrd(ascii).volume;
  assert.deepEqual([image.shape, Array.from(image.data)], [[2, 2, 1], [1, 2, 3, 4]]);
  assert.equal(image.spacing[2], 1); // a 2-D image is one voxel of 1 mm thick
});

Deno.test("readNrrd refuses truncated, corrupt, oversized and multi-valued files, naming them", async () => {
  await withTempDir(async (dir) => {
    const volume = await readNrrd(join(FIXTURES, "volume_lps.nrrd"));
    const raw = encodeNrrd(volume, { encoding: "raw" });
    const gz = encodeNrrd(volume, { encoding: "gzip" });
    const cases: Array<[string, Uint8Array, RegExp]> = [
      [
        "short.nrrd",
        raw.subarray(0, raw.length - 5),
        /truncated data: expected 240 bytes .*\(got 235\)/,
      ],
      ["shortgz.nrrd", gz.subarray(0, gz.length - 9), /corrupt or truncated gzip data/],
      ["noheader.nrrd", raw.subarray(0, 40), /truncated header: no empty line before the data/],
      [
        "magic.nrrd",
        text("P5\n4 4\n255\n"),
        /not an NRRD file \(expected the magic "NRRD000X", got "P5\\n4 4\\n2"\)/,
      ],
      [
        "type.nrrd",
        text("NRRD0004\ntype: block\ndimension: 1\nsizes: 1\nencoding: raw\n\nx"),
        /type must be a signed or unsigned integer .* \(got "block"\)/,
      ],
      [
        "bz.nrrd",
        text("NRRD0004\ntype: uchar\ndimension: 1\nsizes: 1\nencoding: bzip2\n\nx"),
        /encoding must be raw, gzip or ascii; convert this file .* \(got "bzip2"\)/,
      ],
      [
        "endian.nrrd",
        text("NRRD0004\ntype: short\ndimension: 1\nsizes: 1\nencoding: raw\n\nxx"),
        /no "endian" field, which int16 raw data need/,
      ],
      [
        "rgb.nrrd",
        text(
          "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 3 2 2\nkinds: RGB-color domain domain\n" +
            "spacings: NaN 1 1\nencoding: raw\n\n123456789012",
        ),
        /a volume holds one value per voxel, but axis 0 has 3 \(kind rgb-color/,
      ],
    ];
    for (const [name, bytes, pattern] of cases) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      await assert.rejects(() => readNrrd(path), (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`^Cannot read NRRD file ${path.replace(/[.]/g, "\\.")}: `),
        );
        assert.match(e.message, pattern);
        return true;
      });
    }
    // A raw file far larger than its header implies is refused before it is read.
    const big = join(dir, "big.nrrd");
    await Deno.writeFile(big, concat(raw, new Uint8Array(3 << 20)));
    await assert.rejects(() => readNrrd(big), /larger than its header implies .*it was not read/);
    // A gzip bomb: data inflating far beyond the header's size stop decompressing at the limit.
    const bomb = concat(
      text("NRRD0004\ntype: uchar\ndimension: 1\nsizes: 8\nencoding: gzip\n\n"),
      gzipSync(new Uint8Array(16 << 20)),
    );
    await Deno.writeFile(join(dir, "bomb.nrrd"), bomb);
    await assert.rejects(
      () => readNrrd(join(dir, "bomb.nrrd")),
      /gzip data inflate to more than the header implies \(expected at most 1048584 bytes/,
    );
  });
});

Deno.test("readNrrd confines a detached data file to the header's folder", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "sub"));
    await Deno.writeFile(join(dir, "outside.raw"), new Uint8Array(4));
    const head =
      "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 1\nspacings: 1 1 1\nencoding: raw\n";
    await Deno.writeTextFile(join(dir, "sub", "a.nhdr"), head + "data file: ../outside.raw\n");
    await assert.rejects(
      () => readNrrd(join(dir, "sub", "a.nhdr")),
      /a\.nhdr: the detached data file must be in the header's folder.*\(got data file "\.\.\/outside\.raw"\)/,
    );
    const ok = await readNrrd(join(dir, "sub", "a.nhdr"), { allowExternalLinks: true });
    assert.deepEqual(ok.shape, [2, 2, 1]);
    await Deno.writeTextFile(join(dir, "sub", "b.nhdr"), head + "data file: missing.raw\n");
    await assert.rejects(
      () => readNrrd(join(dir, "sub", "b.nhdr")),
      /b\.nhdr: its detached data file .*missing\.raw does not exist/,
    );
    await Deno.writeTextFile(join(dir, "sub", "c.nhdr"), head + "data file: LIST\n");
    await assert.rejects(
      () => readNrrd(join(dir, "sub", "c.nhdr")),
      /only a single detached data file is supported/,
    );
  });
});
