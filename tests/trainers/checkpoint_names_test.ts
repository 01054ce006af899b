import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import type { MethodOptions } from "../../trainers/method.ts";
import { createMethod, methodNames } from "../../trainers/method_registry.ts";

await initEngine({ backend: "wasm", log: () => {} });

/**
 * Checkpoint variable names of every built-in method's trainers, captured before the plug-in
 * parts refactor (issue 16). Checkpoints are read by name, so a renamed or missing variable
 * would make today's checkpoints unloadable.
 */
const EXPECTED: Record<string, string[][]> = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/checkpoint_names.json", import.meta.url)),
);

/** The options the names were captured with (a 5-level UNet so that URPC builds). */
const TINY: MethodOptions = {
  numClasses: 3,
  seed: 1,
  unet: { channels: [4, 4, 8, 8, 8], dropout: [0.1, 0.1, 0.1, 0.1, 0.1] },
  generator: { ngf: 4, downsamplings: 2 },
  discriminator: { ndf: 4, nLayers: 1 },
  auxiliaryDiscriminator: { ndf: 4, nLayers: 2 },
};

Deno.test("checkpoint names: every built-in method has a captured list", () => {
  for (const name of Object.keys(EXPECTED)) {
    assert.ok(methodNames().includes(name), `captured method ${name} is no longer registered`);
  }
});

for (const name of Object.keys(EXPECTED)) {
  Deno.test(`checkpoint names: ${name} keeps the variable names of its checkpoints`, () => {
    const method = createMethod(name, TINY);
    try {
      const names = method.stages.map((s) => [...s.trainer.namedState().keys()].sort());
      const expected = EXPECTED[name]!.map((stage) => [...stage].sort());
      assert.equal(names.length, expected.length, `${name}: number of stages`);
      names.forEach((stage, i) => {
        const missing = expected[i]!.filter((n) => !stage.includes(n));
        const added = stage.filter((n) => !expected[i]!.includes(n));
        assert.deepEqual({ missing, added }, { missing: [], added: [] }, `${name} stage ${i}`);
      });
    } finally {
      method.dispose();
    }
  });
}
