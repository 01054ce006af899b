/**
 * Fixes this project makes to tfjs-backend-webgpu 4.22.0's programs, installed on its program
 * runner so that they apply wherever a program runs (kernels also run other kernels' programs
 * directly, not through the kernel registry).
 * @module
 */
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import type * as tf from "@tensorflow/tfjs";
import "./backend.ts";
import type { ProgramUniforms } from "./backend.ts";
import type { WebGPUProgramLike } from "./backend_access.ts";
import { fixTransposeProgram } from "./kernels/transpose.ts";

/** A program fix: the replacement for `program` on these inputs, or `null` to keep it. */
type ProgramFix = (
  program: WebGPUProgramLike,
  inputs: readonly { shape: number[]; bufferDtype: tf.DataType }[],
) => { program: WebGPUProgramLike; uniforms: ProgramUniforms } | null;

const FIXES: readonly [string, ProgramFix][] = [
  ["Transpose (i32 buffers)", fixTransposeProgram],
];

type RunProgram = (
  program: WebGPUProgramLike,
  inputs: tf.TensorInfo[],
  outputDtype: tf.DataType,
  uniforms?: ProgramUniforms,
  output?: tf.TensorInfo,
) => tf.TensorInfo;

interface PatchedBackend {
  runWebGPUProgram: RunProgram & { grnFixed?: true };
  tensorMap: { get(dataId: object): { dtype: tf.DataType } | undefined };
}

/**
 * Installs the project's fixes on the webgpu backend's program runner (for every backend
 * instance):
 *
 * - `Transpose (i32 buffers)`: tfjs's `TransposeProgram` compiles an invalid shader when its
 *   input buffer holds `i32` (bool and int32 tensors, and float32 tensors cast from them, which
 *   keep their `i32` buffer); the device error that tfjs ignores drops the whole command buffer
 *   around it (NaN and zeros in a GRN-SSL step's losses). Replaced by a WGSL program of our own.
 *
 * Idempotent; may be called before the backend starts.
 *
 * @returns The names of the fixes in place.
 */
export function registerWebGPUTrainingKernels(): string[] {
  const proto = WebGPUBackend.prototype as unknown as PatchedBackend;
  if (!proto.runWebGPUProgram.grnFixed) {
    const stock = proto.runWebGPUProgram;
    const run: PatchedBackend["runWebGPUProgram"] = function (
      this: PatchedBackend,
      program,
      inputs,
      outputDtype,
      uniforms,
      output,
    ) {
      const described = inputs.map((t) => ({
        shape: t.shape,
        bufferDtype: this.tensorMap.get(t.dataId)?.dtype ?? t.dtype,
      }));
      for (const [, fix] of FIXES) {
        const fixed = fix(program, described);
        if (fixed !== null) {
          return stock.call(this, fixed.program, inputs, outputDtype, fixed.uniforms, output);
        }
      }
      return stock.call(this, program, inputs, outputDtype, uniforms, output);
    };
    run.grnFixed = true;
    proto.runWebGPUProgram = run;
  }
  return FIXES.map(([name]) => name);
}
