import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { ModuleBase } from "../../networks/module_base.ts";

class Toy extends ModuleBase {
  constructor(name: string, seed: number, extra = false) {
    super({ name, seed });
    const s = this.params.child("layer");
    s.weight("kernel", [2, 3], s.rng.uniformArray(6, -1, 1));
    s.state("count", [1], new Float32Array(1));
    if (extra) s.weight("bias", [3], new Float32Array(3));
  }
  copyFrom(other: Toy): void {
    this.copyStateFrom(other);
  }
  addDuplicate(): void {
    this.params.child("layer").weight("kernel", [1], new Float32Array(1));
  }
}

Deno.test("ModuleBase names variables logically and keeps tfjs names unique", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const a = new Toy("toy", 1);
  const b = new Toy("toy", 1);
  try {
    assert.equal(a.kind, "Toy");
    assert.deepEqual(a.variableNames, ["layer.kernel", "layer.count"]);
    assert.deepEqual(a.trainableVariables, [a.variables[0]]);
    assert.equal(a.variables[1]!.trainable, false);
    assert.ok(a.variables[0]!.name.startsWith("toy/layer.kernel"));
    assert.notEqual(a.variables[0]!.name, b.variables[0]!.name, "same module name, no clash");
    assert.deepEqual(await a.variables[0]!.data(), await b.variables[0]!.data(), "same seed");
    assert.throws(() => a.addDuplicate(), /Cannot register variable: Toy already has layer.kernel/);
  } finally {
    a.dispose();
    b.dispose();
  }
});

Deno.test("ModuleBase copies state only between identical layouts", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const a = new Toy("a", 1);
  const b = new Toy("b", 2);
  const c = new Toy("c", 3, true);
  try {
    b.copyFrom(a);
    assert.deepEqual(await b.variables[0]!.data(), await a.variables[0]!.data());
    assert.throws(() => c.copyFrom(a), /Cannot copy Toy "a" into "c": variable names differ/);
    a.dispose();
    assert.throws(() => b.copyFrom(a), /Cannot clone: Toy "a" has been disposed/);
  } finally {
    a.dispose();
    b.dispose();
    c.dispose();
  }
});

Deno.test("ModuleBase rejects empty names and non-finite seeds before allocating", async () => {
  await initEngine({ backend: "wasm", log: () => {} });
  const before = tf.memory().numTensors;
  assert.throws(() => new Toy("", 1), /Cannot create Toy: name must be a non-empty string/);
  assert.throws(() => new Toy("x", NaN), /Cannot create Toy: seed must be a finite number/);
  assert.equal(tf.memory().numTensors, before);
});
