/**
 * oneDNN plans: cached sequences of primitives with their memory objects, run in place on
 * addresses in the WebAssembly memory.
 * @module
 */
import { ARG, OFFSET, QUERY, SIZE } from "./onednn_ffi.ts";
import { describeStatus, type OneDnnRuntime } from "./_onednn_runtime.ts";

/** One step of a {@linkcode Plan}: a primitive and its packed `dnnl_exec_arg_t` array. */
interface PlanStep {
  primitive: Deno.PointerObject;
  args: Uint8Array;
  count: number;
}

/**
 * A cached sequence of primitives (e.g. weight reorder + convolution) with its memory objects.
 * Memories listed as external get their data pointer set on every {@linkcode Plan.run}
 * (tensors in the wasm heap); the others were allocated by oneDNN and live as long as the plan.
 */
export class Plan {
  readonly #dnn: OneDnnRuntime;
  readonly #steps: PlanStep[] = [];
  readonly #external: Deno.PointerObject[] = [];
  readonly #owned: Deno.PointerObject[] = [];
  readonly #primitives: Deno.PointerObject[] = [];
  readonly #aliases: [number, Deno.PointerObject][] = [];
  readonly #scratch: Deno.PointerObject[] = [];
  #serial = false;
  #destroyed = false;

  /**
   * An empty plan; add memories and steps, then {@linkcode Plan.run} it.
   * @param dnn The runtime that creates the primitives and memories.
   */
  constructor(dnn: OneDnnRuntime) {
    this.#dnn = dnn;
  }

  /**
   * A memory object whose data pointer is given to every {@linkcode Plan.run}, in the order
   * the external memories were created.
   */
  external(md: Uint8Array): Deno.PointerObject {
    const memory = this.#dnn.createMemory(md, false);
    this.#external.push(memory);
    this.#owned.push(memory);
    return memory;
  }

  /**
   * A memory object for another view (`md`, e.g. a sub-memory) of the buffer of an external
   * memory of this plan: it gets the same address on every {@linkcode Plan.run}.
   */
  aliasOf(target: Deno.PointerObject, md: Uint8Array): Deno.PointerObject {
    const index = this.#external.indexOf(target);
    if (index < 0) {
      throw new Error(
        "Cannot alias a oneDNN memory: the target is not an external memory of this plan",
      );
    }
    const memory = this.#dnn.createMemory(md, false);
    this.#owned.push(memory);
    this.#aliases.push([index, memory]);
    return memory;
  }

  /** A memory object with a buffer allocated by oneDNN, every float32 element set to `value`. */
  constant(md: Uint8Array, value: number): Deno.PointerObject {
    const memory = this.internal(md);
    const handle = new BigUint64Array(1);
    this.#dnn.check(
      this.#dnn.lib.dnnl_memory_get_data_handle(memory, handle),
      "fill a oneDNN memory",
      "get data handle",
    );
    const pointer = Deno.UnsafePointer.create(handle[0]!);
    if (pointer === null) {
      throw new Error("Cannot fill a oneDNN memory: it has no buffer (got NULL)");
    }
    const bytes = this.#dnn.mdSize(md);
    new Float32Array(Deno.UnsafePointerView.getArrayBuffer(pointer, bytes)).fill(value);
    return memory;
  }

  /** A memory object with a buffer allocated (and freed) by oneDNN. */
  internal(md: Uint8Array): Deno.PointerObject {
    const memory = this.#dnn.createMemory(md, true);
    this.#owned.push(memory);
    return memory;
  }

  /**
   * Appends the primitive of `pd` (the descriptor stays the caller's) to run with the given
   * `[arg id, memory]` pairs, plus the shared scratchpad when the primitive needs one.
   */
  step(pd: Deno.PointerObject, what: string, args: readonly [number, Deno.PointerObject][]): void {
    const primitive = this.#dnn.primitive(pd, what);
    this.#primitives.push(primitive);
    const scratchMd = this.#dnn.queryMd(pd, QUERY.scratchpadMd, `${what} scratchpad`);
    const scratchBytes = this.#dnn.mdSize(scratchMd);
    const all = [...args];
    if (scratchBytes > 0) {
      this.#dnn.reserveScratch(scratchBytes);
      const memory = this.#dnn.createMemory(scratchMd, false);
      this.#owned.push(memory);
      this.#scratch.push(memory);
      all.push([ARG.scratchpad, memory]);
    }
    const packed = new Uint8Array(SIZE.execArg * all.length);
    const view = new DataView(packed.buffer);
    all.forEach(([id, memory], i) => {
      view.setInt32(i * SIZE.execArg, id, true);
      view.setBigUint64(
        i * SIZE.execArg + OFFSET.execArgMemory,
        BigInt(Deno.UnsafePointer.value(memory)),
        true,
      );
    });
    this.#steps.push({ primitive, args: packed, count: all.length });
  }

  /** Appends a reorder from layout `from` to layout `to` with `[arg id, memory]` pairs. */
  reorder(from: Uint8Array, to: Uint8Array, args: readonly [number, Deno.PointerObject][]): void {
    const pd = this.#dnn.reorderDesc(from, to);
    try {
      this.step(pd, "reorder", args);
    } finally {
      this.#dnn.lib.dnnl_primitive_desc_destroy(pd);
    }
  }

  /**
   * Points the external memories at `addresses` (absolute addresses, in creation order) and
   * runs the steps in order, waiting for completion.
   * @throws {Error} When an address is missing or oneDNN reports an error.
   */
  run(addresses: readonly number[]): void {
    if (this.#serial) this.#dnn.serially(() => this.#execute(addresses));
    else this.#execute(addresses);
  }

  /** Whether the plan runs on one thread (see {@linkcode OneDnnRuntime.serially}). */
  get serial(): boolean {
    return this.#serial;
  }

  /** Marks the plan as built on one thread: it then also runs on one thread. */
  markSerial(): void {
    this.#serial = true;
  }

  #execute(addresses: readonly number[]): void {
    if (this.#destroyed) throw new Error("Cannot run a oneDNN plan: it was destroyed");
    const lib = this.#dnn.lib;
    if (addresses.length !== this.#external.length) {
      throw new Error(
        `Cannot run a oneDNN plan: expected ${this.#external.length} data addresses (got ${addresses.length})`,
      );
    }
    for (let i = 0; i < addresses.length; i++) {
      const status = lib.dnnl_memory_set_data_handle(this.#external[i]!, BigInt(addresses[i]!));
      if (status !== 0) {
        throw new Error(
          describeStatus(status, "set a oneDNN data handle", `address ${addresses[i]}`),
        );
      }
    }
    for (const [index, memory] of this.#aliases) {
      const status = lib.dnnl_memory_set_data_handle(memory, BigInt(addresses[index]!));
      if (status !== 0) {
        throw new Error(
          describeStatus(status, "set a oneDNN data handle", `address ${addresses[index]}`),
        );
      }
    }
    if (this.#scratch.length > 0) {
      const scratch = BigInt(this.#dnn.scratchAddress());
      for (const memory of this.#scratch) {
        const status = lib.dnnl_memory_set_data_handle(memory, scratch);
        if (status !== 0) {
          throw new Error(describeStatus(status, "set a oneDNN scratchpad", `address ${scratch}`));
        }
      }
    }
    for (const { primitive, args, count } of this.#steps) {
      const status = lib.dnnl_primitive_execute(primitive, this.#dnn.stream, count, args);
      if (status !== 0) {
        throw new Error(describeStatus(status, "execute a oneDNN primitive", `${count} arguments`));
      }
    }
    const status = lib.dnnl_stream_wait(this.#dnn.stream);
    if (status !== 0) throw new Error(describeStatus(status, "wait for oneDNN", "stream wait"));
  }

  /** Frees the primitives and memory objects. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const lib = this.#dnn.lib;
    for (const primitive of this.#primitives) lib.dnnl_primitive_destroy(primitive);
    for (const memory of this.#owned) lib.dnnl_memory_destroy(memory);
  }
}
