import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine } from "../../engine/init_engine.ts";
import { predictVolume, predictVolumeSge } from "../../data/predict_volume.ts";
import { applyWindow, robustWindow } from "../../data/slices_normalize.ts";
import { voxelIndex } from "../../data/volume.ts";
import { assertNoTensorLeak } from "../_helpers.ts";
import { layerOf, volumeOf } from "./_volumes.ts";

await initEngine({ backend: "cpu", log: () => {} });

const CLASSES = 7;
/** Normalised intensity level of class c: evenly spaced in [-1, 1]. */
const level = (c: number) => -1 + (2 * c) / (CLASSES - 1);

/**
 * A real computation standing in for a network: logits_c = -8 (x - level_c)^2, so the argmax
 * is the class whose level is nearest to the pixel intensity.
 */
function thresholdPredict(x: tf.Tensor4D): tf.Tensor4D {
  const levels = tf.tensor1d(Array.from({ length: CLASSES }, (_, c) => level(c)));
  return tf.mul(tf.squaredDifference(x, levels.reshape([1, 1, 1, CLASSES])), -8) as tf.Tensor4D;
}

/** Nearest-level class of a normalised intensity (the reference of `thresholdPredict`). */
function nearestClass(x: number): number {
  let best = 0;
  for (let c = 1; c < CLASSES; c++) {
    if ((x - level(c)) ** 2 < (x - level(best)) ** 2) best = c;
  }
  return best;
}

/** Layered volume: intensity = class level along depth (skin to muscle), plus a tiny ripple. */
const SHAPE: [number, number, number] = [9, 6, 21];
const image = volumeOf(
  SHAPE,
  (x, y, z) => level(layerOf(z, SHAPE[2])) * 100 + 500 + 0.5 * ((x + y) % 2),
  Float32Array,
);
const normalised = applyWindow(image.data, robustWindow(image.data));
const expected = Uint8Array.from(normalised, nearestClass);

Deno.test("predictVolume keeps the input geometry and is exact with pad fit", async () => {
  for (const direction of ["coronal", "sagittal", "both"] as const) {
    const out = await predictVolume(image, thresholdPredict, {
      inputSize: [32, 16],
      direction,
      fit: "pad",
      batchSize: 3,
    });
    assert.deepEqual(out.shape, image.shape);
    assert.deepEqual(out.spacing, image.spacing);
    assert.deepEqual(out.affine, image.affine);
    assert.notEqual(out.affine, image.affine, "affine must be a copy");
    assert.equal(out.depthAxis, undefined);
    assert.ok(out.data instanceof Uint8Array);
    assert.deepEqual(out.data, expected, direction);
  }
  // The layers really are distinct classes: the reference is not trivial.
  assert.equal(new Set(expected).size, CLASSES);
});

Deno.test("predictVolume with resize is exact when only the lateral size changes", async () => {
  // Intensity is constant along columns within a layer (up to the ripple), so resizing the
  // columns 9 -> 16 and back never mixes classes.
  const out = await predictVolume(image, thresholdPredict, {
    inputSize: [SHAPE[2], 16],
    direction: "coronal",
    fit: "resize",
  });
  assert.deepEqual(out.data, expected);
});

Deno.test("predictVolume with resize along depth is right away from layer boundaries", async () => {
  const out = await predictVolume(image, thresholdPredict, { inputSize: [32, 32] });
  let agree = 0, interior = 0;
  for (let z = 0; z < SHAPE[2]; z++) {
    const nearBoundary = layerOf(z - 1, SHAPE[2]) !== layerOf(z, SHAPE[2]) ||
      layerOf(z + 1, SHAPE[2]) !== layerOf(z, SHAPE[2]);
    for (let y = 0; y < SHAPE[1]; y++) {
      for (let x = 0; x < SHAPE[0]; x++) {
        const i = voxelIndex(SHAPE, x, y, z);
        if (out.data[i] === expected[i]) agree++;
        if (z > 0 && z < SHAPE[2] - 1 && !nearBoundary) {
          interior++;
          assert.equal(out.data[i], expected[i], `voxel ${x},${y},${z}`);
        }
      }
    }
  }
  assert.ok(interior > 0);
  assert.ok(agree / expected.length > 0.9, `agreement ${agree / expected.length}`);
});

Deno.test("predictVolume 'both' averages the two directions' probabilities", async () => {
  // Intensity varies along x only; the predictor looks at the right-hand neighbour, so coronal
  // slices (columns = x) and sagittal slices (columns = y) disagree, and 'both' must follow
  // argmax(p_coronal + p_sagittal).
  const shape: [number, number, number] = [5, 4, 3];
  const vol = volumeOf(shape, (x, y, z) => ((x * 37) % 11) + 0.01 * (y + z), Float32Array);
  const norm = applyWindow(vol.data, robustWindow(vol.data));
  const predict = (x: tf.Tensor4D): tf.Tensor4D => {
    const [b, h, w] = x.shape;
    const right = tf.concat(
      [x.slice([0, 0, 1, 0], [b, h, w - 1, 1]), tf.fill([b, h, 1, 1], -1)],
      2,
    );
    return tf.concat([tf.mul(x, 2), tf.mul(x, -2), tf.mul(tf.sub(right, x), 3)], 3) as tf.Tensor4D;
  };
  const softmax = (l: number[]) => {
    const m = Math.max(...l);
    const e = l.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  const probs = (v: number, right: number) => softmax([2 * v, -2 * v, 3 * (right - v)]);
  const argmax = (p: number[]) => p.indexOf(Math.max(...p));
  const ref = { coronal: [] as number[], sagittal: [] as number[], both: [] as number[] };
  for (let z = 0; z < shape[2]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[0]; x++) {
        const v = norm[voxelIndex(shape, x, y, z)]!;
        const rx = x + 1 < shape[0] ? norm[voxelIndex(shape, x + 1, y, z)]! : -1;
        const ry = y + 1 < shape[1] ? norm[voxelIndex(shape, x, y + 1, z)]! : -1;
        const pc = probs(v, rx), ps = probs(v, ry);
        ref.coronal.push(argmax(pc));
        ref.sagittal.push(argmax(ps));
        ref.both.push(argmax(pc.map((p, k) => p + ps[k]!)));
      }
    }
  }
  for (const direction of ["coronal", "sagittal", "both"] as const) {
    const out = await predictVolume(vol, predict, { inputSize: [3, 5], direction, fit: "pad" });
    assert.deepEqual(Array.from(out.data), ref[direction], direction);
  }
  assert.notDeepEqual(ref.both, ref.coronal);
  assert.notDeepEqual(ref.both, ref.sagittal);
});

Deno.test("predictVolume honours depthAxis and crops with pad fit", async () => {
  // Depth along y; input smaller than the native slices crops rows at the bottom (deep) and
  // columns on both sides: those voxels get class 0.
  const shape: [number, number, number] = [6, 10, 4];
  const vol = volumeOf(shape, (_x, y) => level(layerOf(y, 10)), Float32Array, 1);
  const norm = applyWindow(vol.data, robustWindow(vol.data));
  const out = await predictVolume(vol, thresholdPredict, {
    inputSize: [8, 4],
    direction: "coronal", // fixes z, columns along x (6 -> 4: offset -1)
    fit: "pad",
  });
  assert.equal(out.depthAxis, 1);
  for (let z = 0; z < 4; z++) {
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 6; x++) {
        const i = voxelIndex(shape, x, y, z);
        const covered = y < 8 && x >= 1 && x <= 4;
        assert.equal(out.data[i], covered ? nearestClass(norm[i]!) : 0, `voxel ${x},${y},${z}`);
      }
    }
  }
});

Deno.test("predictVolume does not leak tensors, also when predict fails", async () => {
  await assertNoTensorLeak(
    () => predictVolume(image, thresholdPredict, { inputSize: [16, 16], batchSize: 4 }),
    2,
    "predictVolume",
  );
  const before = tf.memory().numTensors;
  await assert.rejects(
    predictVolume(image, (x) => tf.concat([x, x], 1) as tf.Tensor4D, {
      inputSize: [16, 16],
      batchSize: 4,
    }),
    /predict must return logits \[4, 16, 16, C\] \(got \[4,32,16,1\]\)/,
  );
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("predictVolume rejects bad options", async () => {
  await assert.rejects(
    predictVolume(image, thresholdPredict, { inputSize: [16, 0] }),
    /inputSize must be two positive integers/,
  );
  await assert.rejects(
    predictVolume(image, thresholdPredict, { inputSize: [16, 16], batchSize: 0 }),
    /batchSize must be a positive integer \(got 0\)/,
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    predictVolume(image, thresholdPredict, { inputSize: [16, 16], direction: "axial" as any }),
    /direction must be "coronal", "sagittal" or "both" \(got "axial"\)/,
  );
});

Deno.test("predictVolumeSge: S(G(x)) labels as predictVolume's, G once per batch, G(x) on the grid", async () => {
  const enhance = (x: tf.Tensor4D) => tf.tanh(tf.mul(x, 2)) as tf.Tensor4D;
  let enhanceCalls = 0;
  const counted = (x: tf.Tensor4D) => {
    enhanceCalls++;
    return enhance(x);
  };
  const options = { inputSize: [32, 16] as const, fit: "pad" as const, batchSize: 4 };
  const reference = await predictVolume(image, (x) => thresholdPredict(enhance(x)), options);
  const { labels, enhanced } = await predictVolumeSge(
    image,
    { enhance: counted, segment: thresholdPredict },
    { ...options, enhancedDirection: "sagittal" },
  );
  assert.deepEqual(labels.data, reference.data);
  assert.deepEqual(labels.shape, image.shape);
  // One G call per slice batch of each direction, although G(x) is also returned.
  const batches = (n: number) => Math.ceil(n / 4);
  assert.equal(enhanceCalls, batches(SHAPE[0]) + batches(SHAPE[1]));
  assert.ok(enhanced !== null && enhanced.length === image.data.length);
  // pad fit is exact: G(x) on the grid is tanh(2x) of the normalised voxel.
  let worst = 0;
  for (let v = 0; v < normalised.length; v++) {
    worst = Math.max(worst, Math.abs(enhanced[v]! - Math.tanh(2 * normalised[v]!)));
  }
  assert.ok(worst < 1e-6, `max |G(x) - tanh(2x)| ${worst}`);
  const without = await predictVolumeSge(image, { enhance, segment: thresholdPredict }, options);
  assert.equal(without.enhanced, null);
  assert.deepEqual(without.labels.data, reference.data);
});

Deno.test("predictVolumeSge: refuses an unpredicted G(x) direction and a G that changes the shape; no leak", async () => {
  const predictor = { enhance: (x: tf.Tensor4D) => tf.neg(x), segment: thresholdPredict };
  await assert.rejects(
    predictVolumeSge(image, predictor, {
      inputSize: [32, 16],
      direction: "coronal",
      enhancedDirection: "sagittal",
    }),
    /^RangeError: Cannot predict a volume: enhancedDirection must be one of the predicted directions \["coronal"\] \(got "sagittal"\)$/,
  );
  await assert.rejects(
    predictVolumeSge(image, {
      enhance: (x) => tf.concat([x, x], 3) as tf.Tensor4D,
      segment: thresholdPredict,
    }, { inputSize: [32, 16], batchSize: 4 }),
    /Cannot predict a volume with SGE: enhance must return images of its input's shape \[4,32,16,1\] \(got \[4,32,16,2\]\)/,
  );
  await assertNoTensorLeak(
    () => predictVolumeSge(image, predictor, { inputSize: [32, 16], enhancedDirection: "coronal" }),
    2,
    "predictVolumeSge",
  );
});
