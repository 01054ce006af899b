/**
 * What the engine's WGSL kernels need from tfjs-backend-webgpu 4.22.0: its program runner and
 * dispatch helpers.
 * @module
 */
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";
import type * as tf from "@tensorflow/tfjs";
import type { ProgramUniforms } from "./backend.ts";

/**
 * A WebGPU program as tfjs-backend-webgpu runs it: the WGSL of `getUserCode` is completed by
 * tfjs with the inputs (`variableNames`, read with `getA(...)` or `A[i]`), the output helpers
 * (`getOutputCoords()`, `setOutputAtIndex`, `setOutputAtIndexI32`) and a uniform struct with
 * the shapes, strides, `size` and the program's own `uniforms`.
 */
export interface WebGPUProgramLike {
  /** Names of the input arrays in WGSL. */
  variableNames: string[];
  /** Shape of the output. */
  outputShape: number[];
  /** Key of the compiled pipeline in tfjs's cache (must differ for different code). */
  shaderKey: string;
  /** Which output dimensions map to the dispatch's x (and y, z). */
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  /** Workgroups per dimension. */
  dispatch: [number, number, number];
  /** Threads per workgroup. */
  workgroupSize: [number, number, number];
  /** Whether the uniform `size` (output elements) is declared. */
  size?: boolean;
  /** Extra uniform fields in WGSL struct syntax, e.g. `"k : i32,"`. */
  uniforms?: string;
  /** The program's WGSL, defining `fn main(index : i32)`. */
  getUserCode(): string;
}

/** The backend's program runner. */
export interface WebGPUProgramRunner {
  /** Compiles (once) and dispatches `program` on `inputs`; returns the new output. */
  runWebGPUProgram(
    program: WebGPUProgramLike,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniforms,
  ): tf.TensorInfo;
}

/**
 * The backend of a kernel call as a program runner.
 * @param backend `args.backend` of the kernel function.
 * @param kernel The kernel's name, for the message.
 * @returns The runner.
 * @throws {Error} When the backend is not tfjs-backend-webgpu.
 */
export function webgpuBackendOf(backend: unknown, kernel: string): WebGPUProgramRunner {
  const runner = backend as Partial<WebGPUProgramRunner> | null;
  if (typeof runner?.runWebGPUProgram !== "function") {
    throw new Error(
      `Cannot run the ${kernel} kernel: it needs the webgpu backend (got a backend without ` +
        "runWebGPUProgram)",
    );
  }
  return runner as WebGPUProgramRunner;
}

/** tfjs-backend-webgpu's dispatch helpers. */
export function webgpuUtil(): {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(
    layout: { x: number[]; y?: number[]; z?: number[] },
    outputShape: number[],
    workgroupSize: [number, number, number],
  ): [number, number, number];
} {
  return webgpu_util;
}
