/**
 * Tensor ops with hand-written gradients, fast on every backend.
 * @module
 */
export { dropout, dropoutMask } from "./dropout.ts";
export * from "./normalize.ts";
