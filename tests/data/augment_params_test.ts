import assert from "node:assert/strict";
import { Rng } from "../../engine/rng.ts";
import {
  IDENTITY_AUGMENT,
  resolveAugmentOptions,
  sampleAugmentParams,
} from "../../data/augment_params.ts";

Deno.test("sampleAugmentParams stays within the configured ranges", () => {
  const rng = new Rng(2);
  let flips = 0, affine = 0, noise = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const p = sampleAugmentParams(rng);
    if (p.flip) flips++;
    if (p.scale !== 1) affine++;
    if (p.noiseStd > 0) noise++;
    assert.ok(Math.abs(p.rotation) <= (15 * Math.PI) / 180);
    assert.ok(p.scale >= 0.9 && p.scale <= 1.1);
    assert.ok(Math.abs(p.shiftX) <= 0.1 && Math.abs(p.shiftY) <= 0.1);
    assert.ok(p.gamma >= 0.8 && p.gamma <= 1.2);
    assert.ok(p.contrast >= 0.8 && p.contrast <= 1.2);
    assert.ok(Math.abs(p.brightness) <= 0.2);
    assert.ok(p.noiseStd >= 0 && p.noiseStd <= 0.05);
  }
  for (const [name, count] of [["flip", flips], ["affine", affine], ["noise", noise]] as const) {
    assert.ok(Math.abs(count / n - 0.5) < 0.03, `${name} frequency ${count / n}`);
  }
});

Deno.test("sampleAugmentParams with zero probabilities is the identity", () => {
  const rng = new Rng(3);
  const p = sampleAugmentParams(rng, {
    flipProbability: 0,
    affineProbability: 0,
    intensityProbability: 0,
    noiseProbability: 0,
  });
  assert.deepEqual(p, { ...IDENTITY_AUGMENT });
});

Deno.test("sampleAugmentParams is reproducible from the generator state", () => {
  const a = new Rng(10), b = new Rng(10);
  for (let i = 0; i < 20; i++) assert.deepEqual(sampleAugmentParams(a), sampleAugmentParams(b));
});

Deno.test("resolveAugmentOptions fills defaults and rejects bad values", () => {
  const o = resolveAugmentOptions({ rotation: 5 });
  assert.equal(o.rotation, 5);
  assert.equal(o.scale, 0.1);
  assert.throws(() => resolveAugmentOptions({ flipProbability: 1.5 }), /in \[0, 1\] \(got 1.5\)/);
  assert.throws(() => resolveAugmentOptions({ scale: 1 }), /scale must be in \[0, 1\) \(got 1\)/);
  assert.throws(() => resolveAugmentOptions({ rotation: -1 }), /finite and >= 0 \(got -1\)/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => resolveAugmentOptions({ hue: 1 } as any), /unknown option \(got "hue"\)/);
});
