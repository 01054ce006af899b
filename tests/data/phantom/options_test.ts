import assert from "node:assert/strict";
import {
  DEFAULT_ECHO,
  DEFAULT_THICKNESS_RANGES_MM,
  resolvePhantomOptions,
} from "../../../data/phantom/options.ts";

Deno.test("resolvePhantomOptions fills the documented defaults", () => {
  const o = resolvePhantomOptions();
  assert.deepEqual(o.shape, [64, 64, 128]);
  assert.deepEqual(o.spacing, [0.4, 0.4, 0.3]);
  assert.deepEqual(o.thicknessRangesMm, DEFAULT_THICKNESS_RANGES_MM);
  assert.deepEqual(o.echo, DEFAULT_ECHO);
  assert.equal(o.echo.dfm, 0.15);
  assert.equal(o.noise, 0.0016);
  assert.equal(o.contrast, 1);
  assert.equal(o.psfScale, 1.8);
  assert.equal(o.speckle, 1);
  assert.equal(o.structure, 1);
  assert.equal(o.dynamicRangeDb, 50);
  assert.equal(o.frequencyMhz, 6);
  assert.equal(o.apertureMm, 25.6);
  assert.equal(o.quantize, true);
  assert.equal(o.keepEnvelope, false);
});

Deno.test("resolvePhantomOptions merges partial echo and thickness overrides", () => {
  const o = resolvePhantomOptions({ echo: { sfm: 0.5 }, thicknessRangesMm: { dermis: [2, 2] } });
  assert.equal(o.echo.sfm, 0.5);
  assert.equal(o.echo.dfm, DEFAULT_ECHO.dfm);
  assert.deepEqual(o.thicknessRangesMm.dermis, [2, 2]);
  assert.deepEqual(o.thicknessRangesMm.sfm, DEFAULT_THICKNESS_RANGES_MM.sfm);
});

Deno.test("resolvePhantomOptions rejects out-of-range values with the house error style", () => {
  assert.throws(
    () => resolvePhantomOptions({ noise: -1 }),
    (e: unknown) =>
      e instanceof RangeError && /^Cannot configure phantom: noise .*\(got -1\)$/.test(e.message),
  );
  assert.throws(() => resolvePhantomOptions({ speckle: 1.5 }), RangeError);
  assert.throws(() => resolvePhantomOptions({ shape: [4, 4, 4] }), /at least 8 depth voxels/);
  assert.throws(() => resolvePhantomOptions({ spacing: [0.4, 0, 0.3] }), RangeError);
  assert.throws(
    () => resolvePhantomOptions({ thicknessRangesMm: { sfm: [0.9, 0.6] } }),
    /thicknessRangesMm\.sfm/,
  );
  assert.throws(() => resolvePhantomOptions({ echo: { dermis: Number.NaN } }), /echo\.dermis/);
});
