import type * as tf from "@tensorflow/tfjs";

/** Throws a TypeError unless `a` and `b` have equal shapes. */
export function assertSameShape(what: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new TypeError(
      `Cannot compute ${what}: shapes must match (got [${a.shape}] and [${b.shape}])`,
    );
  }
}

/** Throws a TypeError unless `labels` `[B,H,W]` matches the first three axes of `logits`. */
export function assertLabelsMatch(what: string, logits: tf.Tensor, labels: tf.Tensor): void {
  if (logits.rank !== 4) {
    throw new TypeError(
      `Cannot compute ${what}: logits must be [batch, height, width, classes] (got [${logits.shape}])`,
    );
  }
  const ok = labels.rank === 3
    ? labels.shape.every((d, i) => d === logits.shape[i])
    : labels.rank === 4 && labels.shape.every((d, i) => d === logits.shape[i]);
  if (!ok) {
    throw new TypeError(
      `Cannot compute ${what}: labels must be [batch, height, width] indices or one-hot ` +
        `[batch, height, width, classes] matching logits [${logits.shape}] (got [${labels.shape}])`,
    );
  }
}
