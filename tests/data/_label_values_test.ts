import assert from "node:assert/strict";
import { countNonFinite, labelOutliers, toLabelArray } from "../../data/_label_values.ts";

Deno.test("labelOutliers counts each value outside 0..6, sorted, ignoring NaN", () => {
  const data = new Float32Array([0, 6, 7, 7, -1, 2.5, NaN, 3, 7]);
  assert.deepEqual(labelOutliers(data), [[-1, 1], [2.5, 1], [7, 3]]);
  assert.deepEqual(labelOutliers(new Uint8Array([0, 1, 2, 3, 4, 5, 6])), []);
});

Deno.test("countNonFinite counts NaN and infinities in float arrays", () => {
  assert.deepEqual(countNonFinite(new Float32Array([NaN, Infinity, -Infinity, 1, NaN])), {
    nan: 2,
    infinite: 2,
  });
  assert.deepEqual(countNonFinite(new Int16Array([1, 2])), { nan: 0, infinite: 0 });
});

Deno.test("toLabelArray converts to Uint8Array and keeps Uint8Array as is", () => {
  const u8 = new Uint8Array([1, 2]);
  assert.equal(toLabelArray(u8), u8);
  assert.deepEqual(toLabelArray(new Float32Array([3, 6])), new Uint8Array([3, 6]));
});
