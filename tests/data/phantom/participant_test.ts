import assert from "node:assert/strict";
import { Rng } from "../../../engine/rng.ts";
import {
  DEFAULT_THICKNESS_RANGES_MM,
  LAYER_WAVINESS,
  THICKNESS_LAYERS,
} from "../../../data/phantom/options.ts";
import { drawParticipant } from "../../../data/phantom/participant.ts";

Deno.test("drawParticipant is deterministic and keeps every layer in its realistic range", () => {
  assert.deepEqual(drawParticipant(new Rng(5)), drawParticipant(new Rng(5)));
  assert.notDeepEqual(drawParticipant(new Rng(5)), drawParticipant(new Rng(6)));
  const rng = new Rng(11);
  const depth = 127 * 0.3;
  for (let i = 0; i < 300; i++) {
    const p = drawParticipant(rng);
    for (const layer of THICKNESS_LAYERS) {
      const [lo, hi] = DEFAULT_THICKNESS_RANGES_MM[layer];
      const t = p.thicknessMm[layer];
      assert.ok(t >= lo - 1e-9 && t <= hi + 1e-9, `${layer} ${t} outside [${lo}, ${hi}]`);
    }
    assert.ok(p.standoffMm >= 0.3 && p.standoffMm <= 1.2);
    // The worst-case stack (waviness and scan jitter included) leaves 20% of the depth to muscle.
    let worst = p.standoffMm * 1.08 * (1 + LAYER_WAVINESS.standoff);
    for (const layer of THICKNESS_LAYERS) {
      worst += p.thicknessMm[layer] * 1.08 * (1 + LAYER_WAVINESS[layer]);
    }
    assert.ok(worst <= 0.8 * depth + 1e-6, `stack ${worst} mm deeper than ${0.8 * depth} mm`);
    assert.ok(p.pennationDeg >= 8 && p.pennationDeg <= 25);
    assert.ok(p.dfmSublayers === 2 || p.dfmSublayers === 3);
    for (const v of Object.values(p.echoOffsetDb)) assert.ok(Math.abs(v) <= 3);
  }
});

function worstStack(p: ReturnType<typeof drawParticipant>): number {
  let worst = p.standoffMm * 1.08 * (1 + LAYER_WAVINESS.standoff);
  for (const layer of THICKNESS_LAYERS) {
    worst += p.thicknessMm[layer] * 1.08 * (1 + LAYER_WAVINESS[layer]);
  }
  return worst;
}

Deno.test("drawParticipant shrinks the fat first, then everything, to fit a shallow volume", () => {
  const fatty = { superficialFat: [14, 15], deepFat: [9, 10] } as const;
  const wide = { superficialFat: [5, 15], deepFat: [4, 10] } as const;
  const roomy = drawParticipant(new Rng(3), { shape: [8, 8, 400], thicknessRangesMm: fatty });
  assert.ok(roomy.thicknessMm.superficialFat >= 14, "no shrinking in a deep volume");
  // 96 voxels: shrinking the fat towards the lower ends of its ranges is enough.
  const fatOnly = drawParticipant(new Rng(3), {
    shape: [8, 8, 96],
    thicknessRangesMm: { ...wide },
  });
  const fatOnlyRoomy = drawParticipant(new Rng(3), {
    shape: [8, 8, 400],
    thicknessRangesMm: { ...wide },
  });
  assert.ok(worstStack(fatOnly) <= 0.8 * 95 * 0.3 + 1e-6);
  assert.ok(fatOnly.thicknessMm.superficialFat >= 5 && fatOnly.thicknessMm.deepFat >= 4);
  assert.ok(
    fatOnly.thicknessMm.superficialFat < fatOnlyRoomy.thicknessMm.superficialFat,
    "superficial fat shrunk",
  );
  assert.equal(fatOnly.thicknessMm.sfm, fatOnlyRoomy.thicknessMm.sfm);
  assert.equal(fatOnly.thicknessMm.dermis, fatOnlyRoomy.thicknessMm.dermis);
  // 64 voxels: even the minimum fat does not fit, so every layer is scaled down.
  const shallow = drawParticipant(new Rng(3), { shape: [8, 8, 64], thicknessRangesMm: fatty });
  assert.ok(worstStack(shallow) <= 0.8 * 63 * 0.3 + 1e-6, `stack ${worstStack(shallow)}`);
  assert.ok(shallow.thicknessMm.sfm < roomy.thicknessMm.sfm);
  assert.equal(drawParticipant(new Rng(1), { id: "p07" }).id, "p07");
});
