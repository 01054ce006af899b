/**
 * Training kernels for the tfjs wasm backend.
 * @module
 */
export * from "./concat.ts";
export * from "./conv2d_backprop_filter.ts";
export * from "./conv2d_backprop_input.ts";
export * from "./copy_block.ts";
export * from "./identity.ts";
export * from "./leaky_relu.ts";
export * from "./leaky_relu_grad.ts";
export * from "./max_pool_grad.ts";
export * from "./reduce_contiguous.ts";
export * from "./run_wasm_kernel.ts";
export * from "./split_v.ts";
