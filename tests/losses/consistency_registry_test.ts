import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  consistencyLossNames,
  createConsistencyLoss,
  registerConsistencyLoss,
} from "../../losses/consistency_registry.ts";
import { InterpolationConsistency } from "../../losses/interpolation_consistency.ts";

Deno.test("createConsistencyLoss: built-ins by name, with their options", () => {
  assert.deepEqual(consistencyLossNames().slice(0, 7), [
    "ict",
    "mt",
    "uamt",
    "urpc",
    "rdrop",
    "dan",
    "sassnet",
  ]);
  for (const name of consistencyLossNames().slice(0, 7)) {
    assert.equal(createConsistencyLoss(name).name, name);
  }
  const ict = createConsistencyLoss("ict", { teacher: true, alpha: 0.2 });
  assert.ok(ict instanceof InterpolationConsistency);
  assert.deepEqual(ict.requires, ["batch-pairs", "teacher"]);
  assert.deepEqual(createConsistencyLoss("urpc").requires, ["pyramid"]);
  assert.throws(() => createConsistencyLoss("mt", { decay: 2 }), /decay must be in \[0, 1\]/);
});

Deno.test("createConsistencyLoss: unknown names list the valid ones and suggest the nearest", () => {
  assert.throws(
    () => createConsistencyLoss("mean-teacher"),
    /^RangeError: Cannot create a consistency loss: unknown consistency loss name; valid names are ict, mt, uamt, urpc, rdrop, dan, sassnet.*; did you mean "[a-z-]+"\? \(got "mean-teacher"\)$/,
  );
  assert.throws(() => createConsistencyLoss("urcp"), /did you mean "urpc"\?/);
  assert.throws(() => createConsistencyLoss("sasnet"), /did you mean "sassnet"\?/);
});

Deno.test("registerConsistencyLoss: users add losses by name", () => {
  registerConsistencyLoss({
    name: "zero",
    description: "always 0",
    create: () => ({ name: "zero", requires: [], compute: () => tf.scalar(0) }),
  });
  assert.equal(createConsistencyLoss("zero").name, "zero");
  assert.throws(
    () =>
      registerConsistencyLoss({
        name: "mt",
        description: "",
        create: () => createConsistencyLoss("ict"),
      }),
    /Cannot register consistency loss "mt": the name is taken/,
  );
  assert.throws(
    () =>
      registerConsistencyLoss({
        name: "",
        description: "",
        create: () => createConsistencyLoss("ict"),
      }),
    /name must be a non-empty string/,
  );
});
