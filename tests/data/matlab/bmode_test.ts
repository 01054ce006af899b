import assert from "node:assert/strict";
import { logCompress } from "../../../data/matlab/bmode.ts";

Deno.test("logCompress maps the maximum to 1 and the dynamic range below it to 0", () => {
  const out = logCompress([-1000, 100, 10, 1, 0.5, 0], { dynamicRange: 60 });
  assert.deepEqual(Array.from(out).map((v) => Number(v.toFixed(6))), [
    1,
    0.666667,
    0.333333,
    0,
    0,
    0,
  ]);
  assert.deepEqual(Array.from(logCompress([0, 0])), [0, 0]);
  assert.equal(logCompress([1, 0.001])[1], 0); // the default range is 60 dB
  assert.throws(
    () => logCompress([1], { dynamicRange: 0 }),
    /Cannot log-compress: dynamicRange must be a positive number of dB \(got 0\)/,
  );
});
