import assert from "node:assert/strict";
import { join } from "node:path";
import { readNrrd, readNrrdFile } from "../../../data/nrrd/nrrd_read.ts";
import { encodeNrrdHeader, writeNrrd } from "../../../data/nrrd/nrrd_write.ts";
import type { Volume } from "../../../data/volume.ts";

/** An oblique, shifted volume (rotation about z by 30 degrees, spacing 0.2/0.3/0.1). */
function oblique(): Volume<Int16Array> {
  const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
  return {
    data: Int16Array.from({ length: 6 * 5 * 4 }, (_, i) => i * 7 - 300),
    shape: [6, 5, 4],
    spacing: [0.2, 0.3, 0.1],
    affine: [[0.2 * c, -0.3 * s, 0, 12.5], [0.2 * s, 0.3 * c, 0, -7], [0, 0, 0.1, 3], [0, 0, 0, 1]],
  };
}

Deno.test("writeNrrd round trips data and geometry through .nrrd and .nhdr, raw and gzip", async () => {
  const dir = await Deno.makeTempDir({ prefix: "grn_nrrd_write_" });
  try {
    const v = oblique();
    for (const name of ["a.nrrd", "b.nhdr"]) {
      for (const encoding of ["raw", "gzip"] as const) {
        for (const space of ["left-posterior-superior", "right-anterior-superior"] as const) {
          for (const littleEndian of [true, false]) {
            const path = join(dir, `${encoding}_${space}_${littleEndian}_${name}`);
            await writeNrrd(path, v, { encoding, space, littleEndian });
            const { volume, header } = await readNrrdFile(path);
            assert.equal(header.space, space);
            assert.deepEqual(volume.data, v.data);
            assert.deepEqual(volume.shape, v.shape);
            volume.spacing.forEach((s, i) => assert.ok(Math.abs(s - v.spacing[i]!) < 1e-12));
            assert.deepEqual(volume.affine, v.affine);
          }
        }
      }
    }
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.includes("b."));
    assert.ok(files.includes("gzip_left-posterior-superior_true_b.raw.gz"));
    assert.ok(files.includes("raw_left-posterior-superior_true_b.raw"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encodeNrrdHeader writes Slicer's LPS convention and escapes key/value fields", () => {
  const v: Volume = {
    data: new Uint8Array(2 * 2 * 2),
    shape: [2, 2, 2],
    spacing: [1, 2, 3],
    affine: [[1, 0, 0, 10], [0, 2, 0, 20], [0, 0, 3, 30], [0, 0, 0, 1]],
  };
  const text = encodeNrrdHeader(v, { keyValues: { note: "two\nlines \\ here" } });
  const lines = text.split("\n");
  assert.equal(lines[0], "NRRD0004");
  assert.ok(lines.includes("type: uchar"));
  assert.ok(lines.includes("space: left-posterior-superior"));
  assert.ok(lines.includes("space directions: (-1,0,0) (0,-2,0) (0,0,3)"));
  assert.ok(lines.includes("space origin: (-10,-20,30)"));
  assert.ok(lines.includes("note:=two\\nlines \\\\ here"));
  assert.ok(text.endsWith("\n\n"));
  assert.throws(
    () => encodeNrrdHeader({ ...v, data: new Uint8Array(3) }),
    /Cannot encode NRRD: data length does not match shape \[2, 2, 2\] = 8 voxels \(got 3\)/,
  );
});

Deno.test("writeNrrd names the file when it cannot write", async () => {
  await assert.rejects(
    () => writeNrrd("/nonexistent-folder/x.nrrd", oblique()),
    /^Error: Cannot write NRRD file \/nonexistent-folder\/x\.nrrd: /,
  );
  const back = await readNrrd(new URL("../../fixtures/volume_lps.nrrd", import.meta.url).pathname);
  assert.equal(back.shape[0], 5);
});
