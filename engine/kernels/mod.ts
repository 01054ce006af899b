/**
 * Training kernels for the tfjs wasm backend.
 * @module
 */
export * from "./conv2d_backprop_filter.ts";
export * from "./conv2d_backprop_input.ts";
export * from "./run_wasm_kernel.ts";
