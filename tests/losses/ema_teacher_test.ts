import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { Rng } from "../../engine/rng.ts";
import { EmaTeacher } from "../../losses/ema_teacher.ts";
import { UNet } from "../../networks/unet.ts";
import { assertClose } from "../_helpers.ts";
import { FakeGenerator, FakeSegmentor } from "./_fake_nets.ts";

await initEngine({ backend: "wasm", log: () => {} });

Deno.test("EmaTeacher: θ' ← α_t θ' + (1 - α_t) θ on a 2-element variable", () => {
  const student = new FakeSegmentor([1, 2]);
  const teacher = new EmaTeacher({ segmentor: student, generator: null }, { decay: 0.99 });
  const t = teacher.segmentor as FakeSegmentor;
  assert.deepEqual(t.values(), [1, 2], "starts as a copy");
  student.set([3, 5]);
  teacher.update({ step: 0, updated: "segmentor" }); // α_0 = 0: copy
  assertClose(t.values(), [3, 5]);
  student.set([5, 9]);
  teacher.update({ step: 1, updated: "segmentor" }); // α_1 = 0.5
  assertClose(t.values(), [4, 7]);
  teacher.update({ step: 1, updated: "discriminator" }); // not a student step
  teacher.update({ step: 1, updated: "generator" }); // no generator teacher
  assertClose(t.values(), [4, 7]);
  student.set([104, 7]);
  teacher.update({ step: 500, updated: "segmentor" }); // α = decay = 0.99
  assertClose(t.values(), [0.99 * 4 + 0.01 * 104, 7], 1e-6);
  assert.deepEqual(teacher.variableNames, ["S/w"]);
  assert.equal(teacher.variables[0], t.weight);
  teacher.dispose();
  teacher.dispose();
  assert.ok(t.isDisposed && !student.isDisposed, "the teacher frees its clones only");
  assert.throws(
    () => teacher.predict(tf.zeros([1, 1, 1, 1]), "segmentor", new Rng(0)),
    /Cannot predict with an EMA teacher: the teacher was disposed/,
  );
  student.dispose();
});

Deno.test("EmaTeacher: mirrors the S∘G path with S'∘G' and updates G' on generator steps", () => {
  const s = new FakeSegmentor([1, -1]), g = new FakeGenerator(2);
  const teacher = new EmaTeacher({ segmentor: s, generator: g });
  g.set([4]);
  s.set([0, 0]);
  const x = tf.tensor4d([0.5], [1, 1, 1, 1]);
  // Teacher still holds S' = [1, -1], G' = 2: logits = 2·0.5·[1, -1] = [1, -1].
  const viaG = teacher.predict(x, "generator-segmentor", new Rng(0));
  assertClose(viaG.dataSync(), [1, -1]);
  const direct = teacher.predict(x, "segmentor", new Rng(0));
  assertClose(direct.dataSync(), [0.5, -0.5]);
  teacher.update({ step: 1, updated: "generator" }); // α = 0.5
  assertClose((teacher.generator as FakeGenerator).values(), [3]);
  assertClose((teacher.segmentor as FakeSegmentor).values(), [1, -1], 0, "S' waits for S steps");
  assert.deepEqual(teacher.variableNames, ["S/w", "G/w"]);
  // The teacher's output is detached: with an input that depends on the student, only the
  // student's own term reaches its gradient.
  const { grads, value } = tf.variableGrads(() =>
    tf.add(
      tf.sum(teacher.predict(tf.mul(x, tf.sum(s.weight)) as tf.Tensor4D, "segmentor", new Rng(0))),
      tf.sum(s.weight),
    ) as tf.Scalar, [s.weight]);
  assertClose(grads[s.weight.name]!.dataSync(), [1, 1], 0);
  tf.dispose([x, viaG, direct, value, ...Object.values(grads)]);
  teacher.dispose();
  s.dispose();
  g.dispose();
});

Deno.test("EmaTeacher on a UNet pairs every trainable variable and keeps BN state its own", () => {
  const unet = new UNet({ channels: [2, 4], dropout: [0, 0], numClasses: 3, seed: 1 });
  const teacher = new EmaTeacher({ segmentor: unet, generator: null });
  assert.equal(teacher.variables.length, unet.variables.length);
  tf.tidy(() => {
    for (const v of unet.trainableVariables) v.assign(tf.add(v, 1));
  });
  teacher.update({ step: 0, updated: "segmentor" });
  const names = unet.variableNames;
  unet.variables.forEach((v, i) => {
    const trainable = unet.trainableVariables.includes(v);
    const same = tf.tidy(() => tf.max(tf.abs(tf.sub(v, teacher.variables[i]!))).dataSync()[0]!);
    assert.equal(same === 0, true, `${names[i]} (${trainable ? "weight" : "state"})`);
  });
  assert.throws(
    () => new EmaTeacher({ segmentor: unet, generator: null }, { decay: 1.5 }),
    /decay must be in \[0, 1\] \(got 1.5\)/,
  );
  teacher.dispose();
  unet.dispose();
});

Deno.test("EmaTeacher.predict() inside a gradient computation records nothing on the tape", () => {
  const unet = new UNet({ channels: [2, 4], dropout: [0.2, 0.2], numClasses: 3, seed: 1 });
  const teacher = new EmaTeacher({ segmentor: unet, generator: null });
  const x = tf.randomUniform([2, 8, 8, 1], -1, 1, "float32", 2) as tf.Tensor4D;
  let recorded = -1;
  const { value, grads } = tf.variableGrads(() => {
    const tape = tf.engine().state.activeTape;
    const before = tape.length;
    const logits = teacher.predict(x, "segmentor", new Rng(1));
    recorded = tape.length - before;
    const student = tf.softmax(unet.apply(x, { training: true }));
    assert.ok(tape.length - before > 20, "the student's pass is recorded");
    return tf.mean(tf.squaredDifference(student, tf.softmax(logits)));
  }, unet.trainableVariables as tf.Variable[]);
  assert.equal(recorded, 0);
  assert.ok(Object.values(grads).every((g) => g.dataSync().every(Number.isFinite)));
  tf.dispose([x, value, ...Object.values(grads)]);
  teacher.dispose();
  unet.dispose();
});
