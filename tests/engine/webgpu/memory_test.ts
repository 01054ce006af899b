import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../../engine/init_engine.ts";
import { withMemoryGuardAsync } from "../../../engine/memory.ts";
import { MemoryLimitError } from "../../../engine/memory_limit_error.ts";
import { webgpuBackend } from "../../../engine/webgpu/backend.ts";
import {
  releaseWebGPUBuffers,
  webgpuMemory,
  webgpuTensorLimitBytes,
} from "../../../engine/webgpu/memory.ts";
import { UNet } from "../../../networks/unet.ts";
import { GRN } from "../../../trainers/grn.ts";
import { webgpuTest } from "./_webgpu.ts";

webgpuTest(
  "webgpu: a step whose tensor cannot fit a device buffer is a MemoryLimitError naming the sizes; the backend still trains",
  async () => {
    await initEngine({ backend: "webgpu", log: () => {} });
    const limit = webgpuTensorLimitBytes()!;
    // The UNet's first activation, batch 2 x side² x 40 channels of float32, exceeds one buffer.
    const side = 4 * Math.ceil(Math.sqrt(limit / (2 * 40 * 4)) / 4 + 1);
    const grn = new GRN({
      segmentor: new UNet({ channels: [40, 8], dropout: [0, 0], numClasses: 3 }),
    });
    const images = tf.zeros([2, side, side, 1]) as tf.Tensor4D;
    const labels = tf.zeros([2, side, side], "int32") as tf.Tensor3D;
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => grn.stepAsync({ images, labels }),
      (error: unknown) => {
        assert.ok(error instanceof MemoryLimitError, String(error));
        assert.match(
          error.message,
          new RegExp(
            `^Cannot run a supervised segmentor training step at batch size 2 and image size ` +
              `${side}x${side}: .*on the webgpu device, whose buffers hold at most .*` +
              "Use a smaller batch size or image size",
          ),
        );
        assert.equal(error.heapBytes, null);
        assert.equal(error.limitBytes, limit);
        assert.ok(error.requestedBytes! > limit);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, before, "the failed step left tensors behind");
    const small = {
      images: tf.zeros([2, 16, 16, 1]) as tf.Tensor4D,
      labels: tf.zeros([2, 16, 16], "int32") as tf.Tensor3D,
    };
    assert.ok(Number.isFinite((await grn.stepAsync(small)).lossS!));
    tf.dispose([images, labels, small.images, small.labels]);
    grn.dispose();
  },
);

webgpuTest(
  "webgpu: an out-of-memory the device reports becomes a MemoryLimitError that says to restart from a checkpoint",
  async () => {
    await initEngine({ backend: "webgpu", log: () => {} });
    const device = webgpuBackend()!.device;
    // Mesa's lavapipe never runs out of device memory in a test's time: the device's report is
    // simulated, as the driver would deliver it outside any error scope.
    const report = () =>
      device.dispatchEvent(
        new GPUUncapturedErrorEvent("uncapturederror", {
          error: new GPUOutOfMemoryError("Not enough memory left (simulated)"),
        }),
      );
    await assert.rejects(
      () =>
        withMemoryGuardAsync(async () => {
          const y = tf.tidy(() => tf.add(tf.ones([64]), 1));
          report();
          try {
            return await y.data();
          } finally {
            y.dispose();
          }
        }, { batchSize: 4, height: 128, width: 128, what: "run a GRN-SSL training step" }),
      (error: unknown) => {
        assert.ok(error instanceof MemoryLimitError, String(error));
        assert.match(
          error.message,
          /^Cannot run a GRN-SSL training step at batch size 4 and image size 128x128: the webgpu device ran out of memory \(got "Not enough memory left \(simulated\)"\).*restart from the last checkpoint/,
        );
        assert.equal(error.backendUsable, false);
        return true;
      },
    );
    // Reported once: the next guarded computation runs.
    const v = await withMemoryGuardAsync(
      () => tf.tidy(() => tf.sum(tf.ones([8]))).data(),
      { batchSize: 1, height: 8, width: 8 },
    );
    assert.equal(v[0], 8);
  },
);

webgpuTest(
  "webgpu: releaseWebGPUBuffers() gives pooled device memory back; results stay right",
  async () => {
    await initEngine({ backend: "webgpu", log: () => {} });
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    for (let i = 0; i < 3; i++) {
      const y = tf.tidy(() => tf.matMul(tf.ones([128, 256]), tf.ones([256, 64 + i])));
      await y.data();
      y.dispose();
    }
    const before = webgpuMemory()!;
    assert.ok(before.pooledBuffers > 0, "disposed tensors leave buffers in the pool");
    const freed = releaseWebGPUBuffers();
    const after = webgpuMemory()!;
    assert.ok(freed > 0);
    assert.equal(after.pooledBuffers, 0);
    assert.equal(after.allocatedBytes, before.allocatedBytes - freed);
    assert.equal(after.usedBytes, before.usedBytes, "live tensors keep their buffers");
    const y = tf.matMul(x, x);
    assert.deepEqual(Array.from(await y.data()), [7, 10, 15, 22]);
    tf.dispose([x, y]);
  },
);
