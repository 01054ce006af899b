import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import type { ConsistencyContext } from "../../losses/consistency_loss.ts";
import { InterpolationConsistency } from "../../losses/interpolation_consistency.ts";
import { FakeSegmentor, p0 } from "./_fake_nets.ts";
import { parts } from "./_parts.ts";

await initEngine({ backend: "wasm", log: () => {} });

const X = [0.5, -1, 2, 0.25];

function context(s: FakeSegmentor, seed: number): ConsistencyContext {
  return {
    images: tf.tensor4d(X, [4, 1, 1, 1]),
    predict: (x) => s.apply(x),
    path: "segmentor",
    update: "segmentor",
    rng: new Rng(seed),
    step: 0,
  };
}

Deno.test("ICT with an EMA teacher: mixed student vs λ-mix of teacher predictions, by hand", () => {
  const student = new FakeSegmentor([0.7, 0]);
  const ict = new InterpolationConsistency({
    alpha: 0.2,
    foldLambda: false,
    pairing: "halves",
    teacher: { decay: 0.99 },
  });
  assert.deepEqual(ict.requires, ["batch-pairs", "teacher"]);
  assert.deepEqual(new InterpolationConsistency().requires, ["batch-pairs"], "default unchanged");
  assert.throws(() => ict.compute(context(student, 1)), /has no teacher yet/);
  parts(ict).attach({ segmentor: student, generator: null });
  student.set([1.5, 0]); // teacher keeps [0.7, 0]
  const { partner, lambda } = ict.drawMixing(4, new Rng(11));
  assert.deepEqual(partner, [2, 3, 0, 1]);
  const loss = (ws: number) => {
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      const l = lambda[i]!, j = partner[i]!;
      const mixed = l * X[i]! + (1 - l) * X[j]!;
      const target = l * p0(X[i]!, [0.7, 0]) + (1 - l) * p0(X[j]!, [0.7, 0]);
      sum += 2 * (p0(mixed, [ws, 0]) - target) ** 2;
    }
    return sum / 8;
  };
  const ctx = context(student, 11);
  const { value, grads } = tf.variableGrads(() => ict.compute(ctx), [student.weight]);
  assert.ok(Math.abs(value.dataSync()[0]! - loss(1.5)) < 1e-7);
  // The target is the teacher's and detached: the gradient is the student path's alone.
  const h = 1e-4;
  const numeric = (loss(1.5 + h) - loss(1.5 - h)) / (2 * h);
  assert.ok(Math.abs(grads[student.weight.name]!.dataSync()[0]! - numeric) < 1e-5);
  parts(ict).afterOptimizerStep({ step: 0, updated: "segmentor" });
  assert.deepEqual((ict.teacher!.segmentor as FakeSegmentor).values(), [1.5, 0]);
  assert.deepEqual(parts(ict).variableNames, ["S/w"]);
  tf.dispose([ctx.images, value, grads[student.weight.name]!]);
  parts(ict).dispose();
  student.dispose();
});

Deno.test("ICT without a teacher: attach is a no-op and there is no state", () => {
  const student = new FakeSegmentor([0.7, 0]);
  const ict = new InterpolationConsistency();
  parts(ict).attach({ segmentor: student, generator: null });
  parts(ict).attach({ segmentor: student, generator: null });
  assert.equal(ict.teacher, null);
  assert.deepEqual(parts(ict).variables, []);
  student.dispose();
});
