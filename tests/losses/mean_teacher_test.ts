import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import type { ConsistencyContext } from "../../losses/consistency_loss.ts";
import { MeanTeacher } from "../../losses/mean_teacher.ts";
import { FakeSegmentor, p0 } from "./_fake_nets.ts";
import { parts } from "./_parts.ts";

await initEngine({ backend: "wasm", log: () => {} });

const X = [1, -0.5, 2, 0.25];

function context(s: FakeSegmentor, seed: number, step = 0): ConsistencyContext {
  return {
    images: tf.tensor4d(X, [2, 1, 2, 1]),
    predict: (x) => s.apply(x),
    path: "segmentor",
    update: "segmentor",
    rng: new Rng(seed),
    step,
  };
}

Deno.test("MeanTeacher.compute(): mean((p_student(x) - p_teacher(x + clip(0.2ε, ±0.4)))²) on [-1, 1] images", () => {
  const student = new FakeSegmentor([0.7, -0.2]);
  const mt = new MeanTeacher();
  assert.deepEqual(mt.requires, ["teacher"]);
  parts(mt).attach({ segmentor: student, generator: null });
  student.set([1, 0.1]); // the teacher keeps [0.7, -0.2]
  // SSL4MIS's 0.1 / ±0.2 on [0, 1] images, doubled for our [-1, 1] range.
  const noise = new Rng(3).normalArray(4, 0, 0.2).map((n) => Math.min(0.4, Math.max(-0.4, n)));
  assert.ok(noise.some((n) => n !== 0));
  let sum = 0;
  X.forEach((x, i) => {
    const d = p0(x, [1, 0.1]) - p0(x + noise[i]!, [0.7, -0.2]);
    sum += 2 * d * d; // both classes
  });
  const ctx = context(student, 3);
  const got = mt.compute(ctx).dataSync()[0]!;
  assert.ok(Math.abs(got - sum / 8) < 1e-7, `got ${got}, expected ${sum / 8}`);
  // The gradient reaches the student only (the target is a constant for it).
  const loss = (w: number[]) => {
    let v = 0;
    X.forEach((x, i) => {
      const d = p0(x, w) - p0(x + noise[i]!, [0.7, -0.2]);
      v += 2 * d * d / 8;
    });
    return v;
  };
  const { grads, value } = tf.variableGrads(() => mt.compute(context(student, 3)), [
    student.weight,
  ]);
  const h = 1e-4;
  const numeric = (loss([1 + h, 0.1]) - loss([1 - h, 0.1])) / (2 * h);
  assert.ok(Math.abs(grads[student.weight.name]!.dataSync()[0]! - numeric) < 1e-5);
  tf.dispose([ctx.images, value, grads[student.weight.name]!]);
  parts(mt).dispose();
  student.dispose();
});

Deno.test("MeanTeacher: gate, EMA update after a step, attach rules", () => {
  const student = new FakeSegmentor([0.7, -0.2]);
  const gated = new MeanTeacher({ gateIterations: 5, noiseStd: 0 });
  assert.throws(() => gated.compute(context(student, 1)), /has no teacher yet/);
  parts(gated).attach({ segmentor: student, generator: null });
  assert.throws(
    () => parts(gated).attach({ segmentor: student, generator: null }),
    /already belongs to a trainer/,
  );
  student.set([3, 0]);
  const early = context(student, 1, 4), late = context(student, 1, 5);
  assert.equal(gated.compute(early).dataSync()[0], 0);
  assert.ok(gated.compute(late).dataSync()[0]! > 0);
  parts(gated).afterOptimizerStep({ step: 0, updated: "segmentor" });
  assert.deepEqual((gated.teacher!.segmentor as FakeSegmentor).values(), [3, 0]);
  assert.equal(gated.compute(late).dataSync()[0], 0, "teacher = student and no noise: 0");
  assert.deepEqual(parts(gated).variableNames, ["S/w"]);
  assert.throws(() => new MeanTeacher({ noiseStd: -1 }), /noiseStd must be a finite number >= 0/);
  tf.dispose([early.images, late.images]);
  parts(gated).dispose();
  student.dispose();
});
