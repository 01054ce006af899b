/**
 * `Transpose` of tensors whose device buffer holds `i32` values (bool and int32 tensors, and
 * float32 tensors cast from them) on the webgpu backend, as a WGSL program.
 *
 * tfjs-backend-webgpu 4.22.0's `TransposeProgram` (ranks 1 to 6, all but the 2-D `[1, 0]` case)
 * stores the element it reads through `setOutputAtIndex`, which takes an `f32`. When the input
 * buffer is `array<i32>` the shader is invalid (WGSL has no implicit conversions; Deno's WGSL
 * compiler rejects it). That happens for bool and int32 tensors, and for float32 tensors cast
 * from them: tfjs's `Cast` to float32 keeps the `i32` buffer (no precision is lost) and only
 * relabels the tensor. A reduction over outer axes transposes its input first (`tf.sum(labels
 * one-hot, [0, 1, 2])` does), and it calls the program directly, not through the `Transpose`
 * kernel, so the fix replaces the program wherever it is run. The device reports the invalid
 * shader as an error that tfjs never checks, and the whole command buffer around it is dropped:
 * kernels around it leave NaN or zeros.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ProgramUniforms } from "../backend.ts";
import { type WebGPUProgramLike, webgpuUtil } from "../backend_access.ts";

const AXES = ["x", "y", "z", "w"] as const;

/** One thread per output element: reads the input element the permutation maps to it. */
export class IntTransposeProgram implements WebGPUProgramLike {
  /** The input array. */
  readonly variableNames = ["A"];
  /** Threads per workgroup. */
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  /** The `size` uniform is declared. */
  readonly size = true;
  /** The input strides in output-dimension order, `s0`.. */
  readonly uniforms: string;
  /** Shape of the output. */
  readonly outputShape: number[];
  /** Flat dispatch over the output. */
  readonly dispatchLayout: { x: number[] };
  /** Workgroups per dimension. */
  dispatch: [number, number, number];
  /** Key of the compiled pipeline (tfjs appends ranks and dtypes). */
  shaderKey: string;
  readonly #rank: number;

  /** @param outputShape Shape of the output (rank 1 to 4). */
  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.#rank = outputShape.length;
    this.uniforms = Array.from({ length: this.#rank }, (_, i) => `s${i} : i32,`).join(" ");
    this.dispatchLayout = webgpuUtil().flatDispatchLayout(outputShape);
    this.dispatch = webgpuUtil().computeDispatch(
      this.dispatchLayout,
      outputShape,
      this.workgroupSize,
    );
    this.shaderKey = `grnIntTranspose_${this.#rank}`;
  }

  /** The WGSL of `main`. */
  getUserCode(): string {
    const source = this.#rank === 1
      ? "coords * uniforms.s0"
      : Array.from({ length: this.#rank }, (_, i) => `coords.${AXES[i]} * uniforms.s${i}`)
        .join(" + ");
    // setOutputAtIndexI32 takes the i32 and converts it to the output's type (i32 or f32).
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getOutputCoords();
          setOutputAtIndexI32(index, A[${source}]);
        }
      }
    `;
  }
}

/**
 * The program and uniforms that transpose `x` (whose buffer holds `i32`) by `perm`.
 * @param shape Shape of the input (rank 1 to 4).
 * @param perm The permutation (output dimension `i` is input dimension `perm[i]`).
 * @returns The program and its uniforms.
 * @throws {Error} When `perm` is not a permutation of the input's dimensions.
 */
export function intTransposeProgram(
  shape: readonly number[],
  perm: readonly number[],
): { program: IntTransposeProgram; uniforms: ProgramUniforms } {
  if (perm.length !== shape.length || [...perm].sort().some((p, i) => p !== i)) {
    throw new Error(
      `Cannot transpose on webgpu: perm must be a permutation of 0..${
        shape.length - 1
      } (got [${perm}])`,
    );
  }
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return {
    program: new IntTransposeProgram(perm.map((p) => shape[p]!)),
    uniforms: perm.map((p) => ({ type: "int32" as const, data: [strides[p]!] })),
  };
}

/** The fields of tfjs's `TransposeProgram` the fix reads. */
interface StockTransposeProgram {
  newDim?: number[];
}

/**
 * Replaces tfjs's `TransposeProgram` when its input buffer holds `i32` (see the module doc).
 * @param program The program about to run.
 * @param inputs Its inputs, with the dtype of their device buffers.
 * @returns The replacement program and uniforms, or `null` to run the stock one.
 */
export function fixTransposeProgram(
  program: WebGPUProgramLike,
  inputs: readonly { shape: number[]; bufferDtype: tf.DataType }[],
): { program: WebGPUProgramLike; uniforms: ProgramUniforms } | null {
  const perm = (program as WebGPUProgramLike & StockTransposeProgram).newDim;
  if (program.constructor.name !== "TransposeProgram" || !Array.isArray(perm)) return null;
  const x = inputs[0];
  if (x === undefined || x.bufferDtype === "float32") return null;
  if (x.shape.length < 1 || x.shape.length > 4) return null; // stock, ranks 5-6: not used here
  return intTransposeProgram(x.shape, perm);
}
