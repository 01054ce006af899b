/**
 * Input checks shared by the networks: image sizes the architecture can take, with the nearest
 * sizes that work, and the rank/channel checks of a forward pass.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

function checkPositiveSize(kind: string, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(
      `Cannot run ${kind} on ${height}x${width}: height and width must be positive integers`,
    );
  }
}

function formatSizes(sizes: Array<[number, number]>): string {
  const seen = new Set<string>();
  for (const [h, w] of sizes) seen.add(`${h}x${w}`);
  return [...seen].join(", ");
}

/**
 * Throws a `RangeError` unless `height` and `width` are positive multiples of `multiple`; the
 * message names the sizes just below and just above.
 */
export function checkMultipleOf(
  kind: string,
  height: number,
  width: number,
  multiple: number,
): void {
  checkPositiveSize(kind, height, width);
  if (height % multiple === 0 && width % multiple === 0) return;
  const down = (n: number) => Math.max(multiple, Math.floor(n / multiple) * multiple);
  const up = (n: number) => Math.ceil(n / multiple) * multiple;
  const nearest = formatSizes([[down(height), down(width)], [up(height), up(width)]]);
  throw new RangeError(
    `Cannot run ${kind} on ${height}x${width}: height and width must be multiples of ${multiple} ` +
      `(nearest sizes: ${nearest})`,
  );
}

/**
 * Throws a `RangeError` unless `height` and `width` are at least `minimum`; the message names
 * the nearest size that works.
 */
export function checkAtLeast(kind: string, height: number, width: number, minimum: number): void {
  checkPositiveSize(kind, height, width);
  if (height >= minimum && width >= minimum) return;
  const nearest = formatSizes([[Math.max(height, minimum), Math.max(width, minimum)]]);
  throw new RangeError(
    `Cannot run ${kind} on ${height}x${width}: height and width must be at least ${minimum} ` +
      `(nearest sizes: ${nearest})`,
  );
}

/**
 * Checks that `x` is a float32 `[batch, height, width, channels]` tensor with the expected
 * channel count, then runs the size check.
 */
export function checkImageInput(
  kind: string,
  x: tf.Tensor,
  channels: number,
  checkSize: (height: number, width: number) => void,
): void {
  if (x.rank !== 4) {
    throw new TypeError(
      `Cannot run ${kind}: input must be [batch, height, width, channels] (got shape [${x.shape}])`,
    );
  }
  if (x.dtype !== "float32") {
    throw new TypeError(`Cannot run ${kind}: input must be float32 (got ${x.dtype})`);
  }
  if (x.shape[3] !== channels) {
    throw new TypeError(
      `Cannot run ${kind}: input must have ${channels} channel${channels === 1 ? "" : "s"} (got ${
        x.shape[3]
      })`,
    );
  }
  checkSize(x.shape[1]!, x.shape[2]!);
}
