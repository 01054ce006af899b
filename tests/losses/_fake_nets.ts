/**
 * Tiny hand-computable networks for plug-in formula tests: a segmentor with logits
 * `[x·w0, x·w1]` (softmax class 0 = sigmoid(x·(w0 - w1))) and a generator `G(x) = g·x`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Generator } from "../../networks/generator.ts";
import type { Segmentor } from "../../networks/segmentor.ts";

abstract class FakeModule {
  readonly name: string;
  readonly weight: tf.Variable;
  #disposed = false;

  constructor(name: string, values: number[]) {
    this.name = name;
    this.weight = tf.variable(tf.tensor1d(values), true, `${name}/w#${Math.random()}`);
  }

  get variables(): tf.Variable[] {
    return [this.weight];
  }

  get variableNames(): string[] {
    return ["w"];
  }

  get trainableVariables(): tf.Variable[] {
    return [this.weight];
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Current weight values. */
  values(): number[] {
    return Array.from(this.weight.dataSync());
  }

  /** Sets the weight values. */
  set(values: number[]): void {
    tf.tidy(() => this.weight.assign(tf.tensor1d(values)));
  }

  checkInputSize(): void {}

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.weight.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Logits `[x·w0, x·w1]` for single-channel images `[b, h, w, 1]`. */
export class FakeSegmentor extends FakeModule implements Segmentor {
  readonly numClasses = 2;
  readonly inChannels = 1;

  constructor(values: [number, number], name = "fake_segmentor") {
    super(name, values);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.mul(x, tf.reshape(this.weight, [1, 1, 1, 2])) as tf.Tensor4D);
  }

  clone(name?: string): FakeSegmentor {
    const [a, b] = this.values();
    return new FakeSegmentor([a!, b!], name ?? `${this.name}_clone`);
  }
}

/** `G(x) = g·x`. */
export class FakeGenerator extends FakeModule implements Generator {
  readonly channels = 1;

  constructor(g: number, name = "fake_generator") {
    super(name, [g]);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.mul(x, this.weight) as tf.Tensor4D);
  }

  clone(name?: string): FakeGenerator {
    return new FakeGenerator(this.values()[0]!, name ?? `${this.name}_clone`);
  }
}

/** Softmax class-0 probability of the fake segmentor: `sigmoid(x·(w0 - w1))`. */
export function p0(x: number, w: readonly number[]): number {
  return 1 / (1 + Math.exp(-x * (w[0]! - w[1]!)));
}
