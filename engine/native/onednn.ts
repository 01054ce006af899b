/**
 * The oneDNN runtime behind the native kernels: loads `libdnnl.so.2` through Deno FFI, checks
 * its version and ABI, owns the CPU engine and stream, and builds and runs primitives.
 *
 * Memory descriptors and operation descriptors are plain byte buffers laid out as in
 * `dnnl_types.h` of oneDNN 2.x; {@linkcode OneDnn.load} verifies those layouts against the
 * loaded library (field offsets written by the library, sentinels after each struct, round
 * trips through primitive-descriptor queries, one tiny execution) before anything else runs.
 * @module
 */
import {
  ALG,
  ARG,
  ENGINE_CPU,
  F32,
  FORMAT_KIND_BLOCKED,
  MEMORY_ALLOCATE,
  OFFSET,
  ONEDNN_LIBRARY_NAMES,
  ONEDNN_MAJOR,
  ONEDNN_SYMBOLS,
  type OneDnnSymbols,
  type OneDnnVersion,
  OPENMP_LIBRARY_NAME,
  OPENMP_SYMBOLS,
  type OpenMpSymbols,
  PRIMITIVE_KIND,
  PROP,
  QUERY,
  readVersion,
  SCRATCHPAD_MODE_USER,
  SIZE,
  statusName,
  STREAM_DEFAULT_FLAGS,
  TAG,
  U8,
  VERSION_SYMBOLS,
} from "./onednn_ffi.ts";

/** Why the native provider cannot be used. */
export type NativeUnavailableReason = "permission" | "absent" | "version" | "abi";

/** Thrown by {@linkcode OneDnn.load} when oneDNN cannot be used; `reason` says which check failed. */
export class NativeUnavailableError extends Error {
  /** Which check failed: no FFI permission, library absent, wrong major version, ABI mismatch. */
  readonly reason: NativeUnavailableReason;
  /** A short form for one-line notices, e.g. `"libdnnl.so.2 not installed"`. */
  readonly summary: string;

  /**
   * @param reason Which check failed.
   * @param summary A short form for one-line notices.
   * @param message The full message.
   * @param options Standard error options (`cause`).
   */
  constructor(
    reason: NativeUnavailableReason,
    summary: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "NativeUnavailableError";
    this.reason = reason;
    this.summary = summary;
  }
}

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

function describeStatus(status: number, what: string, detail: string): string {
  return `Cannot ${what}: oneDNN returned ${statusName(status)} (got ${detail})`;
}

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
  readonly #dnn: OneDnn;
  readonly #steps: PlanStep[] = [];
  readonly #external: Deno.PointerObject[] = [];
  readonly #owned: Deno.PointerObject[] = [];
  readonly #primitives: Deno.PointerObject[] = [];
  readonly #aliases: [number, Deno.PointerObject][] = [];
  readonly #scratch: Deno.PointerObject[] = [];
  #serial = false;
  #destroyed = false;

  /** @param dnn The runtime that creates the primitives and memories. */
  constructor(dnn: OneDnn) {
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

  /** Whether the plan runs on one thread (see {@linkcode OneDnn.serially}). */
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

/** Environment variable naming the oneDNN library file to load instead of `libdnnl.so.2`. */
export const ONEDNN_LIBRARY_ENV = "GRN_ONEDNN_LIBRARY";

/** What {@linkcode OneDnn.load} was asked for. */
export interface OneDnnLoadOptions {
  /**
   * Library file names or paths to try, in order.
   * @default {the path in `GRN_ONEDNN_LIBRARY` when set (and readable with --allow-env), else ["libdnnl.so.2"]}
   */
  libraryNames?: readonly string[];
}

function defaultLibraryNames(): readonly string[] {
  const permission = Deno.permissions.querySync({ name: "env", variable: ONEDNN_LIBRARY_ENV });
  if (permission.state !== "granted") return ONEDNN_LIBRARY_NAMES;
  const path = Deno.env.get(ONEDNN_LIBRARY_ENV);
  return path ? [path] : ONEDNN_LIBRARY_NAMES;
}

/** The loaded oneDNN library with its CPU engine and stream. */
export class OneDnn {
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
  /** `dnnl_stream_t` on {@linkcode OneDnn.engine}. */
  readonly stream: Deno.PointerObject;
  /** Primitive attributes of every primitive: user-managed scratchpad. */
  readonly attr: Deno.PointerObject;
  #threads = 1;
  #scratchMemory: Deno.PointerObject | null = null;
  #scratchBytes = 0;
  #scratchAddress = 0;

  private constructor(
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

  /** Address of the shared scratchpad (it moves when {@linkcode OneDnn.reserveScratch} grows it). */
  scratchAddress(): number {
    return this.#scratchAddress;
  }

  /** Size of the shared scratchpad in bytes. */
  get scratchBytes(): number {
    return this.#scratchBytes;
  }

  /**
   * Opens oneDNN, checks the version (major 2 only) and the ABI, and creates the CPU engine.
   * @throws {NativeUnavailableError} With `reason` `permission` (no `--allow-ffi`), `absent`
   *   (library not found), `version` (not oneDNN 2.x) or `abi` (a layout check failed).
   */
  static load(options: OneDnnLoadOptions = {}): OneDnn {
    const { libraryNames = defaultLibraryNames() } = options;
    const permission = Deno.permissions.querySync({ name: "ffi" });
    if (permission.state !== "granted") {
      throw new NativeUnavailableError(
        "permission",
        "no FFI permission (run with --allow-ffi)",
        `Cannot load oneDNN: Deno has no FFI permission (got ffi permission "${permission.state}"); ` +
          "run with --allow-ffi",
      );
    }
    const restoreEnvironment = passiveOpenMp();
    try {
      return OneDnn.#open(libraryNames);
    } finally {
      restoreEnvironment();
    }
  }

  static #open(libraryNames: readonly string[]): OneDnn {
    const failures: string[] = [];
    for (const name of libraryNames) {
      let probe: Deno.DynamicLibrary<typeof VERSION_SYMBOLS>;
      try {
        probe = Deno.dlopen(name, VERSION_SYMBOLS);
      } catch (error) {
        failures.push(`${name}: ${firstLine(error)}`);
        continue;
      }
      let version: OneDnnVersion;
      try {
        version = readVersion(probe.symbols.dnnl_version());
      } finally {
        probe.close();
      }
      const label = `${version.major}.${version.minor}.${version.patch}`;
      if (version.major !== ONEDNN_MAJOR) {
        throw new NativeUnavailableError(
          "version",
          `${name} is oneDNN ${label}, not 2.x`,
          `Cannot load oneDNN: ${name} is version ${label}, these bindings describe the ABI of ` +
            `oneDNN ${ONEDNN_MAJOR}.x only (got ${label}); install libdnnl2 (oneDNN 2.x)`,
        );
      }
      let lib: Deno.DynamicLibrary<typeof ONEDNN_SYMBOLS>;
      try {
        lib = Deno.dlopen(name, ONEDNN_SYMBOLS);
      } catch (error) {
        throw new NativeUnavailableError(
          "abi",
          `oneDNN ${label} lacks a required function`,
          `Cannot load oneDNN ${label}: a function these bindings need is missing (got ${
            firstLine(error)
          })`,
          { cause: error },
        );
      }
      let omp: OpenMpSymbols | null = null;
      try {
        omp = Deno.dlopen(OPENMP_LIBRARY_NAME, OPENMP_SYMBOLS).symbols;
      } catch {
        omp = null; // A build with another threading runtime: threads stay at its default.
      }
      const dnn = new OneDnn(lib.symbols, omp, version, name);
      try {
        dnn.#checkAbi();
      } catch (error) {
        throw new NativeUnavailableError(
          "abi",
          `oneDNN ${label} failed the ABI check`,
          `Cannot use oneDNN ${label}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      return dnn;
    }
    throw new NativeUnavailableError(
      "absent",
      `${libraryNames.join(", ")} not installed (apt-get install libdnnl2)`,
      `Cannot load oneDNN: the library is not installed (got ${failures.join("; ")}); ` +
        "on Debian/Ubuntu: apt-get install libdnnl2",
    );
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

  /**
   * Checks the struct layouts and enum values the bindings assume against the loaded library.
   * Every check reads back what the library itself wrote.
   */
  #checkAbi(): void {
    const SENTINEL = 0xa5;
    const padded = (size: number) => new Uint8Array(size + 64).fill(SENTINEL);
    const intact = (buffer: Uint8Array, size: number, what: string) => {
      for (let i = size; i < buffer.length; i++) {
        if (buffer[i] !== SENTINEL) {
          throw new Error(
            `the library wrote past the ${size}-byte ${what} these bindings assume (got a write at byte ${i})`,
          );
        }
      }
    };
    const expectEq = (actual: unknown, expected: unknown, what: string) => {
      if (actual !== expected) {
        throw new Error(
          `${what} is ${String(actual)}, expected ${String(expected)} (got ${String(actual)})`,
        );
      }
    };

    // dnnl_memory_desc_t: NHWC data [n, c, h, w] = [2, 3, 4, 5] and HWIO weights.
    const md = padded(SIZE.memoryDesc);
    this.check(
      this.lib.dnnl_memory_desc_init_by_tag(md, 4, dims([2, 3, 4, 5]), F32, TAG.nhwc),
      "check the oneDNN ABI",
      "memory descriptor nhwc",
    );
    intact(md, SIZE.memoryDesc, "dnnl_memory_desc_t");
    const v = new DataView(md.buffer);
    expectEq(v.getInt32(OFFSET.md.ndims, true), 4, "memory_desc.ndims");
    expectEq(Number(v.getBigInt64(OFFSET.md.dims + 8, true)), 3, "memory_desc.dims[1]");
    expectEq(v.getInt32(OFFSET.md.dataType, true), F32, "memory_desc.data_type (f32)");
    expectEq(
      v.getInt32(OFFSET.md.formatKind, true),
      FORMAT_KIND_BLOCKED,
      "memory_desc.format_kind",
    );
    const strides = [0, 1, 2, 3].map((i) => Number(v.getBigInt64(OFFSET.md.strides + 8 * i, true)));
    expectEq(strides.join(","), "60,1,15,3", "strides of the nhwc tag");
    expectEq(this.mdSize(md.subarray(0, SIZE.memoryDesc)), 2 * 3 * 4 * 5 * 4, "memory size");
    const wmd = this.memoryDesc([6, 3, 2, 2], TAG.hwio);
    const wv = new DataView(wmd.buffer);
    const wStrides = [0, 1, 2, 3].map((i) =>
      Number(wv.getBigInt64(OFFSET.md.strides + 8 * i, true))
    );
    expectEq(wStrides.join(","), "1,6,36,18", "strides of the hwio tag");

    // dnnl_convolution_desc_t: fields written where expected, nothing past its end, and the
    // copy kept inside the primitive descriptor identical to ours.
    const src = this.memoryDesc([1, 3, 4, 4], TAG.nhwc);
    const dst = this.memoryDesc([1, 6, 3, 3], TAG.nhwc);
    const conv = padded(SIZE.convolutionDesc);
    this.check(
      this.lib.dnnl_dilated_convolution_forward_desc_init(
        conv,
        PROP.forwardTraining,
        ALG.convolutionDirect,
        src,
        wmd,
        null,
        dst,
        dims([1, 1]),
        dims([0, 0]),
        dims([0, 0]),
        dims([0, 0]),
      ),
      "check the oneDNN ABI",
      "convolution descriptor",
    );
    intact(conv, SIZE.convolutionDesc, "dnnl_convolution_desc_t");
    const cv = new DataView(conv.buffer);
    expectEq(cv.getInt32(0, true), PRIMITIVE_KIND.convolution, "convolution_desc.primitive_kind");
    expectEq(cv.getInt32(4, true), PROP.forwardTraining, "convolution_desc.prop_kind");
    expectEq(cv.getInt32(8, true), ALG.convolutionDirect, "convolution_desc.alg_kind");
    this.#expectBytes(conv, OFFSET.conv.src, src, "convolution_desc.src_desc");
    this.#expectBytes(conv, OFFSET.conv.weights, wmd, "convolution_desc.weights_desc");
    this.#expectBytes(conv, OFFSET.conv.dst, dst, "convolution_desc.dst_desc");
    expectEq(Number(cv.getBigInt64(OFFSET.conv.strides, true)), 1, "convolution_desc.strides[0]");
    const convBody = conv.subarray(0, SIZE.convolutionDesc);
    const pd = this.primitiveDesc(convBody, null, "convolution (ABI check)");
    try {
      const kept = new BigUint64Array(1);
      this.check(
        this.lib.dnnl_primitive_desc_query(pd, QUERY.convolutionD, 0, kept),
        "check the oneDNN ABI",
        "query convolution_d",
      );
      const keptPointer = Deno.UnsafePointer.create(kept[0]!);
      if (keptPointer === null) throw new Error("query convolution_d returned NULL (got 0)");
      const copy = new Uint8Array(SIZE.convolutionDesc);
      Deno.UnsafePointerView.copyInto(keptPointer, copy);
      this.#expectBytes(copy, 0, convBody, "the convolution descriptor kept by the library");
      this.#expectBytes(
        this.queryMd(pd, QUERY.srcMd, "src"),
        0,
        src,
        "query src_md of the convolution",
      );
      this.#expectBytes(
        this.queryMd(pd, QUERY.dstMd, "dst"),
        0,
        dst,
        "query dst_md of the convolution",
      );
    } finally {
      this.lib.dnnl_primitive_desc_destroy(pd);
    }

    // dnnl_eltwise_desc_t, dnnl_pooling_desc_t, dnnl_batch_normalization_desc_t.
    const data = this.memoryDesc([2, 3, 4, 4], TAG.nhwc);
    const elt = padded(SIZE.eltwiseDesc);
    this.check(
      this.lib.dnnl_eltwise_forward_desc_init(
        elt,
        PROP.forwardTraining,
        ALG.eltwiseRelu,
        data,
        0.25,
        0,
      ),
      "check the oneDNN ABI",
      "eltwise descriptor",
    );
    intact(elt, SIZE.eltwiseDesc, "dnnl_eltwise_desc_t");
    const ev = new DataView(elt.buffer);
    expectEq(ev.getInt32(0, true), PRIMITIVE_KIND.eltwise, "eltwise_desc.primitive_kind");
    this.#expectBytes(elt, OFFSET.eltwise.data, data, "eltwise_desc.data_desc");
    expectEq(ev.getFloat32(OFFSET.eltwise.alpha, true), 0.25, "eltwise_desc.alpha");

    const pooled = this.memoryDesc([2, 3, 2, 2], TAG.nhwc);
    const pool = padded(SIZE.poolingDesc);
    this.check(
      this.lib.dnnl_pooling_forward_desc_init(
        pool,
        PROP.forwardTraining,
        ALG.poolingMax,
        data,
        pooled,
        dims([2, 2]),
        dims([2, 2]),
        dims([0, 0]),
        dims([0, 0]),
      ),
      "check the oneDNN ABI",
      "pooling descriptor",
    );
    intact(pool, SIZE.poolingDesc, "dnnl_pooling_desc_t");
    expectEq(
      new DataView(pool.buffer).getInt32(0, true),
      PRIMITIVE_KIND.pooling,
      "pooling_desc.primitive_kind",
    );
    this.#expectBytes(pool, OFFSET.pooling.src, data, "pooling_desc.src_desc");
    this.#expectBytes(pool, OFFSET.pooling.dst, pooled, "pooling_desc.dst_desc");

    const bn = padded(SIZE.batchNormDesc);
    this.check(
      this.lib.dnnl_batch_normalization_forward_desc_init(bn, PROP.forwardTraining, data, 0.5, 24),
      "check the oneDNN ABI",
      "batch normalization descriptor",
    );
    intact(bn, SIZE.batchNormDesc, "dnnl_batch_normalization_desc_t");
    const bv = new DataView(bn.buffer);
    expectEq(
      bv.getInt32(0, true),
      PRIMITIVE_KIND.batchNormalization,
      "batch_normalization_desc.primitive_kind",
    );
    this.#expectBytes(bn, OFFSET.batchNorm.data, data, "batch_normalization_desc.data_desc");
    expectEq(
      bv.getFloat32(OFFSET.batchNorm.epsilon, true),
      0.5,
      "batch_normalization_desc.epsilon",
    );
    expectEq(bv.getUint32(OFFSET.batchNorm.flags, true), 24, "batch_normalization_desc.flags");

    const ones = this.memoryDesc([1, 16], TAG.ab);
    const columns = this.memoryDesc([16, 3], TAG.ab);
    const sums = this.memoryDesc([1, 3], TAG.ab);
    const mm = padded(SIZE.matmulDesc);
    this.check(
      this.lib.dnnl_matmul_desc_init(mm, ones, columns, null, sums),
      "check the oneDNN ABI",
      "matmul descriptor",
    );
    intact(mm, SIZE.matmulDesc, "dnnl_matmul_desc_t");
    expectEq(
      new DataView(mm.buffer).getInt32(0, true),
      PRIMITIVE_KIND.matmul,
      "matmul_desc.primitive_kind",
    );
    this.#expectBytes(mm, OFFSET.matmul.src, ones, "matmul_desc.src_desc");
    this.#expectBytes(mm, OFFSET.matmul.weights, columns, "matmul_desc.weights_desc");
    this.#expectBytes(mm, OFFSET.matmul.dst, sums, "matmul_desc.dst_desc");

    const bias = this.memoryDesc([1, 3, 1, 1], TAG.nhwc);
    const bin = padded(SIZE.binaryDesc);
    this.check(
      this.lib.dnnl_binary_desc_init(bin, ALG.binaryAdd, data, bias, data),
      "check the oneDNN ABI",
      "binary descriptor",
    );
    intact(bin, SIZE.binaryDesc, "dnnl_binary_desc_t");
    const bnv = new DataView(bin.buffer);
    expectEq(bnv.getInt32(0, true), PRIMITIVE_KIND.binary, "binary_desc.primitive_kind");
    expectEq(bnv.getInt32(OFFSET.binary.alg, true), ALG.binaryAdd, "binary_desc.alg_kind");
    this.#expectBytes(bin, OFFSET.binary.src0, data, "binary_desc.src_desc[0]");
    this.#expectBytes(bin, OFFSET.binary.src1, bias, "binary_desc.src_desc[1]");
    this.#expectBytes(bin, OFFSET.binary.dst, data, "binary_desc.dst_desc");

    // dnnl_exec_arg_t and argument ids: a leaky ReLU on 4 numbers must give the known answer.
    this.#checkExecution();
  }

  #expectBytes(buffer: Uint8Array, offset: number, expected: Uint8Array, what: string): void {
    for (let i = 0; i < expected.length; i++) {
      if (buffer[offset + i] !== expected[i]) {
        throw new Error(
          `${what} differs from what these bindings expect at byte ${i} (got ${
            buffer[offset + i]
          }, expected ${expected[i]})`,
        );
      }
    }
  }

  #checkExecution(): void {
    const md = this.memoryDesc([4], TAG.a);
    const op = new Uint8Array(SIZE.eltwiseDesc);
    this.check(
      this.lib.dnnl_eltwise_forward_desc_init(
        op,
        PROP.forwardInference,
        ALG.eltwiseRelu,
        md,
        0.5,
        0,
      ),
      "check the oneDNN ABI",
      "eltwise execution",
    );
    const pd = this.primitiveDesc(op, null, "eltwise (ABI check)");
    const plan = new Plan(this);
    try {
      const src = plan.external(md);
      const dst = plan.external(md);
      plan.step(pd, "eltwise", [[ARG.src, src], [ARG.dst, dst]]);
      const input = new Float32Array([-1, 2, -3, 4]);
      const output = new Float32Array(4);
      plan.run([
        Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(input))),
        Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(output))),
      ]);
      const got = Array.from(output).join(",");
      if (got !== "-0.5,2,-1.5,4") {
        throw new Error(
          `a leaky ReLU (alpha 0.5) of [-1, 2, -3, 4] gave [${got}], expected [-0.5, 2, -1.5, 4] ` +
            `(got [${got}])`,
        );
      }
    } finally {
      plan.destroy();
      this.lib.dnnl_primitive_desc_destroy(pd);
    }
  }
}

/** OpenMP variables whose values the user may have chosen; grn then leaves the policy alone. */
const OPENMP_POLICY_VARIABLES = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"] as const;

/**
 * Makes the OpenMP runtime that loads with oneDNN put idle threads to sleep at once
 * (`OMP_WAIT_POLICY=PASSIVE`) unless the user set a policy; returns a function that removes
 * the variable again (libgomp reads it once, when it loads).
 *
 * libgomp's default lets idle threads spin for a while. On a machine whose cores are shared
 * with other processes, every parallel region then waits for a preempted spinning thread:
 * measured here with two threads, a 3x3 convolution took 28-33 ms per call instead of 2-5 ms,
 * and PyTorch (same runtime) slowed down the same way. On an idle machine, passive waiting adds
 * the worker threads' wake-up latency to each parallel primitive instead.
 */
function passiveOpenMp(): () => void {
  const permitted = OPENMP_POLICY_VARIABLES.every((variable) =>
    Deno.permissions.querySync({ name: "env", variable }).state === "granted"
  );
  if (!permitted || OPENMP_POLICY_VARIABLES.some((v) => Deno.env.get(v) !== undefined)) {
    return () => {};
  }
  Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  return () => Deno.env.delete("OMP_WAIT_POLICY");
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
