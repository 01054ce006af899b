import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initEngine } from "../../engine/init_engine.ts";
import {
  type AuxiliaryContext,
  type ConsistencyContext,
  type ConsistencyHost,
  type ConsistencyLoss,
  type OptimizerStepEvent,
  type PluginPart,
  pluginParts,
} from "../../losses/consistency_loss.ts";
import { consistencyLossNames, createConsistencyLoss } from "../../losses/consistency_registry.ts";
import { UNet } from "../../networks/unet.ts";
import { GRN } from "../../trainers/grn.ts";
import { toyBands } from "../_toy_data.ts";

await initEngine({ backend: "wasm", log: () => {} });

const SIZE = 16, CLASSES = 3, BATCH = 4;
const data = toyBands(BATCH, SIZE, CLASSES, 3);

function segmentor(): UNet {
  return new UNet({ channels: [4, 8], dropout: [0, 0], numClasses: CLASSES, seed: 1 });
}

function batches() {
  const shape: [number, number, number] = [BATCH, SIZE, SIZE];
  return {
    labeled: {
      images: tf.tensor4d(data.images, [...shape, 1]),
      labels: tf.tensor3d(data.labels, shape, "int32"),
    },
    unlabeled: { images: tf.tensor4d(data.images, [...shape, 1]) },
  };
}

const meanSquare: ConsistencyLoss["compute"] = ({ images, predict }: ConsistencyContext) =>
  tf.tidy(() => tf.mean(tf.square(tf.softmax(predict(images)))) as tf.Scalar);

/** A loss written before parts: it carries every hook itself. */
class LegacyLoss implements ConsistencyLoss {
  readonly name = "legacy";
  readonly requires = [];
  readonly calls: string[] = [];
  counter: tf.Variable | null = null;
  compute = meanSquare;
  attach(host: ConsistencyHost): void {
    this.calls.push(`attach ${host.segmentor.numClasses}`);
    this.counter = tf.tidy(() => tf.variable(tf.scalar(0), false));
  }
  afterOptimizerStep(event: OptimizerStepEvent): void {
    this.calls.push(`after ${event.updated}`);
    tf.tidy(() => this.counter!.assign(tf.add(this.counter!, 1)));
  }
  auxiliaryStep(ctx: AuxiliaryContext): Record<string, number> {
    this.calls.push(`aux ${ctx.step}`);
    return { lossLegacy: 0.5 };
  }
  get variables(): tf.Variable[] {
    return this.counter ? [this.counter] : [];
  }
  get variableNames(): string[] {
    return this.counter ? ["counter"] : [];
  }
  dispose(): void {
    this.calls.push("dispose");
    this.counter?.dispose();
    this.counter = null;
  }
}

Deno.test("plug-in parts: a loss with the pre-parts hooks on itself still works", async () => {
  const before = tf.memory().numTensors;
  const loss = new LegacyLoss();
  assert.deepEqual(pluginParts(loss), [loss]);
  const grn = new GRN({ segmentor: segmentor(), mode: "ssl", consistency: loss });
  const { labeled, unlabeled } = batches();
  const losses = grn.step(labeled, unlabeled);
  assert.equal(losses.lossLegacy, 0.5);
  // GRN-SSL without a generator: a labeled and an unlabeled segmentor update per iteration.
  assert.deepEqual(loss.calls, [
    `attach ${CLASSES}`,
    "after segmentor",
    "after segmentor",
    "aux 0",
  ]);
  assert.equal(grn.namedState().get("consistency.legacy/counter"), loss.counter);
  const dir = await Deno.makeTempDir();
  try {
    await grn.save(join(dir, "a.ckpt"));
    tf.tidy(() => loss.counter!.assign(tf.scalar(7)));
    await grn.restore(join(dir, "a.ckpt"));
    assert.equal(loss.counter!.dataSync()[0], 2, "its state is checkpointed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  tf.dispose([labeled.images, labeled.labels, unlabeled.images]);
  grn.dispose();
  assert.equal(loss.calls.at(-1), "dispose");
  assert.equal(tf.memory().numTensors, before, "no tensor is left behind");
});

Deno.test("plug-in parts: every built-in consistency loss keeps its state in parts, not hooks of its own", () => {
  for (const name of consistencyLossNames()) {
    const loss = createConsistencyLoss(name);
    const own = ["attach", "afterOptimizerStep", "auxiliaryStep", "variables", "variableNames"]
      .concat("dispose")
      .filter((hook) => hook in loss);
    assert.deepEqual(own, [], `${name} carries hooks itself`);
    assert.ok(!pluginParts(loss).includes(loss as PluginPart), name);
  }
});

Deno.test("plug-in parts: the trainer calls each part's hooks in order and frees them", () => {
  const calls: string[] = [];
  const part = (tag: string): PluginPart => ({
    attach: () => calls.push(`${tag} attach`),
    afterOptimizerStep: (e) => calls.push(`${tag} after ${e.updated}`),
    auxiliaryStep: () => (calls.push(`${tag} aux`), { [`loss${tag}`]: tag === "A" ? 1 : 2 }),
    dispose: () => calls.push(`${tag} dispose`),
  });
  const loss: ConsistencyLoss = {
    name: "two",
    requires: [],
    compute: meanSquare,
    parts: [part("A"), part("B")],
  };
  const grn = new GRN({ segmentor: segmentor(), mode: "ssl", consistency: loss });
  const { labeled, unlabeled } = batches();
  const losses = grn.step(labeled, unlabeled);
  tf.dispose([labeled.images, labeled.labels, unlabeled.images]);
  grn.dispose();
  assert.deepEqual([losses.lossA, losses.lossB], [1, 2]);
  assert.deepEqual(calls, [
    "A attach",
    "B attach",
    "A after segmentor",
    "B after segmentor",
    "A after segmentor",
    "B after segmentor",
    "A aux",
    "B aux",
    "A dispose",
    "B dispose",
  ]);
});

Deno.test("plug-in parts: a part that refuses the host frees the parts attached before it", () => {
  const teacherLoss = createConsistencyLoss("mt");
  const refusing: ConsistencyLoss = {
    name: "refusing",
    requires: ["teacher"],
    compute: meanSquare,
    parts: [
      ...teacherLoss.parts!,
      {
        attach: () => {
          throw new RangeError("Cannot attach the refusing loss: no (got a test host)");
        },
      },
    ],
  };
  const s = segmentor();
  const before = tf.memory().numTensors;
  assert.throws(
    () => new GRN({ segmentor: s, mode: "ssl", consistency: refusing }),
    /Cannot attach the refusing loss/,
  );
  assert.equal(tf.memory().numTensors, before, "the teacher built by the first part is freed");
  s.dispose();
});

Deno.test("plug-in parts: two parts with the same variable names are refused with a clear error", () => {
  const v = tf.tidy(() => tf.variable(tf.scalar(1)));
  const twin: PluginPart = { variables: [v], variableNames: ["w"] };
  const grn = new GRN({
    segmentor: segmentor(),
    mode: "ssl",
    consistency: { name: "twins", requires: [], compute: meanSquare, parts: [twin, twin] },
  });
  assert.throws(
    () => grn.namedState(),
    /Cannot name the trainer's state: two variables are named consistency\.twins\/w/,
  );
  grn.dispose();
  v.dispose();
});
