/**
 * Option specs shared by several commands.
 * @module
 */
import type { OptionSpec } from "./_command.ts";

/** `--backend`. */
export const BACKEND_OPTION: OptionSpec = {
  name: "backend",
  kind: "choice",
  choices: ["auto", "tensorflow", "webgpu", "wasm", "cpu"],
  choiceNoun: "backend",
  default: "auto",
  description:
    "tensor backend; auto prefers tfjs-node-gpu, a hardware WebGPU adapter, tfjs-node, then wasm, then cpu",
};

/** `--threads`. */
export const THREADS_OPTION: OptionSpec = {
  name: "threads",
  kind: "integer",
  min: 1,
  max: 64,
  default: 1,
  description: "WebAssembly worker threads",
};

/** `--native`. */
export const NATIVE_OPTION: OptionSpec = {
  name: "native",
  kind: "choice",
  choices: ["auto", "onednn", "off"],
  choiceNoun: "native provider",
  default: "auto",
  description: "native oneDNN kernels on the wasm backend (auto: when libdnnl.so.2 loads)",
};
