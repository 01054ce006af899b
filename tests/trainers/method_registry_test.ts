import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { UNet } from "../../networks/unet.ts";
import { GRN } from "../../trainers/grn.ts";
import {
  createMethod,
  getMethodDefinition,
  methodNames,
  registerMethod,
} from "../../trainers/method_registry.ts";

await initEngine({ backend: "wasm", log: () => {} });

const TINY = { numClasses: 3, unet: { channels: [4, 8], dropout: [0.1, 0.1] } };

Deno.test("methodNames(): every method of the paper's tables, GRN variants and ablations", () => {
  assert.deepEqual(methodNames().slice(0, 17), [
    "supervised",
    "supervised-aug",
    "supervised-gan-aug",
    "mt",
    "uamt",
    "urpc",
    "sassnet",
    "rdrop",
    "ict",
    "dan",
    "grn-sel",
    "grn-sel-no-feedback",
    "grn-sel-negated",
    "grn-sel-frozen-s",
    "grn-ssl",
    "grn-ssl-mt",
    "grn-ssl-urpc",
  ]);
  const flags = (n: string) => {
    const d = getMethodDefinition(n);
    return [d.usesUnlabeled, d.hasGenerator];
  };
  assert.deepEqual(flags("supervised"), [false, false]);
  assert.deepEqual(flags("mt"), [true, false]);
  assert.deepEqual(flags("grn-sel"), [false, true]);
  assert.deepEqual(flags("grn-ssl"), [true, true]);
  for (const n of methodNames()) assert.ok(getMethodDefinition(n).reference.length > 0);
});

Deno.test("createMethod: an unknown name lists the valid names and suggests the nearest", () => {
  assert.throws(
    () => createMethod("uamtt"),
    (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /^Cannot create method: unknown method name; valid names are /);
      assert.match(e.message, /supervised, supervised-aug, supervised-gan-aug, mt, uamt/);
      assert.match(e.message, /did you mean "uamt"\? \(got "uamtt"\)$/);
      return true;
    },
  );
  assert.throws(() => createMethod("GRN-SSL"), /did you mean "grn-ssl"\?/);
  assert.throws(() => createMethod("grn_sel_negated"), /did you mean "grn-sel-negated"\?/);
  assert.throws(() => getMethodDefinition("rdorp"), /Cannot find method: .*did you mean "rdrop"/);
  assert.throws(() => createMethod("mt", { numClasses: 1 }), /numClasses must be an integer >= 2/);
  assert.throws(
    () => createMethod("mt", { ganEpochShare: 1 }),
    /ganEpochShare must be in \(0, 1\)/,
  );
});

Deno.test("createMethod: shared options reach the networks; method defaults stay per method", () => {
  const mt = createMethod("mt", { ...TINY, seed: 4 });
  const sup = createMethod("supervised", { ...TINY, seed: 4 });
  assert.equal(mt.trainer.mode, "ssl");
  assert.equal(mt.trainer.consistency?.name, "mt");
  assert.equal(sup.trainer.consistency, null);
  assert.equal(mt.trainer.segmentor.numClasses, 3);
  const w = (m: typeof mt) => m.trainer.segmentor.variables.map((v) => Array.from(v.dataSync()));
  assert.deepEqual(w(mt), w(sup), "the same backbone initialisation for every method");
  const urpc = createMethod("urpc", {
    ...TINY,
    unet: { channels: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] },
  });
  assert.equal(urpc.trainer.consistency?.name, "urpc");
  assert.throws(() => createMethod("urpc", TINY), /PyramidUNet: channels must list at least 5/);
  const aug = createMethod("supervised-aug", TINY);
  assert.ok(aug.augmentsLabeled && !sup.augmentsLabeled);
  for (const m of [mt, sup, urpc, aug]) m.dispose();
});

Deno.test("registerMethod: users add methods; names must be new unless replaced", () => {
  const definition = {
    name: "user-supervised",
    description: "a user's method",
    reference: "none",
    usesUnlabeled: false,
    hasGenerator: false,
    build: ({ options }: { options: { numClasses: number } }) => [{
      name: "train",
      epochShare: 1,
      validate: true,
      trainer: new GRN({
        segmentor: new UNet({ channels: [2, 4], dropout: [0, 0], numClasses: options.numClasses }),
      }),
    }],
  };
  registerMethod(definition);
  assert.ok(methodNames().includes("user-supervised"));
  const m = createMethod("user-supervised", { numClasses: 5 });
  assert.equal(m.trainer.segmentor.numClasses, 5);
  m.dispose();
  assert.throws(() => registerMethod(definition), /the name is taken/);
  registerMethod(definition, { replace: true });
  assert.throws(() => registerMethod({ ...definition, name: " x" }), /name must be a non-empty/);
  assert.throws(
    () => registerMethod({ ...definition, name: "bad", build: 3 as never }),
    /build must be a function/,
  );
  registerMethod({ ...definition, name: "empty", build: () => [] });
  assert.throws(() => createMethod("empty"), /Cannot build method "empty": it has no stage/);
});
