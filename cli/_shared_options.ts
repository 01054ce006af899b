/**
 * Option specs shared by several commands.
 * @module
 */
import type { OptionSpec } from "./_command.ts";

/** `--backend`. */
export const BACKEND_OPTION: OptionSpec = {
  name: "backend",
  kind: "choice",
  choices: ["auto", "tensorflow", "wasm", "cpu"],
  choiceNoun: "backend",
  default: "auto",
  description: "tensor backend; auto prefers tfjs-node, then wasm, then cpu",
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
