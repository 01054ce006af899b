import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine } from "../../engine/init_engine.ts";
import { hasSignedDistanceHead, SdmUNet } from "../../networks/sdm_unet.ts";
import { UNet } from "../../networks/unet.ts";

await initEngine({ backend: "wasm", log: () => {} });

Deno.test("SdmUNet: the UNet's logits plus tanh maps for the C - 1 foreground classes", () => {
  const options = { channels: [4, 8], dropout: [0, 0], numClasses: 4, seed: 3 };
  const net = new SdmUNet(options);
  const unet = new UNet(options);
  assert.ok(hasSignedDistanceHead(net) && !hasSignedDistanceHead(unet));
  assert.equal(net.sdmChannels, 3);
  const x = tf.randomUniform([2, 16, 16, 1], -1, 1, "float32", 1) as tf.Tensor4D;
  const { logits, sdm } = net.applyWithSdm(x);
  assert.deepEqual(logits.shape, [2, 16, 16, 4]);
  assert.deepEqual(sdm.shape, [2, 16, 16, 3]);
  const s = sdm.dataSync();
  assert.ok(s.every((v) => v > -1 && v < 1) && s.some((v) => v !== 0));
  const plain = unet.apply(x), viaApply = net.apply(x);
  assert.deepEqual(viaApply.dataSync(), plain.dataSync(), "same seed, same UNet weights");
  assert.deepEqual(logits.dataSync(), plain.dataSync());
  assert.equal(net.variables.length, unet.variables.length + 2, "one 1x1 conv: kernel + bias");
  const copy = net.clone();
  const again = copy.applyWithSdm(x);
  assert.deepEqual(again.sdm.dataSync(), s);
  assert.throws(
    () => new SdmUNet({ numClasses: 1 }),
    /numClasses must be at least 2 for a foreground signed-distance map \(got 1\)/,
  );
  tf.dispose([x, logits, sdm, plain, viaApply, again.logits, again.sdm]);
  for (const m of [net, unet, copy]) m.dispose();
});
