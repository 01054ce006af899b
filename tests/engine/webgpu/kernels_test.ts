/**
 * Every kernel a GRN, baseline or SGE training step runs (forward and gradient), on webgpu
 * against the `cpu` backend, on random shapes and values.
 *
 * Float results must agree to a relative error of 1e-4, measured against the largest value of
 * the output (a norm-wise error: per element, an output near zero that is a sum of large terms
 * of both signs carries the whole cancellation error of the sum, in any summation order).
 * Float32 sums of `n` terms in another order differ by at most about `n·2⁻²⁴` of the sum of
 * their magnitudes, and typically by `√n·2⁻²⁴` (rounding errors of random sign): for the
 * largest sums here (filter gradients over 2·64·32 = 4096 pixels) that is 4e-6, which is what
 * lavapipe measured (5e-6 at most; 2e-7 to 6e-7 for the forward passes). Discrete results
 * (argMax, oneHot, comparisons, casts, transposes, copies) must be identical.
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { normalizeTrain } from "../../../engine/ops/normalize.ts";
import { Rng } from "../../../engine/rng.ts";
import { valuesOn, webgpuTest } from "./_webgpu.ts";

const TOLERANCE = 1e-4;
/** Random shapes tried per kernel. */
const TRIALS = 3;

type Padding = "same" | "valid" | number;

/** One random instance of a kernel check: what it is, and the computation to run. */
interface Trial {
  /** E.g. `conv2d x[2,7,5,3] w[3,3,3,4] stride 2 pad 1`. */
  what: string;
  /** Names of the outputs of `run`, for messages. */
  outputs: string[];
  /** Builds the inputs from fixed values and returns the outputs (runs inside a tidy). */
  run: () => tf.Tensor[];
  /** Whether the outputs must be identical (discrete kernels). */
  exact?: boolean;
}

function values(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal(0, scale));
}

function between(rng: Rng, low: number, high: number): number {
  return low + rng.int(high - low + 1);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A random float tensor maker: the values are fixed now, the tensor is made on each backend. */
function input(rng: Rng, shape: number[], scale = 1): () => tf.Tensor {
  const v = values(rng, size(shape), scale);
  return () => tf.tensor(v, shape);
}

/** `[f(xs), ...df/dxs]` for a random output gradient `dy`. */
function withGrads(
  rng: Rng,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  makers: (() => tf.Tensor)[],
  outShape: number[],
): () => tf.Tensor[] {
  const dy = values(rng, size(outShape));
  return () => {
    const xs = makers.map((m) => m());
    const y = f(...xs);
    const grads = tf.grads((...a: tf.Tensor[]) => f(...a))(xs, tf.tensor(dy, y.shape));
    return [y, ...grads];
  };
}

/** Largest `|got − want|` over the largest `|want|` (0 when both are all zeros). */
function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff === 0 ? 0 : diff / Math.max(scale, Number.MIN_VALUE);
}

/** Runs `trials` random instances of `make` on cpu and webgpu and compares the outputs. */
async function agree(
  seed: number,
  make: (rng: Rng) => Trial,
  trials = TRIALS,
): Promise<void> {
  const rng = new Rng(seed);
  for (let t = 0; t < trials; t++) {
    const trial = make(rng);
    const want = await valuesOn("cpu", trial.run);
    const got = await valuesOn("webgpu", trial.run);
    assert.equal(got.length, trial.outputs.length, trial.what);
    trial.outputs.forEach((name, i) => {
      const g = got[i]!, w = want[i]!;
      assert.equal(g.length, w.length, `${trial.what}: ${name} size`);
      if (trial.exact) {
        const at = g.findIndex((v, k) => !Object.is(v, w[k]));
        assert.equal(
          at,
          -1,
          `${trial.what}: ${name}[${at}] is ${g[at]} on webgpu, ${w[at]} on cpu`,
        );
      } else {
        assert.ok(w.every(Number.isFinite), `${trial.what}: ${name} finite on cpu`);
        const e = relativeError(g, w);
        assert.ok(e <= TOLERANCE, `${trial.what}: ${name} relative error ${e.toExponential(2)}`);
      }
    });
  }
}

function convOutput(n: number, k: number, stride: number, pad: Padding): number {
  if (pad === "same") return Math.ceil(n / stride);
  if (pad === "valid") return Math.floor((n - k) / stride) + 1;
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

function padText(pad: Padding): string {
  return typeof pad === "number" ? `pad ${pad}` : pad;
}

webgpuTest("webgpu kernels: Conv2D and its input and filter gradients match cpu", async () => {
  await agree(1, (rng) => {
    const k = between(rng, 1, 4), stride = between(rng, 1, 2);
    const pad: Padding = pick(
      rng,
      (["same", "valid", 0, 1, 2] as Padding[]).filter((p) => p !== 2 || k > 2),
    );
    const [b, h, w] = [between(rng, 1, 3), between(rng, k, 14), between(rng, k, 14)];
    const [ci, co] = [between(rng, 1, 8), between(rng, 1, 8)];
    const out = [b, convOutput(h, k, stride, pad), convOutput(w, k, stride, pad), co];
    return {
      what: `conv2d x[${[b, h, w, ci]}] w[${[k, k, ci, co]}] stride ${stride} ${padText(pad)}`,
      outputs: ["y", "dx", "dw"],
      run: withGrads(
        rng,
        (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad),
        [input(rng, [b, h, w, ci]), input(rng, [k, k, ci, co], 0.3)],
        out,
      ),
    };
  });
});

webgpuTest(
  "webgpu kernels: Conv2DBackpropInput (transposed convolution) and its gradients match cpu",
  async () => {
    await agree(2, (rng) => {
      const k = between(rng, 1, 4), stride = between(rng, 1, 2);
      const pad: Padding = pick(
        rng,
        (["same", "valid", 0, 1] as Padding[]).filter((p) => p !== 1 || k > 1),
      );
      const [b, h, w] = [between(rng, 1, 3), between(rng, 2, 8), between(rng, 2, 8)];
      const [ci, co] = [between(rng, 1, 8), between(rng, 1, 8)];
      const up = (n: number) =>
        pad === "same" ? n * stride : pad === "valid" ? (n - 1) * stride + k : (n - 1) * stride +
          k - 2 * pad;
      const out: [number, number, number, number] = [b, up(h), up(w), co];
      return {
        what: `conv2dTranspose x[${[b, h, w, ci]}] w[${[
          k,
          k,
          co,
          ci,
        ]}] → [${out}] stride ${stride} ${padText(pad)}`,
        outputs: ["y", "dx", "dw"],
        run: withGrads(
          rng,
          (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, out, stride, pad),
          [input(rng, [b, h, w, ci]), input(rng, [k, k, co, ci], 0.3)],
          out,
        ),
      };
    });
  },
);

webgpuTest("webgpu kernels: MaxPool and MaxPoolGrad match cpu", async () => {
  await agree(3, (rng) => {
    const k = between(rng, 2, 3), stride = between(rng, 1, 2);
    const pad = pick(rng, ["same", "valid"] as const);
    const [b, h, w, c] = [
      between(rng, 1, 3),
      between(rng, k, 12),
      between(rng, k, 12),
      between(rng, 1, 6),
    ];
    const out = [b, convOutput(h, k, stride, pad), convOutput(w, k, stride, pad), c];
    return {
      what: `maxPool x[${[b, h, w, c]}] ${k}×${k} stride ${stride} ${pad}`,
      outputs: ["y", "dx"],
      run: withGrads(rng, (x) => tf.maxPool(x as tf.Tensor4D, k, stride, pad), [
        input(rng, [b, h, w, c]),
      ], out),
    };
  });
});

webgpuTest(
  "webgpu kernels: batch and instance normalisation (forward, statistics, gradients) match cpu",
  async () => {
    await agree(4, (rng) => {
      const axes = pick(rng, [[0, 1, 2], [1, 2]]);
      const shape = [
        between(rng, 1, 3),
        between(rng, 2, 9),
        between(rng, 2, 9),
        between(rng, 1, 6),
      ];
      const c = shape[3]!;
      const offset = rng.normal(0, 2);
      const v = values(rng, size(shape)).map((x) => x + offset);
      const [gamma, beta] = [input(rng, [c]), input(rng, [c])];
      const dy = values(rng, size(shape));
      return {
        what: `normalizeTrain x[${shape}] axes [${axes}]`,
        outputs: ["y", "mean", "variance", "dx", "dgamma", "dbeta"],
        run: () => {
          const x = tf.tensor(v, shape), g = gamma(), b = beta();
          const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
            const r = normalizeTrain(xi, gi, bi, { axes });
            tf.dispose([r.mean, r.variance]);
            return r.y;
          };
          const r = normalizeTrain(x, g, b, { axes });
          const grads = tf.grads(f)([x, g, b], tf.tensor(dy, shape));
          return [r.y, r.mean, r.variance, ...grads];
        },
      };
    });
  },
);

webgpuTest(
  "webgpu kernels: activations and element-wise ops with their gradients match cpu",
  async () => {
    const unary: [string, (x: tf.Tensor) => tf.Tensor, boolean][] = [
      ["leakyRelu 0.2", (x) => tf.leakyRelu(x, 0.2), false],
      ["relu", (x) => tf.relu(x), false],
      ["tanh", (x) => tf.tanh(x), false],
      ["sigmoid", (x) => tf.sigmoid(x), false],
      ["softplus", (x) => tf.softplus(x), false],
      ["exp", (x) => tf.exp(x), false],
      ["log", (x) => tf.log(tf.add(tf.abs(x), 0.5)), false],
      ["sqrt", (x) => tf.sqrt(tf.add(tf.abs(x), 0.5)), false],
      ["rsqrt", (x) => tf.rsqrt(tf.add(tf.abs(x), 0.5)), false],
      ["square, neg", (x) => tf.neg(tf.square(x)), false],
      ["round", (x) => tf.round(tf.mul(x, 3)), true],
      ["step", (x) => tf.step(x, 0.1), true],
    ];
    let n = 0;
    for (const [name, f, exact] of unary) {
      await agree(50 + n++, (rng) => {
        const shape = [
          between(rng, 1, 3),
          between(rng, 1, 9),
          between(rng, 1, 9),
          between(rng, 1, 5),
        ];
        return exact
          ? {
            what: `${name} [${shape}]`,
            outputs: ["y"],
            run: (() => {
              const x = input(rng, shape);
              return () => [f(x())];
            })(),
            exact,
          }
          : {
            what: `${name} [${shape}]`,
            outputs: ["y", "dx"],
            run: withGrads(rng, f, [input(rng, shape)], shape),
          };
      });
    }
    const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ["add", tf.add],
      ["sub", tf.sub],
      ["mul", tf.mul],
      ["div", (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
      ["maximum", tf.maximum],
      ["squaredDifference", tf.squaredDifference],
      ["prelu", (a, b) => tf.prelu(a, b)],
    ];
    for (const [name, f] of binary) {
      await agree(70 + n++, (rng) => {
        const shape = [
          between(rng, 1, 3),
          between(rng, 1, 9),
          between(rng, 1, 9),
          between(rng, 1, 5),
        ];
        // Broadcasting as the networks use it: a per-channel vector, or the full shape (tfjs's
        // Maximum and SquaredDifference gradients do not reduce a broadcast input, on any
        // backend, and the project never broadcasts them: full shape only).
        const broadcasts = !["maximum", "squaredDifference"].includes(name);
        const perChannel = name === "prelu" || (broadcasts && rng.float() < 0.5);
        const other = perChannel ? [shape[3]!] : shape;
        return {
          what: `${name} [${shape}] with [${other}]`,
          outputs: ["y", "da", "db"],
          run: withGrads(rng, f, [input(rng, shape), input(rng, other)], shape),
        };
      });
    }
  },
);

webgpuTest("webgpu kernels: reductions (sum, mean, max, min) over any axes match cpu", async () => {
  const reductions: [string, (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor][] = [
    ["sum", tf.sum],
    ["mean", tf.mean],
    ["max", tf.max],
    ["min", tf.min],
  ];
  let n = 0;
  for (const [name, f] of reductions) {
    await agree(100 + n++, (rng) => {
      const shape = [
        between(rng, 1, 4),
        between(rng, 1, 9),
        between(rng, 1, 9),
        between(rng, 1, 7),
      ];
      const axes = pick(rng, [[0, 1, 2], [1, 2], [3], [0, 1, 2, 3], [0], [2, 3]]);
      const keep = rng.float() < 0.5;
      const out = keep
        ? shape.map((d, i) => axes.includes(i) ? 1 : d)
        : shape.filter((_, i) => !axes.includes(i));
      return {
        what: `${name} [${shape}] axes [${axes}]${keep ? " keepDims" : ""}`,
        outputs: ["y", "dx"],
        run: withGrads(rng, (x) => f(x, axes, keep), [input(rng, shape)], out),
      };
    });
  }
});

webgpuTest(
  "webgpu kernels: softmax, logSoftmax, matMul, addN, nearest resize and their gradients match cpu",
  async () => {
    await agree(200, (rng) => {
      const shape = [
        between(rng, 1, 3),
        between(rng, 1, 8),
        between(rng, 1, 8),
        between(rng, 2, 7),
      ];
      return {
        what: `softmax and logSoftmax [${shape}]`,
        outputs: ["softmax", "d softmax", "logSoftmax", "d logSoftmax"],
        run: (() => {
          const a = withGrads(rng, (x) => tf.softmax(x), [input(rng, shape, 3)], shape);
          const b = withGrads(rng, (x) => tf.logSoftmax(x), [input(rng, shape, 3)], shape);
          return () => [...a(), ...b()];
        })(),
      };
    });
    await agree(201, (rng) => {
      const [m, k, n] = [between(rng, 1, 8), between(rng, 1, 300), between(rng, 1, 8)];
      return {
        what: `matMul [${m},${k}]×[${k},${n}]`,
        outputs: ["y", "da", "db"],
        run: withGrads(
          rng,
          (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
          [input(rng, [m, k]), input(rng, [k, n])],
          [m, n],
        ),
      };
    });
    await agree(202, (rng) => {
      const shape = [
        between(rng, 1, 3),
        between(rng, 1, 8),
        between(rng, 1, 8),
        between(rng, 1, 5),
      ];
      return {
        what: `addN of 3 [${shape}]`,
        outputs: ["y", "da", "db", "dc"],
        run: withGrads(
          rng,
          (a, b, c) => tf.addN([a, b, c]),
          [input(rng, shape), input(rng, shape), input(rng, shape)],
          shape,
        ),
      };
    });
    await agree(203, (rng) => {
      const shape = [
        between(rng, 1, 2),
        between(rng, 2, 8),
        between(rng, 2, 8),
        between(rng, 1, 4),
      ];
      const to: [number, number] = [shape[1]! * pick(rng, [2, 4]), shape[2]! * pick(rng, [2, 4])];
      const out = [shape[0]!, ...to, shape[3]!];
      return {
        what: `resizeNearestNeighbor [${shape}] → ${to}`,
        outputs: ["y", "dx"],
        run: withGrads(
          rng,
          (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, to, false, false),
          [input(rng, shape)],
          out,
        ),
      };
    });
  },
);

webgpuTest(
  "webgpu kernels: argMax, oneHot, comparisons, casts, transposes and copies are identical to cpu",
  async () => {
    await agree(300, (rng) => {
      const classes = between(rng, 2, 7);
      const shape = [between(rng, 1, 4), between(rng, 1, 9), between(rng, 1, 9)];
      const logits = input(rng, [...shape, classes]);
      const labels = Int32Array.from({ length: size(shape) }, () => rng.int(classes));
      const perm = pick(rng, [[0, 3, 1, 2], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3]]);
      return {
        what: `labels [${shape}], ${classes} classes, transpose [${perm}]`,
        exact: true,
        outputs: [
          "argMax",
          "oneHot",
          "oneHot of cast float labels",
          "per-class sums of oneHot (int buffer, outer axes)",
          "less",
          "equal",
          "greaterEqual",
          "cast bool to float",
          "transpose float",
          "transpose int32",
          "transpose bool",
          "concat",
          "split",
          "stack",
          "zerosLike",
        ],
        run: () => {
          const z = logits(), y = tf.tensor(labels, shape, "int32");
          const hot = tf.oneHot(y, classes);
          const yf = tf.cast(y, "float32"); // keeps the int32 buffer on webgpu
          const a = tf.round(z), b = tf.round(tf.reverse(z, 3));
          const [s1, s2] = tf.split(z, [1, classes - 1], 3);
          return [
            tf.argMax(z, -1),
            hot,
            tf.oneHot(tf.cast(yf, "int32"), classes),
            tf.sum(tf.cast(hot, "float32"), [0, 1, 2]),
            tf.less(a, b),
            tf.equal(a, b),
            tf.greaterEqual(a, b),
            tf.cast(tf.less(a, b), "float32"),
            tf.transpose(z, perm),
            tf.transpose(tf.cast(a, "int32"), perm),
            tf.transpose(tf.less(a, b), perm),
            tf.concat([z, a], 3),
            s2!,
            tf.stack([s1!, s1!]),
            tf.zerosLike(z),
          ];
        },
      };
    });
  },
);

webgpuTest(
  "webgpu kernels: network-sized convolutions, transposed convolutions, pooling and batch sums match cpu",
  async () => {
    // tfjs picks other programs for larger sizes (tiled matrix-multiply convolutions, reductions
    // across a workgroup): the UNet's first level, a generator's up-sampling, batch statistics
    // over 2·64·32 = 4096 pixels.
    await agree(400, (rng) => {
      const [b, h, w, ci, co] = [2, 64, 32, pick(rng, [8, 16]), pick(rng, [16, 32])];
      const up = [b, 2 * h, 2 * w, ci];
      const conv = withGrads(
        rng,
        (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same"),
        [input(rng, [b, h, w, ci]), input(rng, [3, 3, ci, co], 0.1)],
        [b, h, w, co],
      );
      const convT = withGrads(
        rng,
        (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, up as never, 2, 1),
        [input(rng, [b, h, w, co]), input(rng, [4, 4, ci, co], 0.1)],
        up,
      );
      const pool = withGrads(
        rng,
        (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid"),
        [input(rng, [b, h, w, ci])],
        [b, h / 2, w / 2, ci],
      );
      const x = input(rng, [b, h, w, co]);
      return {
        what: `x[${[b, h, w, ci]}] conv to ${co}, transposed conv up, pool, sums`,
        outputs: ["conv y", "conv dx", "conv dw", "convT y", "convT dx", "convT dw", "pool y"]
          .concat(["pool dx", "sum [0,1,2]", "mean [0,1,2]", "sum [3]"]),
        run: () => [
          ...conv(),
          ...convT(),
          ...pool(),
          tf.sum(x(), [0, 1, 2]),
          tf.mean(x(), [0, 1, 2]),
          tf.sum(x(), [3]),
        ],
      };
    }, 1);
  },
);
