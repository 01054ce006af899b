import assert from "node:assert/strict";
import {
  type AdapterIdentity,
  classifyAdapter,
  describeAdapter,
  probeWebGPU,
} from "../../../engine/webgpu/adapter.ts";

function identity(description: string, vendor = "", device = ""): AdapterIdentity {
  return { vendor, device, description, isFallbackAdapter: false };
}

Deno.test("classifyAdapter: software rasterisers are software, GPUs are not", () => {
  const software: [AdapterIdentity, RegExp][] = [
    [identity("llvmpipe (LLVM 15.0.6, 256 bits)"), /llvmpipe/],
    [identity("", "", "lavapipe"), /lavapipe/],
    [identity("SwiftShader Device (Subzero)", "6880", "49374"), /SwiftShader/],
    [identity("Microsoft Basic Render Driver", "5140", "140"), /Basic Render Driver/],
    [identity("softpipe"), /softpipe/],
    [identity("unnamed", "65541", "0"), /0x10005/],
    [{ ...identity("NVIDIA GeForce RTX 4090"), isFallbackAdapter: true }, /fallback adapter/],
  ];
  for (const [info, reason] of software) {
    const c = classifyAdapter(info);
    assert.equal(c.software, true, JSON.stringify(info));
    assert.match(c.reason!, reason);
  }
  for (
    const info of [
      identity("NVIDIA GeForce RTX 4090", "4318", "9984"),
      identity("AMD Radeon RX 7900 XTX (RADV NAVI31)", "4098", "29772"),
      identity("Intel(R) Arc(tm) A770 Graphics (DG2)", "32902", "22176"),
      identity("Apple M2", "apple", ""),
      identity("Microsoft Warpath GPU"), // "warp" only as a whole word
    ]
  ) {
    assert.deepEqual(classifyAdapter(info), { software: false, reason: null }, info.description);
  }
});

Deno.test("probeWebGPU: reports an adapter with its limits, or says why there is none", async () => {
  const report = await probeWebGPU();
  assert.equal(await probeWebGPU().then((r) => r.description), report.description, "stable");
  if (report.found) {
    assert.equal(report.missing, null);
    assert.ok(report.limits.maxBufferSize > 0 && report.limits.maxStorageBufferBindingSize > 0);
    assert.ok(report.limits.maxComputeInvocationsPerWorkgroup >= 64);
    assert.equal(report.software, report.softwareReason !== null);
    assert.match(describeAdapter(report), /, (software \(.+\)|hardware GPU)$/);
  } else {
    assert.ok(report.missing !== null && report.missing.length > 0);
    assert.deepEqual(Object.values(report.limits), [0, 0, 0, 0, 0]);
    assert.match(describeAdapter(report), /^no adapter \(.+\)$/);
  }
});
