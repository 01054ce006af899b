/**
 * The one-time notice that oneDNN would make training faster: a pure function from the engine
 * that started (and the platform) to the text, or `null` when there is nothing to say.
 * @module
 */
import type { BackendName } from "../init_engine.ts";
import type { NativeUnavailableReason } from "./_onednn_load.ts";
import type { NativeChoice, NativeInfo } from "./provider.ts";

/** The command that installs oneDNN 2.x (`libdnnl.so.2`) on Debian and Ubuntu. */
export const ONEDNN_INSTALL_COMMAND = "sudo apt-get install libdnnl2";

/**
 * The measured cost of running without oneDNN that the notice cites: the joint GRN training
 * step (G, D and S updates, batch 4, 1x128x128, 1 thread) as a multiple of PyTorch 1.13's time
 * in the same run, on the wasm kernels alone and with oneDNN (BENCHMARKS.md, "Quiet-machine
 * run": 6414 ms and 1369 ms against PyTorch's 1385 ms).
 */
export const ONEDNN_MEASURED_GAIN: Readonly<{
  wasmVsPytorch: number;
  onednnVsPytorch: number;
  source: string;
}> = Object.freeze({
  wasmVsPytorch: 4.63,
  onednnVsPytorch: 0.99,
  source: "BENCHMARKS.md, quiet-machine run",
});

/** What {@linkcode oneDnnNotice} decides from. */
export interface OneDnnNoticeFacts {
  /** The backend that started (`EngineInfo.backend`). */
  backend: BackendName;
  /** The native provider in use (`EngineInfo.native`), or `null`. */
  native: NativeInfo | null;
  /** What the user asked for (`--native`); `"off"` is a choice and gets no notice. */
  nativeChoice: NativeChoice;
  /**
   * Why oneDNN could not be used (`NativeUnavailableError.reason`), or `null` when it was not
   * tried or loaded.
   */
  unavailable: NativeUnavailableReason | null;
  /** Operating system, as `Deno.build.os` (e.g. `"linux"`). */
  os: string;
  /** CPU architecture, as `Deno.build.arch` (e.g. `"x86_64"`). */
  arch: string;
}

/**
 * The notice telling a user on x86-64 Linux that oneDNN is not installed, what it would gain
 * (the measured ratio of {@linkcode ONEDNN_MEASURED_GAIN}) and the one command that installs it.
 *
 * It is given only when all of these hold: the wasm backend runs without the native provider,
 * the user did not choose `--native off`, the reason is that the library is absent (not a
 * missing `--allow-ffi` or a wrong version, which the install command would not fix), and the
 * platform is Linux on x86-64 (the only one `libdnnl2` from Debian serves here). Another backend
 * (tfjs-node, WebGPU, the plain CPU backend) gets no notice: oneDNN serves the wasm backend only.
 *
 * @param facts The engine that started and the platform.
 * @returns One line starting `grn engine:` (so the CLI's notice filters treat it as the engine's
 *   own notice), or `null`.
 *
 * @example Only when the library is absent on x86-64 Linux
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneDnnNotice } from "./onednn_notice.ts";
 *
 * const facts = {
 *   backend: "wasm",
 *   native: null,
 *   nativeChoice: "auto",
 *   unavailable: "absent",
 *   os: "linux",
 *   arch: "x86_64",
 * } as const;
 * assert.match(oneDnnNotice(facts)!, /sudo apt-get install libdnnl2/);
 * assert.equal(oneDnnNotice({ ...facts, nativeChoice: "off" }), null);
 * assert.equal(oneDnnNotice({ ...facts, arch: "aarch64" }), null);
 * ```
 */
export function oneDnnNotice(facts: OneDnnNoticeFacts): string | null {
  const { backend, native, nativeChoice, unavailable, os, arch } = facts;
  if (backend !== "wasm" || native !== null || nativeChoice === "off") return null;
  if (unavailable !== "absent" || os !== "linux" || arch !== "x86_64") return null;
  const { wasmVsPytorch, onednnVsPytorch, source } = ONEDNN_MEASURED_GAIN;
  const gain = wasmVsPytorch / onednnVsPytorch;
  return `grn engine: oneDNN (libdnnl.so.2) is not installed, so training runs on the ` +
    `WebAssembly kernels alone, about ${gain.toFixed(1)}x slower: a GRN training step measured ` +
    `${wasmVsPytorch.toFixed(2)}x PyTorch's time without it and ${
      onednnVsPytorch.toFixed(2)
    }x with it (${source}); install it with: ${ONEDNN_INSTALL_COMMAND} ` +
    `(--native off or --quiet hides this notice)`;
}
