/**
 * The oneDNN runtime: the CPU engine and stream of a loaded library, the shared scratchpad, the
 * OpenMP thread control, and the thin wrappers that create descriptors, memories and primitives.
 * Loading (and the checks at load) is in `_onednn_load.ts`; plans are in `_onednn_plan.ts`.
 * @module
 */
import {
  ENGINE_CPU,
  F32,
  MEMORY_ALLOCATE,
  type OneDnnSymbols,
  type OneDnnVersion,
  type OpenMpSymbols,
  SCRATCHPAD_MODE_USER,
  SIZE,
  statusName,
  STREAM_DEFAULT_FLAGS,
  TAG,
  U8,
} from "./onednn_ffi.ts";

/** A `dnnl_dims_t` (int64[12]) holding `values`. */
export function dims(values: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(12);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]!);
  return out;
}

const ptrOut = new BigUint64Array(1);

function takePointer(): Deno.PointerObject {
  const pointer = Deno.UnsafePointer.create(ptrOut[0]!);
  if (pointer === null) {
    throw new Error("Cannot create a oneDNN object: the library returned a NULL handle (got 0)");
  }
  return pointer;
}

/**
 * The message of an error for a failed oneDNN call:
 * `Cannot <what>: oneDNN returned <status> (got <detail>)`.
 */
export function describeStatus(status: number, what: string, detail: string): string {
  return `Cannot ${what}: oneDNN returned ${statusName(status)} (got ${detail})`;
}

/**
 * The CPU engine and stream of a loaded oneDNN library, with the shared scratchpad and the thread
 * control; {@linkcode OneDnn} (in `_onednn_load.ts`) adds loading and the checks at load.
 */
export class OneDnnRuntime {
  /** The bound C functions. */
  readonly lib: OneDnnSymbols;
  /** OpenMP runtime used by the library, or `null` when it could not be opened. */
  readonly omp: OpenMpSymbols | null;
  /** Version reported by `dnnl_version()`. */
  readonly version: OneDnnVersion;
  /** The library file that was opened. */
  readonly path: string;
  /** `dnnl_engine_t` of the CPU. */
  readonly engine: Deno.PointerObject;
  /** `dnnl_stream_t` on {@linkcode OneDnnRuntime.engine}. */
  readonly stream: Deno.PointerObject;
  /** Primitive attributes of every primitive: user-managed scratchpad. */
  readonly attr: Deno.PointerObject;
  #threads = 1;
  #scratchMemory: Deno.PointerObject | null = null;
  #scratchBytes = 0;
  #scratchAddress = 0;

  /** Creates the CPU engine, a stream and the primitive attributes (user-managed scratchpad). */
  protected constructor(
    lib: OneDnnSymbols,
    omp: OpenMpSymbols | null,
    version: OneDnnVersion,
    path: string,
  ) {
    this.lib = lib;
    this.omp = omp;
    this.version = version;
    this.path = path;
    this.check(lib.dnnl_engine_create(ptrOut, ENGINE_CPU, 0n), "create the oneDNN CPU engine", "");
    this.engine = takePointer();
    this.check(
      lib.dnnl_stream_create(ptrOut, this.engine, STREAM_DEFAULT_FLAGS),
      "create a oneDNN stream",
      "",
    );
    this.stream = takePointer();
    this.check(lib.dnnl_primitive_attr_create(ptrOut), "create oneDNN primitive attributes", "");
    this.attr = takePointer();
    // One scratchpad buffer shared by all primitives (they run one after another) instead of
    // oneDNN allocating and freeing one on every execution.
    this.check(
      lib.dnnl_primitive_attr_set_scratchpad_mode(this.attr, SCRATCHPAD_MODE_USER),
      "set the oneDNN scratchpad mode",
      "user",
    );
  }

  /** Makes the shared scratchpad at least `bytes` long (primitives run one at a time). */
  reserveScratch(bytes: number): void {
    if (bytes <= this.#scratchBytes) return;
    const md = new Uint8Array(SIZE.memoryDesc);
    this.check(
      this.lib.dnnl_memory_desc_init_by_tag(md, 1, dims([bytes]), U8, TAG.a),
      "describe the oneDNN scratchpad",
      `${bytes} bytes`,
    );
    const memory = this.createMemory(md, true);
    const handle = new BigUint64Array(1);
    this.check(
      this.lib.dnnl_memory_get_data_handle(memory, handle),
      "allocate the oneDNN scratchpad",
      `${bytes} bytes`,
    );
    if (this.#scratchMemory !== null) this.lib.dnnl_memory_destroy(this.#scratchMemory);
    this.#scratchMemory = memory;
    this.#scratchBytes = bytes;
    this.#scratchAddress = Number(handle[0]!);
  }

  /**
   * Address of the shared scratchpad (it moves when {@linkcode OneDnnRuntime.reserveScratch}
   * grows it).
   */
  scratchAddress(): number {
    return this.#scratchAddress;
  }

  /** Size of the shared scratchpad in bytes. */
  get scratchBytes(): number {
    return this.#scratchBytes;
  }

  /** Throws a readable error when `status` is not `dnnl_success`. */
  check(status: number, what: string, detail: string): void {
    if (status !== 0) throw new Error(describeStatus(status, what, detail));
  }

  /**
   * Sets the OpenMP thread count of parallel plans; returns the count now in effect. Plans
   * built before with another count must not run again (their work split was fixed when they
   * were built): the provider clears its plan cache when this changes.
   */
  setThreads(threads: number): number {
    if (this.omp === null) return 1;
    this.omp.omp_set_num_threads(threads);
    this.#threads = this.omp.omp_get_max_threads();
    return this.#threads;
  }

  /** OpenMP threads of parallel plans (1 when OpenMP is not reachable). */
  threads(): number {
    return this.#threads;
  }

  /**
   * Runs `fn` with oneDNN limited to one thread (building or running a serial plan), then
   * restores the thread count. Memory-bound primitives gain little from a second thread, and
   * each parallel region waits for every thread to be scheduled: on a machine shared with other
   * processes that wait dominated (measured on a loaded 2-core machine: the batch-norm forward
   * primitives of a UNet step averaged 0.8 ms on one thread and 10.5 ms on two).
   */
  serially<T>(fn: () => T): T {
    if (this.omp === null || this.#threads === 1) return fn();
    this.omp.omp_set_num_threads(1);
    try {
      return fn();
    } finally {
      this.omp.omp_set_num_threads(this.#threads);
    }
  }

  /** A plain f32 memory descriptor with logical `shape` and the given format tag. */
  memoryDesc(shape: readonly number[], tag: number): Uint8Array {
    const md = new Uint8Array(SIZE.memoryDesc);
    this.check(
      this.lib.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), F32, tag),
      "create a oneDNN memory descriptor",
      `dims [${shape}], tag ${tag}`,
    );
    return md;
  }

  /** Creates a primitive descriptor; the caller destroys it. */
  primitiveDesc(
    opDesc: Uint8Array,
    hint: Deno.PointerObject | null,
    what: string,
  ): Deno.PointerObject {
    this.check(
      this.lib.dnnl_primitive_desc_create(ptrOut, opDesc, this.attr, this.engine, hint),
      `create a oneDNN ${what} primitive descriptor`,
      what,
    );
    return takePointer();
  }

  /** Copies a memory descriptor queried from a primitive descriptor (valid after it is gone). */
  queryMd(pd: Deno.PointerObject, query: number, what: string): Uint8Array {
    const pointer = this.lib.dnnl_primitive_desc_query_md(pd, query, 0);
    if (pointer === null) {
      throw new Error(
        `Cannot query oneDNN ${what}: no memory descriptor for query ${query} (got NULL)`,
      );
    }
    const md = new Uint8Array(SIZE.memoryDesc);
    Deno.UnsafePointerView.copyInto(pointer, md);
    return md;
  }

  /** Size in bytes of the buffer described by `md`. */
  mdSize(md: Uint8Array): number {
    return Number(this.lib.dnnl_memory_desc_get_size(md));
  }

  /** Whether two memory descriptors describe the same layout. */
  mdEqual(a: Uint8Array, b: Uint8Array): boolean {
    return this.lib.dnnl_memory_desc_equal(a, b) !== 0;
  }

  /** Creates a primitive from a primitive descriptor (the descriptor stays the caller's). */
  primitive(pd: Deno.PointerObject, what: string): Deno.PointerObject {
    this.check(
      this.lib.dnnl_primitive_create(ptrOut, pd),
      `create a oneDNN ${what} primitive`,
      what,
    );
    return takePointer();
  }

  /** A reorder primitive descriptor from layout `from` to layout `to`; the caller destroys it. */
  reorderDesc(from: Uint8Array, to: Uint8Array): Deno.PointerObject {
    this.check(
      this.lib.dnnl_reorder_primitive_desc_create(
        ptrOut,
        from,
        this.engine,
        to,
        this.engine,
        this.attr,
      ),
      "create a oneDNN reorder primitive descriptor",
      "reorder",
    );
    return takePointer();
  }

  /** A memory object for `md`; with `allocate` oneDNN owns its buffer, else the handle is set later. */
  createMemory(md: Uint8Array, allocate: boolean): Deno.PointerObject {
    this.check(
      this.lib.dnnl_memory_create(ptrOut, md, this.engine, allocate ? MEMORY_ALLOCATE : 0n),
      "create a oneDNN memory object",
      `${this.mdSize(md)} bytes`,
    );
    return takePointer();
  }
}
