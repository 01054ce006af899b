/**
 * A research script on the public packages only: a tiny phantom, the supervised baseline and
 * GRN-SSL trained for two short epochs on the same split and evaluated on the same test images,
 * then the paper's Table 2 and findings from the two runs. `deno task example:research` (seconds;
 * tiny networks, so the numbers say nothing about the methods).
 * @module
 */
import process from "node:process";
import { writePhantomDataset } from "@grn/grn/phantom";
import { evaluateRun, trainRun } from "@grn/grn/run";
import * as report from "@grn/grn/report";

const dir = await Deno.makeTempDir({ prefix: "grn-research-" });
const dataset = `${dir}/phantom`; // or your own dataset folder
await writePhantomDataset(dataset, {
  participants: 7,
  scansPerParticipant: 1,
  shape: [16, 16, 32],
});
// The same split and labeled subset for every method (split seed 0): 2 test, 1 validation
// and 4 training participants, of which 1 labeled (20 %).
const split = { fraction: 0.2, test: 2, validation: 1, inputSize: [32, 32] as [number, number] };
const tiny = {
  every: 4,
  networks: { width: 4, depth: 2, generatorWidth: 4, discriminatorWidth: 4 },
};
const schedule = { epochs: 2, iterationsPerEpoch: 3, batchSize: 2, progress: false };

const cells: report.CellResult[] = [];
for (const [index, method] of ["supervised", "grn-ssl"].entries()) {
  const out = `${dir}/runs/${method}`;
  const train = await trainRun({ dataset, method, out, ...split, ...tiny, ...schedule });
  const metrics = await evaluateRun(out); // S(x) and S(G(x)): metrics.json, images.csv
  const { scores } = (await report.readRunScores(out, "test"))!; // Dice per test image
  const cell = { index, name: method, method, fraction: train.fraction, seed: train.seed };
  cells.push({ cell, dir: out, metrics, train, history: [], scores });
}

const entries = report.buildEntries(cells); // paired image by image across the methods
process.stdout.write(`${report.tableToText(report.table2(entries)!)}\n\n`);
process.stdout.write(`${report.findingsToText(report.buildFindings(entries))}\n`);
await Deno.remove(dir, { recursive: true });
