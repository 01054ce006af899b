import assert from "node:assert/strict";
import { command } from "../../../cli/commands/train.ts";
import { registerMethod } from "../../../trainers/method_registry.ts";

Deno.test("grn train --help lists every registered method from its definition", () => {
  const help = command.description ?? "";
  assert.match(help, /\n {2}mt {19}mean teacher: MSE to an EMA teacher .* \[unlabeled\]\n/);
  assert.match(help, /\n {2}supervised-aug {7}.* \[Table 6 ablation\]\n/);
  assert.match(help, /\n {2}grn-sel-negated {6}.* \[SGE, Table 6 ablation\]\n/);
  registerMethod({
    name: "user-help-method",
    label: "User method",
    description: "a user's method",
    reference: "user",
    usesUnlabeled: true,
    hasGenerator: false,
    ablation: true,
    build: () => [],
  });
  assert.match(
    command.description ?? "",
    /\n {2}user-help-method {5}a user's method \[unlabeled, Table 6 ablation\]$/,
  );
});
