import type * as tf from "@tensorflow/tfjs";
import {
  type AuxiliaryContext,
  type ConsistencyHost,
  type ConsistencyLoss,
  type OptimizerStepEvent,
  pluginParts,
} from "../../losses/consistency_loss.ts";

/**
 * A loss's plug-in parts driven as the trainer drives them (every part's hook, in order), for
 * tests that exercise a loss without a trainer.
 */
export function parts(loss: ConsistencyLoss) {
  const all = pluginParts(loss);
  return {
    attach: (host: ConsistencyHost) => all.forEach((p) => p.attach?.(host)),
    afterOptimizerStep: (e: OptimizerStepEvent) => all.forEach((p) => p.afterOptimizerStep?.(e)),
    /** Every part's step; scalar tensors are read and disposed, as the trainer does. */
    auxiliaryStep: (ctx: AuxiliaryContext): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const p of all) {
        for (const [k, v] of Object.entries(p.auxiliaryStep?.(ctx) ?? {})) {
          out[k] = typeof v === "number" ? v : v.dataSync()[0]!;
          if (typeof v !== "number") v.dispose();
        }
      }
      return out;
    },
    get variables(): tf.Variable[] {
      return all.flatMap((p) => [...(p.variables ?? [])]);
    },
    get variableNames(): string[] {
      return all.flatMap((p) => [...(p.variableNames ?? [])]);
    },
    dispose: () => all.forEach((p) => p.dispose?.()),
  };
}
