/**
 * Private helpers of the MAT v5 and v7.3 readers: frames of 4-D arrays and the error for a
 * path that leads to something other than a numeric array.
 *
 * @module
 */
import { describeMatVariable, matFrameCount, type MatVariableInfo } from "./mat_variable.ts";

/**
 * Checks a 1-based frame against an array's frames.
 * @returns The 0-based frame and the dims of one frame, or throws naming the variable.
 */
export function checkFrame(
  info: MatVariableInfo,
  frame: number | undefined,
  what: string,
): { index: number; dims: number[]; frames: number } {
  const frames = matFrameCount(info.dims);
  if (frame === undefined) return { index: 0, dims: info.dims, frames };
  if (!(Number.isSafeInteger(frame) && frame >= 1 && frame <= frames)) {
    throw new RangeError(
      `${what}: frame ${frame} of ${info.name} is out of range: it has ${frames} frame${
        frames === 1 ? "" : "s"
      } (1 to ${frames}, along the 4th dimension of ${describeMatVariable(info)}; got ${frame})`,
    );
  }
  return {
    index: frame - 1,
    dims: frames > 1 || info.dims.length === 4 ? info.dims.slice(0, 3) : info.dims,
    frames,
  };
}

/** `{ frames }` when a frame was asked for. */
export function framesOf(
  options: { readonly frame?: number },
  frame: { frames: number },
): { frames?: number } {
  return options.frame === undefined ? {} : { frames: frame.frames };
}

/** The error for a path that leads to something other than a numeric array. */
export function notNumeric(info: MatVariableInfo, what: string): Error {
  const inside = info.class === "cell" || info.class === "struct"
    ? `; name an array inside it, e.g. --var ${info.name}${
      info.class === "cell" ? "{1}" : ".<field>"
    }`
    : "";
  return new Error(
    `${what}: variable ${info.name} is a ${info.class}, not a numeric array${inside} (got ${
      describeMatVariable(info)
    })`,
  );
}
