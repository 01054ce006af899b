import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { logCompress } from "../../../data/matlab/bmode.ts";
import { readMat, readMatFile } from "../../../data/matlab/mat_read.ts";
import { listMat5Variables } from "../../../data/matlab/mat5_read.ts";
import { encodeMat } from "../../../data/matlab/mat5_write.ts";
import { affineFromSpacing } from "../../../data/volume.ts";
import { assertClose } from "../../_helpers.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(join(FIXTURES, "expected.json")));
const V5 = join(FIXTURES, "mat5_compressed.mat");
const V73 = join(FIXTURES, "mat73.mat");

/** v(i, j, k) = i + 10 j + 100 k + offset over [5, 4, 3], x (MATLAB rows) fastest. */
function ramp(offset: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) out.push(i + 10 * j + 100 * k + offset);
  }
  return out;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_mat_read_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [format, path] of [["MAT v5", V5], ["MAT v7.3", V73]] as const) {
  Deno.test(`readMat reads ${format} arrays written by scipy/h5py in MATLAB's column-major order`, async () => {
    const img = await readMatFile(path, { variable: "img" });
    assert.equal(img.format, format);
    assert.deepEqual(img.volume.shape, [5, 4, 3]);
    assert.ok(img.volume.data instanceof Float64Array);
    assert.deepEqual(Array.from(img.volume.data), ramp(0.5));
    assert.deepEqual(img.volume.spacing, expected.spacing); // the "spacing" variable
    assert.equal(img.spacingFrom, "variable");
    assert.deepEqual(img.volume.affine[0], [0.2, 0, 0, 0]);
    const label = await readMat(path, { variable: "label", spacing: [1, 2, 3] });
    assert.ok(label.data instanceof Uint8Array);
    assert.deepEqual(Array.from(label.data), ramp(0).map((v) => v % 7));
    assert.deepEqual(label.spacing, [1, 2, 3]); // explicit wins over the file
    const f32 = await readMat(path, { variable: "img", dtype: "float32" });
    assert.ok(f32.data instanceof Float32Array);
  });

  Deno.test(`readMat turns ${format} complex IQ data into magnitude and log-compressed B-mode`, async () => {
    const magnitude = await readMat(path, { variable: "iq", compression: "none" });
    assert.deepEqual(magnitude.shape, expected.iq.shape);
    assertClose(magnitude.data as Float32Array, expected.iq.abs, 1e-4);
    const bmode = await readMat(path, { variable: "iq" }); // auto: log with 60 dB
    assertClose(bmode.data as Float32Array, logCompress(expected.iq.abs), 1e-6);
    assert.ok(bmode.data.every((v) => v >= 0 && v <= 1));
    const narrow = await readMat(path, { variable: "iq", dynamicRange: 20 });
    assertClose(
      narrow.data as Float32Array,
      logCompress(expected.iq.abs, { dynamicRange: 20 }),
      1e-6,
    );
  });

  Deno.test(`readMat lists the ${format} candidates when the choice is ambiguous or wrong`, async () => {
    await assert.rejects(
      () => readMat(path),
      new RegExp(
        `^Error: Cannot read MAT file ${path}: it holds several 3-D numeric arrays; choose one with variable \\(--var\\) ` +
          "\\(got img \\[5x4x3 double\\], iq \\[4x3x2 complex double\\], label \\[5x4x3 uint8\\]\\)",
      ),
    );
    await assert.rejects(
      () => readMat(path, { variable: "nope" }),
      /no variable "nope" \(got img \[5x4x3 double\], /,
    );
    await assert.rejects(
      () => readMat(path, { variable: "note" }),
      /variable note is a char, not a numeric array/,
    );
  });
}

Deno.test("readMat reads a 2-D frame as one slice and refuses a struct with advice", async () => {
  const frame = await readMat(V5, { variable: "frame" });
  assert.deepEqual(frame.shape, [5, 4, 1]);
  assert.deepEqual(Array.from(frame.data), ramp(0.5).slice(0, 20));
  await assert.rejects(
    () => readMat(V5, { variable: "P" }),
    /variable P is a struct, not a numeric array; name an array inside it, e.g. --var P\.<field> \(got P \[1x1 struct\]\)/,
  );
  const names = listMat5Variables(await Deno.readFile(V5), V5).map((v) => `${v.name}:${v.class}`);
  assert.deepEqual(names, [
    "img:double",
    "iq:double",
    "label:uint8",
    "spacing:double",
    "frame:double",
    "note:char",
    "P:struct",
  ]);
});

Deno.test("readMat takes the spacing from a sidecar, and says how to give it when none is found", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "scan.mat");
    await Deno.copyFile(join(FIXTURES, "mat5_plain.mat"), path);
    await assert.rejects(
      () => readMat(path, { variable: "img" }),
      /no voxel spacing for img \[5x4x3 single\]: give it in mm with spacing \(--spacing 0\.1,0\.1,0\.2\), .* or a sidecar .*scan\.json such as \{"spacing": \[0\.1, 0\.1, 0\.2\]\} \(got none\)/,
    );
    await Deno.writeTextFile(
      join(dir, "scan.json"),
      JSON.stringify({ spacing: [0.5, 0.5, 2], variable: "img2", depthAxis: 0 }),
    );
    const r = await readMatFile(path);
    assert.deepEqual([r.variable, r.spacingFrom, r.volume.spacing, r.volume.depthAxis], [
      "img2",
      "sidecar",
      [0.5, 0.5, 2],
      0,
    ]);
    assert.ok(r.volume.data instanceof Int16Array);
    assert.deepEqual(Array.from(r.volume.data), ramp(0));
    await Deno.writeTextFile(join(dir, "scan.json"), JSON.stringify({ spacing: [0, 1, 1] }));
    await assert.rejects(
      () => readMat(path),
      /Cannot read MAT sidecar .*scan\.json: spacing must be three positive numbers in mm \(got \[0, 1, 1\]\)/,
    );
  });
});

Deno.test("readMat refuses truncated, corrupt and oversized files, naming them", async () => {
  await withTempDir(async (dir) => {
    const v5 = await Deno.readFile(V5);
    const v73 = await Deno.readFile(V73);
    const corrupt = v5.slice();
    corrupt.fill(0x55, 200, 260); // inside the first compressed variable
    const cases: Array<[string, Uint8Array, RegExp, string?]> = [
      [
        "short5.mat",
        v5.subarray(0, 300),
        /truncated data: element of type 15 at byte \d+ announces \d+ bytes/,
      ],
      ["corrupt5.mat", corrupt, /corrupt (or truncated )?compressed data/],
      [
        "short73.mat",
        v73.subarray(0, 3000),
        /not a readable HDF5 \(MAT v7\.3\) file: corrupt or truncated \(got H5Fopen/,
      ],
      [
        "text.mat",
        new TextEncoder().encode("just some text, not a MAT file at all"),
        /not a MAT file \(expected "MATLAB 5\.0 MAT-file" or an HDF5 signature/,
      ],
    ];
    for (const [name, bytes, pattern] of cases) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      await assert.rejects(
        () => readMat(path, { variable: "img", spacing: [1, 1, 1] }),
        (e: Error) => {
          assert.ok(e.message.startsWith(`Cannot read MAT file ${path}: `), e.message);
          assert.match(e.message, pattern);
          return true;
        },
      );
    }
    for (const path of [V5, V73]) {
      await assert.rejects(
        () => readMat(path, { variable: "img", maxBytes: 100 }),
        /variable img holds 480 bytes, more than the limit of 100 \(maxBytes; got 480\)/,
      );
    }
    // A compressed variable whose stream inflates far beyond the size its tag announces stops
    // inflating at that size.
    const plain = encodeMat(
      {
        data: new Float64Array(8),
        shape: [2, 2, 2],
        spacing: [1, 1, 1],
        affine: affineFromSpacing([1, 1, 1]),
      },
      { compress: false },
    );
    const matrixBytes = 8 + new DataView(plain.buffer).getUint32(128 + 4, true);
    const stream = new Uint8Array(matrixBytes + (16 << 20));
    stream.set(plain.subarray(128, 128 + matrixBytes));
    const z = deflateSync(stream);
    const tag = new Uint8Array(8);
    new DataView(tag.buffer).setUint32(0, 15, true);
    new DataView(tag.buffer).setUint32(4, z.length, true);
    await Deno.writeFile(
      join(dir, "bomb.mat"),
      new Uint8Array([...plain.subarray(0, 128), ...tag, ...z]),
    );
    await assert.rejects(
      () => readMat(join(dir, "bomb.mat"), { variable: "img", spacing: [1, 1, 1] }),
      new RegExp(
        `bomb\\.mat: compressed data inflate to more than the ${matrixBytes} bytes their tag announces \\(decompression stopped\\)`,
      ),
    );
  });
});
