import assert from "node:assert/strict";
import { join } from "node:path";
import { readMatFile } from "../../../data/matlab/mat_read.ts";
import { encodeMat, writeMat } from "../../../data/matlab/mat5_write.ts";
import type { Volume } from "../../../data/volume.ts";

Deno.test("writeMat round trips data, class and geometry, compressed or not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "grn_mat_write_" });
  try {
    const c = Math.cos(0.4), s = Math.sin(0.4);
    const affine = [[0.2 * c, -0.3 * s, 0, 5], [0.2 * s, 0.3 * c, 0, -2], [0, 0, 0.1, 1], [
      0,
      0,
      0,
      1,
    ]];
    for (
      const data of [
        Float32Array.from({ length: 60 }, (_, i) => i / 3),
        Uint8Array.from({ length: 60 }, (_, i) => i % 7),
        Int16Array.from({ length: 60 }, (_, i) => -i),
      ]
    ) {
      for (const compress of [true, false]) {
        const v: Volume = { data, shape: [5, 4, 3], spacing: [0.2, 0.3, 0.1], affine };
        const path = join(dir, `${data.constructor.name}_${compress}.mat`);
        await writeMat(path, v, { compress, variable: "vol" });
        const back = await readMatFile(path);
        assert.equal(back.variable, "vol");
        assert.equal(back.spacingFrom, "affine");
        assert.deepEqual(back.volume.affine, affine);
        assert.equal(back.volume.data.constructor, data.constructor);
        assert.deepEqual(back.volume.data, data);
        assert.deepEqual(back.volume.shape, [5, 4, 3]);
        assert.deepEqual(back.volume.spacing, [0.2, 0.3, 0.1]);
        // spacing wins over the affine for the spacing, but the affine variable is there too.
        const viaAffine = await readMatFile(path, { spacingVariable: "nospacing" }).catch((e) => e);
        assert.match(String(viaAffine), /variable nospacing must hold three positive voxel sizes/);
      }
    }
    assert.throws(
      () =>
        encodeMat({ data: new Uint8Array(1), shape: [1, 1, 1], spacing: [1, 1, 1], affine }, {
          variable: "1x",
        }),
      /Cannot encode MAT: variable must be a MATLAB name/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
