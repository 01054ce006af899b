/**
 * Tiny `grn train` flags for the CLI tests, and the tiny dataset and run of the run tests.
 * @module
 */
export { trainTinyRun, writeTinyDataset } from "../run/_fixture.ts";

/** `grn train` options for a run of a few seconds: 2 test, 1 validation participant. */
export const TINY_TRAIN_ARGS: readonly string[] = [
  "--size",
  "32",
  "--width",
  "4",
  "--depth",
  "2",
  "--generator-width",
  "4",
  "--discriminator-width",
  "4",
  "--epochs",
  "1",
  "--iterations",
  "2",
  "--batch-size",
  "2",
  "--every",
  "4",
  "--test",
  "2",
  "--validation",
  "1",
  "--backend",
  "wasm",
  "--quiet",
];
