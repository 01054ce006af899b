import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";

await initEngine({ backend: "wasm", native: "off", log: () => {} });

Deno.test("wasm Identity (tf.clone) shares the buffer and keeps it alive until both are gone", () => {
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const y = tf.clone(x);
  assert.equal(backend.numDataIds(), ids + 1, "clone allocated a second buffer");
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(y.shape, [2, 3]);
  y.dispose();
  assert.equal(backend.numDataIds(), ids);
});

Deno.test("wasm Identity keeps int32 and bool data", () => {
  tf.tidy(() => {
    const a = tf.clone(tf.tensor1d([7, -3], "int32"));
    const b = tf.clone(tf.tensor1d([true, false, true], "bool"));
    assert.equal(a.dtype, "int32");
    assert.deepEqual(Array.from(a.dataSync()), [7, -3]);
    assert.equal(b.dtype, "bool");
    assert.deepEqual(Array.from(b.dataSync()), [1, 0, 1]);
  });
});
