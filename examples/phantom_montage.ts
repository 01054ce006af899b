/**
 * Writes a montage of synthetic lumbar phantom scans (B-mode slices in both lateral directions
 * next to their label maps) to a PNG file.
 *
 * Usage: `deno run --allow-read --allow-write examples/phantom_montage.ts docs/phantom_montage.png`
 *
 * @module
 */
import process from "node:process";
import { encodeRgbaPng, generatePhantomCohort, renderPhantomMontage } from "../data/phantom/mod.ts";
import { writeFileAtomic } from "../engine/atomic_write.ts";

const outPath = Deno.args[0] ?? "docs/phantom_montage.png";
const cohort = generatePhantomCohort({ participants: 3, scansPerParticipant: 1, seed: 2024 });
const png = encodeRgbaPng(renderPhantomMontage(cohort.scans, { mmPerPixel: 0.2 }));
await writeFileAtomic(outPath, png, { mkdir: true });
for (const scan of cohort.scans) {
  const t = scan.participant.thicknessMm;
  process.stdout.write(
    `${scan.id}: dermis ${t.dermis.toFixed(1)} mm, superficial fat ${t.superficialFat.toFixed(1)}` +
      ` mm, SFM ${t.sfm.toFixed(2)} mm, deep fat ${t.deepFat.toFixed(1)} mm, DFM ${
        t.dfm.toFixed(2)
      } mm\n`,
  );
}
process.stdout.write(`Wrote ${outPath} (${png.length} bytes)\n`);
