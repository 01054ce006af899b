import assert from "node:assert/strict";
import { join } from "node:path";
import h5wasm from "h5wasm";
import { readMat, readMatFile } from "../../../data/matlab/mat_read.ts";
import { listMat5Variables, readMat5Variable } from "../../../data/matlab/mat5_read.ts";
import { listMat73Variables, readMat73Variable } from "../../../data/matlab/mat73_read.ts";
import { writeMat } from "../../../data/matlab/mat5_write.ts";
import {
  describeMatVariable,
  matLinearIndex,
  parseMatPath,
} from "../../../data/matlab/mat_variable.ts";
import { readVolumeFile } from "../../../data/volume_file.ts";
import { affineFromSpacing } from "../../../data/volume.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(join(FIXTURES, "expected.json")));

/** v(i, j, k) = i + 10 j + 100 k + offset over [5, 4, 3], x (MATLAB rows) fastest. */
function ramp(offset: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) out.push(i + 10 * j + 100 * k + offset);
  }
  return out;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "grn_mat_cells_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const VERSIONS = [
  ["MAT v5", "mat5"],
  ["MAT v7.3", "mat73"],
] as const;

Deno.test("parseMatPath reads cell and field steps and refuses other syntax", () => {
  assert.deepEqual(parseMatPath("ImgData{1}"), {
    variable: "ImgData",
    steps: [{ kind: "cell", index: [1] }],
  });
  assert.deepEqual(parseMatPath("Data{2, 3}.img").steps, [
    { kind: "cell", index: [2, 3] },
    { kind: "field", name: "img" },
  ]);
  assert.throws(() => parseMatPath("ImgData{0}"), /cell indices are 1-based whole numbers/);
  assert.throws(() => parseMatPath("S(2).f"), /unexpected "\(2\)\.f" after the name/);
  assert.throws(() => parseMatPath("{1}"), /it must start with a variable name/);
  assert.equal(matLinearIndex([2, 3], [2, 3]), 5);
  assert.equal(matLinearIndex([1, 2], [2, 3, 4]), 2); // the last subscript runs over 3x4
  assert.match(String(matLinearIndex([3], [1, 2])), /index 3 is out of range for 2 elements/);
});

for (const [format, prefix] of VERSIONS) {
  const cellFile = join(FIXTURES, `${prefix}_cell.mat`);
  const framesFile = join(FIXTURES, `${prefix}_frames.mat`);

  Deno.test(`${format}: ImgData{1} of a cell is read by path and chosen when it is the only 3-D array`, async () => {
    const named = await readMatFile(cellFile, {
      variable: "ImgData{1}",
      spacingVariable: "P.spacing",
    });
    assert.equal(named.format, format);
    assert.deepEqual([named.variable, named.variableFrom], ["ImgData{1}", "option"]);
    assert.ok(named.volume.data instanceof Float32Array); // single stays single
    assert.deepEqual(Array.from(named.volume.data), ramp(0.5));
    assert.deepEqual(named.volume.shape, [5, 4, 3]);
    assert.deepEqual(named.volume.spacing, expected.cells["P.spacing"]);
    assert.equal(named.spacingFrom, "variable");

    const only = await readMatFile(cellFile, { spacing: [1, 1, 1] });
    assert.deepEqual([only.variable, only.variableFrom], ["ImgData{1}", "only candidate"]);
    assert.deepEqual(Array.from(only.volume.data), ramp(0.5));
    assert.ok(only.variables.some((v) => v.name === "P.sub.depth"));
  });

  Deno.test(`${format}: cells and 1x1 structs are listed by path, nested structs included`, async () => {
    const bytes = await Deno.readFile(cellFile);
    const list = prefix === "mat5"
      ? listMat5Variables(bytes, cellFile, undefined, { nested: true })
      : await listMat73Variables(bytes, cellFile, { nested: true });
    const names = list.map(describeMatVariable).sort();
    assert.deepEqual(names, [
      "ImgData [1x1 cell]",
      "ImgData{1} [5x4x3 single]",
      "P [1x1 struct]",
      "P.lambda [1x1 double]",
      "P.name [1x8 char]",
      "P.spacing [1x3 double]",
      "P.sub [1x1 struct]",
      "P.sub.depth [1x2 double]",
      "note [1x10 char]",
    ]);
    const top = prefix === "mat5"
      ? listMat5Variables(bytes, cellFile)
      : await listMat73Variables(bytes, cellFile);
    assert.deepEqual(top.map((v) => v.name).sort(), ["ImgData", "P", "note"]);
  });

  Deno.test(`${format}: struct fields are read by path, with errors naming the file and the path`, async () => {
    const bytes = await Deno.readFile(cellFile);
    const read = async (name: string) =>
      prefix === "mat5"
        ? readMat5Variable(bytes, name, cellFile)
        : await readMat73Variable(bytes, name, cellFile);
    assert.deepEqual(Array.from((await read("P.sub.depth"))!.real), expected.cells["P.sub.depth"]);
    assert.deepEqual(Array.from((await read("P.lambda"))!.real), [expected.cells["P.lambda"]]);
    assert.equal(await read("Nope{1}"), undefined);
    const cases: Array<[string, RegExp]> = [
      [
        "P.spcing",
        /in variable P: no P\.spcing: struct P has no field spcing \(got fields .*lambda.*spacing/,
      ],
      ["P{1}", /in variable P: no P\{1\}: P is not a cell array \(got P \[1x1 struct\]\)/],
      [
        "ImgData{2}",
        /in variable ImgData: no ImgData\{2\}: index 2 is out of range for 1 element \(got ImgData \[1x1 cell\]\)/,
      ],
      [
        "ImgData.img",
        /in variable ImgData: no ImgData\.img: ImgData is not a struct \(got ImgData \[1x1 cell\]\)/,
      ],
      [
        "P.sub",
        /variable P\.sub is a struct, not a numeric array; name an array inside it, e\.g\. --var P\.sub\.<field> \(got P\.sub \[1x1 struct\]\)/,
      ],
      ["ImgData{x}", /unexpected "\{x\}" after the name/],
    ];
    for (const [name, pattern] of cases) {
      await assert.rejects(() => read(name), (e: Error) => {
        assert.ok(e.message.startsWith(`Cannot read MAT file ${cellFile}: `), e.message);
        assert.match(e.message, pattern);
        return true;
      });
    }
    await assert.rejects(
      () => readMat(cellFile, { variable: "ImgData" }),
      /variable ImgData is a cell, not a numeric array; name an array inside it, e\.g\. --var ImgData\{1\}/,
    );
  });

  Deno.test(`${format}: candidates inside cells are listed by path, and 4-D frames are chosen 1-based`, async () => {
    await assert.rejects(
      () => readMat(framesFile, { spacing: [1, 1, 1] }),
      new RegExp(
        `^Error: Cannot read MAT file ${framesFile}: it holds several 3-D numeric arrays; choose one with variable \\(--var\\) ` +
          "\\(got ImgData\\{1\\} \\[5x4x3x2 single\\], RcvData\\{1\\} \\[6x4x2 int16\\]\\)$",
      ),
    );
    const first = await readMatFile(framesFile, { variable: "ImgData{1}", spacing: [1, 1, 1] });
    assert.deepEqual([first.frame, first.frames, first.volume.shape], [1, 2, [5, 4, 3]]);
    assert.deepEqual(Array.from(first.volume.data), ramp(0.5));
    const second = await readMatFile(framesFile, {
      variable: "ImgData{1}",
      frame: 2,
      spacingVariable: "P.spacing",
    });
    assert.deepEqual([second.frame, second.frames], [2, 2]);
    assert.deepEqual(Array.from(second.volume.data), ramp(1000.5));
    assert.deepEqual(second.volume.spacing, expected.cells["P.spacing"]);
    const rcv = await readMat(framesFile, { variable: "RcvData{1}", spacing: [1, 1, 1] });
    assert.deepEqual(rcv.shape, expected.cells["RcvData{1}"].shape);
    assert.ok(rcv.data instanceof Int16Array);
    assert.equal(rcv.data[1 + 6 * 2 + 24 * 1], 1 + 20 + 100);
    await assert.rejects(
      () => readMat(framesFile, { variable: "ImgData{1}", frame: 3, spacing: [1, 1, 1] }),
      new RegExp(
        `Cannot read MAT file ${framesFile}: frame 3 of ImgData\\{1\\} is out of range: it has 2 frames ` +
          "\\(1 to 2, along the 4th dimension of ImgData\\{1\\} \\[5x4x3x2 single\\]; got 3\\)",
      ),
    );
    await assert.rejects(
      () => readMat(cellFile, { variable: "ImgData{1}", frame: 2, spacing: [1, 1, 1] }),
      /frame 2 of ImgData\{1\} is out of range: it has 1 frame \(1 to 1, along the 4th dimension/,
    );
    await assert.rejects(
      () => readMat(framesFile, { variable: "ImgData{1}", frame: 0, spacing: [1, 1, 1] }),
      /frame must be a whole number from 1 \(got 0\)/,
    );
    // A frame counts against maxBytes, not the whole array (5 x 4 x 3 singles = 240 bytes).
    const bytes = await Deno.readFile(framesFile);
    const frame = prefix === "mat5"
      ? readMat5Variable(bytes, "ImgData{1}", framesFile, 240, { frame: 2 })
      : await readMat73Variable(bytes, "ImgData{1}", framesFile, 240, { frame: 2 });
    assert.deepEqual([frame!.dims, frame!.frames], [[5, 4, 3], 2]);
    await assert.rejects(
      async () =>
        prefix === "mat5"
          ? readMat5Variable(bytes, "ImgData{1}", framesFile, 239, { frame: 2 })
          : await readMat73Variable(bytes, "ImgData{1}", framesFile, 239, { frame: 2 }),
      /variable ImgData\{1\} holds 240 bytes, more than the limit of 239 \(maxBytes; got 240\)/,
    );
  });

  Deno.test(`${format}: depth axis precedence is option > sidecar > fallback (the run's)`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "scan.mat");
      await Deno.copyFile(cellFile, path);
      const read = (options: { depthAxis?: 0 | 1 | 2; fallbackDepthAxis?: 0 | 1 | 2 }) =>
        readVolumeFile(path, { spacing: [1, 1, 1], ...options });
      let r = await read({ fallbackDepthAxis: 1 });
      assert.deepEqual([r.volume.depthAxis, r.depthAxisFrom], [1, "fallback"]);
      assert.deepEqual(r.mat, {
        variableFrom: "only candidate",
        frame: 1,
        frames: 1,
        spacingFrom: "fallback",
      });
      await Deno.writeTextFile(join(dir, "scan.json"), JSON.stringify({ depthAxis: 0 }));
      r = await read({ fallbackDepthAxis: 1 });
      assert.deepEqual([r.volume.depthAxis, r.depthAxisFrom], [0, "sidecar"]);
      r = await read({ depthAxis: 2, fallbackDepthAxis: 1 });
      assert.deepEqual([r.volume.depthAxis, r.depthAxisFrom], [2, "option"]);
      await Deno.writeTextFile(
        join(dir, "scan.json"),
        JSON.stringify({ variable: "ImgData{1}", spacingVariable: "P.spacing", frame: 1 }),
      );
      const m = await readMatFile(path);
      assert.deepEqual([m.variable, m.variableFrom, m.spacingFrom], [
        "ImgData{1}",
        "sidecar",
        "variable",
      ]);
      await Deno.writeTextFile(join(dir, "scan.json"), JSON.stringify({ frame: 1.5 }));
      await assert.rejects(
        () => readMatFile(path),
        /Cannot read MAT sidecar .*scan\.json: frame must be a whole number from 1 \(got 1\.5\)/,
      );
    });
  });
}

Deno.test("writeMat keeps a depth axis other than 2 as a depthAxis variable that readMat honours after the sidecar", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "d.mat");
    const volume = {
      data: new Float32Array(24),
      shape: [4, 3, 2] as [number, number, number],
      spacing: [1, 1, 1] as [number, number, number],
      affine: affineFromSpacing([1, 1, 1]),
      depthAxis: 0 as const,
    };
    await writeMat(path, volume);
    let r = await readMatFile(path, { fallbackDepthAxis: 1 });
    assert.deepEqual([r.volume.depthAxis, r.depthAxisFrom], [0, "file"]);
    await Deno.writeTextFile(join(dir, "d.json"), JSON.stringify({ depthAxis: 1 }));
    r = await readMatFile(path);
    assert.deepEqual([r.volume.depthAxis, r.depthAxisFrom], [1, "sidecar"]);
    await writeMat(path, { ...volume, depthAxis: 2 });
    const names = listMat5Variables(await Deno.readFile(path), path).map((v) => v.name);
    assert.deepEqual(names, ["img", "spacing", "affine"]); // the default is not written
  });
});

/** Offsets of a top-level miMATRIX element of an uncompressed MAT v5 file, by name. */
function topElement(bytes: Uint8Array, name: string): { at: number; afterName: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sub = (at: number) => {
    const word = view.getUint32(at, true);
    if (word >>> 16) return { start: at + 4, size: word >>> 16, next: at + 8 };
    const size = view.getUint32(at + 4, true);
    return { start: at + 8, size, next: at + 8 + Math.ceil(size / 8) * 8 };
  };
  for (let at = 128; at < bytes.length;) {
    assert.equal(view.getUint32(at, true), 14, "uncompressed miMATRIX elements only");
    const size = view.getUint32(at + 4, true);
    const dims = sub(sub(at + 8).next);
    const n = sub(dims.next);
    const text = new TextDecoder().decode(bytes.subarray(n.start, n.start + n.size));
    if (text === name) return { at, afterName: n.next };
    at += 8 + size;
  }
  throw new Error(`no ${name}`);
}

Deno.test("MAT v5: corrupt and truncated cell and struct elements give errors naming the file and the variable", async () => {
  await withTempDir(async (dir) => {
    const original = await Deno.readFile(join(FIXTURES, "mat5_frames.mat"));
    const img = topElement(original, "ImgData");
    const p = topElement(original, "P");
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    assert.equal(view(original).getUint32(img.afterName, true), 14); // ImgData{1}'s tag

    const notArray = original.slice();
    view(notArray).setUint32(img.afterName, 9, true);
    const truncated = original.slice();
    view(truncated).setUint32(img.afterName + 4, 1 << 30, true);
    const nameLength = original.slice();
    assert.equal(view(nameLength).getUint32(p.afterName, true), (4 << 16) | 5); // small miINT32
    view(nameLength).setInt32(p.afterName + 4, 0, true);
    const names = original.slice();
    view(names).setInt32(p.afterName + 4, 7, true); // field names are not a multiple of 7 bytes
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      [
        "not_array.mat",
        notArray,
        "ImgData{1}",
        /: in variable ImgData: corrupt cell element ImgData\{1\}: not an array element \(expected type 14, got type 9\)$/,
      ],
      [
        "truncated.mat",
        truncated,
        "ImgData{1}",
        /: in variable ImgData: truncated data: element of type 14 at byte \d+ announces 1073741824 bytes \(got \d+\)$/,
      ],
      [
        "name_length.mat",
        nameLength,
        "P.spacing",
        /: in variable P: corrupt struct P: the field name length must be 1 to 4096 bytes \(got 0\)$/,
      ],
      [
        "names.mat",
        names,
        "P.spacing",
        /: in variable P: corrupt struct P: the field names must be miINT8 text, a multiple of 7 bytes \(got type 1 of \d+ bytes\)$/,
      ],
    ];
    for (const [file, bytes, variable, pattern] of cases) {
      const path = join(dir, file);
      await Deno.writeFile(path, bytes);
      for (const options of [{ variable }, { spacing: [1, 1, 1] as [number, number, number] }]) {
        await assert.rejects(
          () => readMat(path, { spacing: [1, 1, 1], ...options }),
          (e: Error) => {
            assert.ok(e.message.startsWith(`Cannot read MAT file ${path}: `), e.message);
            assert.match(e.message, pattern);
            return true;
          },
        );
      }
    }
  });
});

Deno.test("MAT v7.3: a cell that holds no references or a broken one gives an error naming the file and the variable", async () => {
  const h5 = h5wasm as unknown as {
    ready: Promise<{ FS: { readFile(p: string): Uint8Array; unlink(p: string): void } }>;
    // deno-lint-ignore no-explicit-any
    File: any;
  };
  const module = await h5.ready;
  const name = `/grn_test_${Deno.pid}.h5`;
  const f = new h5.File(name, "w");
  const plain = f.create_dataset({ name: "ImgData", data: new Float64Array([1]), shape: [1, 1] });
  plain.create_attribute("MATLAB_class", "cell");
  const Reference = plain.create_reference().constructor;
  const broken = f.create_dataset({
    name: "Broken",
    data: [new Reference(new Uint8Array(8).fill(0x7f))],
    shape: [1, 1],
    dtype: "Reference",
  });
  broken.create_attribute("MATLAB_class", "cell");
  f.close();
  const bytes = module.FS.readFile(name);
  module.FS.unlink(name);
  await withTempDir(async (dir) => {
    const path = join(dir, "bad73.mat");
    await Deno.writeFile(path, bytes);
    const cases: Array<[string | undefined, RegExp]> = [
      [
        "ImgData{1}",
        /: in variable ImgData: corrupt cell ImgData: its elements must be HDF5 object references \(got HDF5 type class 1\)$/,
      ],
      [
        "Broken{1}",
        /: in variable Broken: corrupt cell element Broken\{1\}: its reference does not resolve \(got .+\)$/,
      ],
      [undefined, /: in variable (ImgData|Broken): corrupt cell/], // listing the candidates
    ];
    for (const [variable, pattern] of cases) {
      await assert.rejects(
        () => readMat(path, { ...(variable ? { variable } : {}), spacing: [1, 1, 1] }),
        (e: Error) => {
          assert.ok(e.message.startsWith(`Cannot read MAT file ${path}: `), e.message);
          assert.match(e.message, pattern);
          return true;
        },
      );
    }
  });
});
