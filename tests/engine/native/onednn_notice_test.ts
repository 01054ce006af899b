import assert from "node:assert/strict";
import {
  ONEDNN_INSTALL_COMMAND,
  ONEDNN_MEASURED_GAIN,
  oneDnnNotice,
  type OneDnnNoticeFacts,
} from "../../../engine/native/onednn_notice.ts";

const ABSENT: OneDnnNoticeFacts = {
  backend: "wasm",
  native: null,
  nativeChoice: "auto",
  unavailable: "absent",
  os: "linux",
  arch: "x86_64",
};

Deno.test("oneDnnNotice: absent on x86-64 Linux gives one line with the gain and the command", () => {
  const text = oneDnnNotice(ABSENT);
  assert.ok(text !== null);
  assert.equal(text.includes("\n"), false, "one line");
  assert.match(text, /^grn engine: /);
  assert.ok(text.endsWith("(--native off or --quiet hides this notice)"), text);
  assert.ok(text.includes(`install it with: ${ONEDNN_INSTALL_COMMAND}`), text);
  assert.equal(ONEDNN_INSTALL_COMMAND, "sudo apt-get install libdnnl2");
  // The ratios of BENCHMARKS.md's quiet-machine run, and their quotient as the gain.
  assert.ok(text.includes("4.63x PyTorch's time without it and 0.99x with it"), text);
  assert.ok(text.includes("about 4.7x slower"), text);
  assert.ok(text.includes(ONEDNN_MEASURED_GAIN.source), text);
  // "auto" and an explicit "onednn" that fell back are both told.
  assert.equal(oneDnnNotice({ ...ABSENT, nativeChoice: "onednn" }), text);
});

Deno.test("oneDnnNotice: nothing when the user chose --native off or oneDNN is in use", () => {
  assert.equal(oneDnnNotice({ ...ABSENT, nativeChoice: "off" }), null);
  const native = { library: "onednn" as const, version: "2.6.3", threads: 1, kernels: ["Conv2D"] };
  assert.equal(oneDnnNotice({ ...ABSENT, native, unavailable: null }), null);
});

Deno.test("oneDnnNotice: nothing on another backend, platform or reason", () => {
  for (const backend of ["tensorflow", "webgpu", "cpu"] as const) {
    assert.equal(oneDnnNotice({ ...ABSENT, backend }), null, backend);
  }
  assert.equal(oneDnnNotice({ ...ABSENT, arch: "aarch64" }), null);
  assert.equal(oneDnnNotice({ ...ABSENT, os: "darwin" }), null);
  assert.equal(oneDnnNotice({ ...ABSENT, os: "windows" }), null);
  // Installing libdnnl2 does not fix a missing --allow-ffi, a wrong version or an ABI mismatch.
  for (const unavailable of ["permission", "version", "abi", null] as const) {
    assert.equal(oneDnnNotice({ ...ABSENT, unavailable }), null, String(unavailable));
  }
});
