/**
 * The done-when, end to end: `grn train --backend webgpu` trains a tiny GRN-SSL run on
 * a tiny phantom with the wasm engine's losses (float tolerance), and `grn predict --sge
 * --backend webgpu` segments a scan as the wasm engine does. Each command runs in a process of
 * its own, as a user runs it.
 * @module
 */
import assert from "node:assert/strict";
import { spawnCli } from "../../cli/_cli.ts";
import { writeTinyDataset } from "../../run/_fixture.ts";
import { webgpuTest } from "./_webgpu.ts";

/** A tiny GRN-SSL run: 2 epochs of 2 iterations of batch 2 at 32×32, 4-channel networks. */
function trainArgs(data: string, out: string, backend: string): string[] {
  return [
    "train",
    ...["--dataset", data, "--method", "grn-ssl", "--fraction", "1", "--test", "2"],
    ...["--validation", "1", "--size", "32", "--every", "4", "--width", "4", "--depth", "2"],
    ...["--generator-width", "4", "--discriminator-width", "4", "--epochs", "2"],
    ...["--iterations", "2", "--batch-size", "2", "--patience", "0", "--quiet"],
    ...["--backend", backend, "--out", out],
  ];
}

interface EpochRecord {
  epoch: number;
  train: Record<string, number>;
  validation: { diceLoss: number; meanDice: number };
  validationSge: { diceLoss: number; meanDice: number };
}

async function history(run: string): Promise<EpochRecord[]> {
  return JSON.parse(await Deno.readTextFile(`${run}/history.json`));
}

/** The voxels of a NIfTI-1 `.nii.gz` label volume (the bytes after its 352-byte header). */
async function voxels(path: string): Promise<Uint8Array> {
  const stream = (await Deno.open(path)).readable.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer()).subarray(352);
}

/** `|a − b| ≤ 1e-4·|b|`, with a floor of 1e-7 for values near zero. */
function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-4 * Math.abs(b) + 1e-7;
}

webgpuTest(
  "grn train --backend webgpu: a tiny GRN-SSL run with the wasm engine's losses; grn predict --sge agrees",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "grn-webgpu-train-" });
    try {
      const data = `${dir}/data`;
      await writeTinyDataset(data);
      const runs: Record<string, string> = {};
      for (const backend of ["wasm", "webgpu"]) {
        runs[backend] = `${dir}/${backend}`;
        const r = await spawnCli(trainArgs(data, runs[backend]!, backend));
        assert.equal(r.code, 0, `${backend}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^grn engine: ${backend}`, "m"));
      }
      const wasm = await history(runs.wasm!), gpu = await history(runs.webgpu!);
      assert.equal(gpu.length, 2);
      assert.equal(gpu.length, wasm.length);
      for (const [i, e] of gpu.entries()) {
        const w = wasm[i]!;
        assert.deepEqual(Object.keys(e.train), Object.keys(w.train), `epoch ${e.epoch}: terms`);
        for (const [k, v] of Object.entries(e.train)) {
          assert.ok(
            close(v, w.train[k]!),
            `epoch ${e.epoch} ${k}: webgpu ${v}, wasm ${w.train[k]}`,
          );
        }
        for (const path of ["validation", "validationSge"] as const) {
          const [a, b] = [e[path].diceLoss, w[path].diceLoss];
          assert.ok(close(a, b), `epoch ${e.epoch} ${path} Dice loss: webgpu ${a}, wasm ${b}`);
        }
      }
      // Segmenting: the wasm-trained model on both engines, S(G(x)) over every slice.
      const scan = `${data}/imagesTr/p00_s00_0000.nii.gz`;
      const labels: Uint8Array[] = [];
      for (const backend of ["wasm", "webgpu"]) {
        const out = `${dir}/${backend}.nii.gz`;
        const r = await spawnCli([
          "predict",
          runs.wasm!,
          scan,
          "-o",
          out,
          "--sge",
          "--backend",
          backend,
        ]);
        assert.equal(r.code, 0, `${backend}: ${r.stderr}`);
        labels.push(await voxels(out));
      }
      const [a, b] = labels as [Uint8Array, Uint8Array];
      assert.equal(a.length, b.length);
      const differ = a.filter((v, i) => v !== b[i]).length;
      // A voxel whose two best classes tie within float error may go either way.
      assert.ok(differ <= a.length / 1000, `${differ} of ${a.length} voxels differ`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
